import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  type KMSClient,
  type KMSClientConfig,
  SignCommand,
  type SignCommandOutput,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { classifyTransientSdkFailure, sdkErrorName, sdkErrorShape } from '../aws-sdk-errors.js';
import { DependencyUnavailableError, GatewayError } from '../http/errors.js';
import { IssuerMisconfiguredError } from './errors.js';
import { computeKeyId } from './local-signing-keys.js';
import type { PublishedKey, Signer, SigningKeys } from './signing-keys.js';
import { buildSelfSignedCertificate, toPem } from './x509.js';

/**
 * Client settings for whoever builds the KMS client (functions/, infra/): fail fast instead of
 * holding a sign-in open. The SDK's defaults have no socket timeout and its `requestTimeout` only
 * logs a warning unless `throwOnRequestTimeout` is set, so a KMS endpoint that accepts a connection
 * and never answers would hang the function until Lambda kills it instead of giving the person a
 * 503 (`temporarily_unavailable`) to retry. Three attempts let the SDK's standard retry strategy
 * ride out KMS throttling (`ThrottlingException`: Sign shares the account's cryptographic request
 * quota) with backoff before fedgate gives up.
 * @example
 * const kms = new KMSClient({ ...KMS_CLIENT_DEFAULTS });
 */
export const KMS_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const satisfies KMSClientConfig;

/** What fedgate calls on KMS: `GetPublicKey` and `Sign`, nothing else (SECURITY.md §5). */
export type KmsPort = Pick<KMSClient, 'send'>;

export interface KmsSigningKeysOptions {
  kms: KmsPort;
  /**
   * KMS key ids, key ARNs, alias names (`alias/…`) or alias ARNs: the first signs, all are
   * published (rotation: the next key is published before it signs). At least one.
   */
  keyIds: readonly string[];
  /** Subject and issuer CN of the self-signed certificates published for the keys (default `fedgate`). */
  commonName?: string;
}

// RSASSA-PKCS1-v1_5 with SHA-256: rsa-sha256 in XML-DSig and RS256 in JOSE (SECURITY.md §5).
const SIGNING_ALGORITHM: SigningAlgorithmSpec = 'RSASSA_PKCS1_V1_5_SHA_256';
const RSA_KEY_SPECS: ReadonlySet<string> = new Set(['RSA_2048', 'RSA_3072', 'RSA_4096']);
const MIN_RSA_BITS = 2048;
const DEFAULT_COMMON_NAME = 'fedgate';

// The published certificate is a function of the public key alone, so every container (and every
// function: the metadata endpoint and the minters) derives the byte-identical certificate for a
// key: RSASSA-PKCS1-v1_5 is deterministic, so the same to-be-signed bytes always get the same
// signature. Containers that each dated their certificate from their own clock would publish a
// different certificate per cold start, and the metadata registered with IAM would never match
// the one served. The validity is therefore fixed rather than taken from the key: DescribeKey's
// CreationDate would need kms:DescribeKey, and the function role may only kms:Sign and
// kms:GetPublicKey (SECURITY.md §5). So every KMS key shares one window, 2025-01-01 plus 20
// years: a key still in use near 2045 needs a later window here, in code (a new release, which
// changes every certificate and so needs the IAM provider's metadata re-uploaded).
const CERTIFICATE_NOT_BEFORE = new Date(Date.UTC(2025, 0, 1));
const CERTIFICATE_NOT_AFTER = new Date(Date.UTC(2045, 0, 1));

// What an operator must fix, per KMS error code.
const GRANT_FIX =
  "grant the function's role kms:Sign and kms:GetPublicKey on this key (in the key policy, or in " +
  'an IAM policy when the key policy delegates to IAM)';
const DEFAULT_FIX = 'see the KMS code and message; the key in SIGNING_KEY_REF must be usable';
const FIXES: Readonly<Record<string, string>> = {
  AccessDeniedException: GRANT_FIX,
  NotFoundException:
    'no such key (or alias) in the region and account the client uses: check SIGNING_KEY_REF ' +
    'and the region',
  DisabledException: 'the key is disabled: enable it, or take it out of SIGNING_KEY_REF',
  KMSInvalidStateException:
    'the key is not in a usable state (pending deletion, pending import or unavailable): cancel ' +
    'its deletion, or take it out of SIGNING_KEY_REF',
  InvalidKeyUsageException:
    'the key must be an asymmetric RSA key with KeyUsage SIGN_VERIFY that supports ' +
    SIGNING_ALGORITHM,
  InvalidArnException: 'SIGNING_KEY_REF holds a malformed key ARN',
  UnrecognizedClientException: "the function's credentials are not valid for KMS in this region",
};

/** KMS's message, bounded and on one line (KMS quotes ARNs and actions, never the signed bytes). */
const messageOf = (err: unknown): string => {
  const { message } = sdkErrorShape(err);
  return typeof message === 'string' ? message.replace(/\p{Cc}+/gu, ' ').slice(0, 300) : '';
};

/**
 * A failed KMS call in the gateway's error model: `temporarily_unavailable` (503) for throttling,
 * KMS 5xx (`KMSInternalException`, `KeyUnavailableException`, `DependencyTimeoutException`),
 * timeouts and network failures; `issuer_misconfigured` (500) for everything else, its detail
 * saying what to fix. Neither the digest nor a signature is ever part of the detail.
 */
const translateKmsError = (
  err: unknown,
  operation: 'GetPublicKey' | 'Sign',
  keyId: string,
): GatewayError => {
  if (err instanceof GatewayError) return err;
  const { $metadata } = sdkErrorShape(err);
  const requestId =
    typeof $metadata?.requestId === 'string' ? ` (request id ${$metadata.requestId})` : '';
  const where = `${operation} on KMS key ${keyId}`;
  const transient = classifyTransientSdkFailure(err);
  if (transient) {
    const answered = transient.kind === 'throttled' || transient.kind === 'server_fault';
    return new DependencyUnavailableError(
      'kms',
      `${where} ${transient.reason}${answered ? requestId : ''}`,
      { cause: err },
    );
  }
  const name = sdkErrorName(err);
  return new IssuerMisconfiguredError(
    `${where} refused with ${name}: "${messageOf(err)}"${requestId}. ${FIXES[name] ?? DEFAULT_FIX}`,
    { cause: err },
  );
};

/** A KMS key's public half, as GetPublicKey gave it and fedgate checked it. */
interface KmsPublicKey {
  keyId: string;
  /** The key ARN KMS resolved `keyId` to (an alias resolves to its current target). */
  keyArn: string;
  publicKey: KeyObject;
  spki: Buffer;
  kid: string;
}

const fetchPublicKey = async (kms: KmsPort, keyId: string): Promise<KmsPublicKey> => {
  let answer: GetPublicKeyCommandOutput;
  try {
    answer = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  } catch (err) {
    throw translateKmsError(err, 'GetPublicKey', keyId);
  }
  const where = `KMS key ${keyId}`;
  const usable = `fedgate needs an asymmetric KMS key with KeyUsage SIGN_VERIFY, KeySpec RSA_2048, RSA_3072 or RSA_4096, and ${SIGNING_ALGORITHM}`;
  if (answer.KeyUsage !== 'SIGN_VERIFY') {
    throw new IssuerMisconfiguredError(
      `${where}: KeyUsage is ${answer.KeyUsage ?? 'not given'}; ${usable}`,
    );
  }
  if (!RSA_KEY_SPECS.has(answer.KeySpec ?? '')) {
    throw new IssuerMisconfiguredError(
      `${where}: KeySpec is ${answer.KeySpec ?? 'not given'}; ${usable}`,
    );
  }
  if (!answer.SigningAlgorithms?.includes(SIGNING_ALGORITHM)) {
    throw new IssuerMisconfiguredError(
      `${where}: its signing algorithms (${answer.SigningAlgorithms?.join(', ') ?? 'none'}) lack ${SIGNING_ALGORITHM}; ${usable}`,
    );
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(answer.PublicKey ?? []),
      format: 'der',
      type: 'spki',
    });
  } catch (cause) {
    throw new IssuerMisconfiguredError(`${where}: GetPublicKey gave no parsable public key`, {
      cause,
    });
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new IssuerMisconfiguredError(
      `${where}: the public key is ${publicKey.asymmetricKeyType} ${bits}, not RSA ≥ ${MIN_RSA_BITS} bits`,
    );
  }
  // Node's export, not KMS's bytes: the same canonical DER the local signer hashes, so a key
  // imported into KMS keeps the kid it had as a file, and metadata's certificate check compares
  // like with like.
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { keyId, keyArn: answer.KeyId ?? keyId, publicKey, spki, kid: computeKeyId(spki) };
};

/** KMS Sign returned something that is not a signature by the key fedgate fetched. */
class KeyMismatchError extends IssuerMisconfiguredError {}

/**
 * RSASSA-PKCS1-v1_5 + SHA-256 over `data` by a KMS key: fedgate hashes, KMS signs the digest.
 * Sending the digest (MessageType DIGEST) keeps the signed document off the wire and under KMS's
 * 4,096-byte message limit whatever its size. The signature is verified locally before it is
 * used.
 */
const signWithKms = async (kms: KmsPort, key: KmsPublicKey, data: Buffer): Promise<Buffer> => {
  const digest = createHash('sha256').update(data).digest();
  let answer: SignCommandOutput;
  try {
    answer = await kms.send(
      new SignCommand({
        KeyId: key.keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: SIGNING_ALGORITHM,
      }),
    );
  } catch (err) {
    throw translateKmsError(err, 'Sign', key.keyId);
  }
  const signature = Buffer.from(answer.Signature ?? []);
  // The key fedgate publishes must be the key that signed: otherwise AWS rejects every assertion
  // with an opaque InvalidIdentityToken. It happens when an alias is repointed after this
  // container fetched the public key, or the key id names another key than intended.
  if (signature.length === 0 || !verify('sha256', data, key.publicKey, signature)) {
    const other = answer.KeyId && answer.KeyId !== key.keyArn ? `, Sign used ${answer.KeyId}` : '';
    throw new KeyMismatchError(
      `KMS key ${key.keyId}: Sign returned a signature that does not verify with the public key ` +
        `GetPublicKey gave for it (${key.keyArn}${other}). If the alias was repointed, update the ` +
        'IAM SAML provider metadata; the key is fetched again on the next request',
    );
  }
  return signature;
};

/**
 * The certificate serial: the first 16 bytes of SHA-256 over the SPKI, top bit cleared so the
 * DER INTEGER is positive without a leading zero. Deterministic like the dates; RFC 5280 §4.1.2.2
 * asks only for uniqueness per issuer, and each key is its own issuer.
 */
const serialOf = (spki: Buffer): Buffer => {
  const serial = createHash('sha256').update(spki).digest().subarray(0, 16);
  serial[0] = (serial[0] as number) & 0x7f;
  return serial;
};

/** A promise cached once it succeeds; a rejection clears it, so the next call tries again. */
const cacheOnSuccess = <T>(load: () => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return {
    get: (): Promise<T> => {
      if (!pending) {
        const attempt: Promise<T> = load().catch((err: unknown) => {
          if (pending === attempt) pending = undefined;
          throw err;
        });
        pending = attempt;
      }
      return pending;
    },
    clear: () => {
      pending = undefined;
    },
  };
};

/** One KMS key: its public key and its signer (with certificate), each fetched once. */
const createKmsKey = (kms: KmsPort, keyId: string, commonName: string) => {
  const publicKey = cacheOnSuccess(() => fetchPublicKey(kms, keyId));
  const sign = async (key: KmsPublicKey, data: Buffer): Promise<Buffer> => {
    try {
      return await signWithKms(kms, key, data);
    } catch (err) {
      // A stale public key (a repointed alias) must not stay cached for the container's life.
      if (err instanceof KeyMismatchError) forget();
      throw err;
    }
  };
  const signer = cacheOnSuccess(async (): Promise<Signer> => {
    const key = await publicKey.get();
    const certificateDer = await buildSelfSignedCertificate({
      publicKeySpki: key.spki,
      commonName,
      notBefore: CERTIFICATE_NOT_BEFORE,
      notAfter: CERTIFICATE_NOT_AFTER,
      serial: serialOf(key.spki),
      // Self-signed through KMS itself: the same path as every assertion.
      sign: (tbs) => sign(key, tbs),
    });
    return Object.freeze({
      kid: key.kid,
      publicKeySpki: key.spki,
      certificatePem: toPem(certificateDer),
      sign: (data: Buffer) => sign(key, data),
    });
  });
  const forget = () => {
    publicKey.clear();
    signer.clear();
  };
  return { keyId, signer: signer.get };
};

/**
 * The `SigningKeys` port over KMS asymmetric keys (fedgate in AWS): the first key signs
 * and every key is published, in order. Per key and per container, GetPublicKey is called once
 * and the self-signed certificate built once (signed through KMS Sign); a failed call is not
 * cached, so the next request tries again. Nothing is called before the first use. `active()`
 * touches only the first key, so a next key that is not usable yet breaks `published()` (the
 * metadata), never sign-in. Each signature is verified locally with the key's public key before
 * it is returned.
 * @throws issuer_misconfigured synchronously when no key id is given, one is empty or one is listed
 *   twice; from
 *   `active()` / `published()` / `sign()` when a key is not RSA SIGN_VERIFY with
 *   RSASSA_PKCS1_V1_5_SHA_256, KMS refuses (AccessDenied, NotFound, Disabled, KMSInvalidState…:
 *   the detail says what to fix), a signature does not verify with the fetched public key, or two
 *   key ids name the same key (`published()`).
 * @throws temporarily_unavailable (503, DependencyUnavailableError('kms')) when KMS is throttled,
 *   failing (5xx) or unreachable, or times out.
 * @example
 * const keys = createKmsSigningKeys({ kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }), keyIds: ['alias/fedgate-signing'] });
 */
export const createKmsSigningKeys = (opts: KmsSigningKeysOptions): SigningKeys => {
  if (opts.keyIds.length === 0) throw new IssuerMisconfiguredError('no KMS signing key configured');
  if (opts.keyIds.some((id) => id.length === 0)) {
    throw new IssuerMisconfiguredError('a KMS signing key id is empty');
  }
  if (new Set(opts.keyIds).size !== opts.keyIds.length) {
    throw new IssuerMisconfiguredError('the same KMS signing key id is listed more than once');
  }
  const commonName = opts.commonName ?? DEFAULT_COMMON_NAME;
  const keys = opts.keyIds.map((keyId) => createKmsKey(opts.kms, keyId, commonName));
  const active = keys[0] as (typeof keys)[number];
  return Object.freeze({
    active: () => active.signer(),
    published: async (): Promise<readonly PublishedKey[]> => {
      const signers = await Promise.all(keys.map((k) => k.signer()));
      const seen = new Map<string, string>();
      signers.forEach((s, i) => {
        const keyId = keys[i]?.keyId ?? '';
        const first = seen.get(s.kid);
        if (first !== undefined) {
          throw new IssuerMisconfiguredError(
            `KMS key ids ${first} and ${keyId} name the same key (kid ${s.kid})`,
          );
        }
        seen.set(s.kid, keyId);
      });
      return Object.freeze(
        signers.map(({ kid, publicKeySpki, certificatePem }) =>
          Object.freeze({ kid, publicKeySpki, certificatePem }),
        ),
      );
    },
  });
};
