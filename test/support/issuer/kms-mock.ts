/**
 * A fake KMS for the KMS signer's tests, on aws-sdk-client-mock: GetPublicKey answers with a local
 * RSA key's SPKI and Sign answers are computed with that key, from the digest alone, as KMS
 * computes them (RSASSA-PKCS1-v1_5 over a pre-hashed SHA-256 digest). It checks requests as KMS
 * does (a known key id, an algorithm the key supports, a DIGEST of 32 bytes or a RAW message of at
 * most 4,096) and answers unknown key ids with NotFoundException.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  privateEncrypt,
} from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandInput,
  type GetPublicKeyCommandOutput,
  type KeySpec,
  type KeyUsageType,
  type KMSClient,
  KMSServiceException,
  SignCommand,
  type SignCommandInput,
  type SignCommandOutput,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** DER of DigestInfo { sha256, NULL } up to the digest (RFC 8017 §9.2, note 1). */
export const SHA256_DIGESTINFO_PREFIX = Buffer.from(
  '3031300d060960864801650304020105000420',
  'hex',
);

/**
 * The RSASSA-PKCS1-v1_5 signature of a SHA-256 digest, as KMS Sign with MessageType DIGEST makes
 * it: EMSA-PKCS1-v1_5 padding (block type 1) around DigestInfo, then the private-key operation.
 */
export const signDigestAsKms = (privateKey: KeyObject, digest: Uint8Array): Buffer =>
  privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([SHA256_DIGESTINFO_PREFIX, digest]),
  );

/** A key as the fake KMS holds it, and what GetPublicKey says about it. */
export interface FakeKmsKey {
  /** The id fedgate is configured with (a key id, an ARN or an alias). */
  keyId: string;
  /** The key ARN KMS answers with. */
  arn: string;
  privateKey: KeyObject;
  /** SubjectPublicKeyInfo, DER: GetPublicKey's `PublicKey`. */
  publicKeySpki: Buffer;
  /** The same public key as PEM (`openssl x509 -pubkey` prints this). */
  publicKeyPem: string;
  keySpec: KeySpec;
  keyUsage: KeyUsageType;
  signingAlgorithms: SigningAlgorithmSpec[];
  /** The key Sign really signs with: another one simulates a repointed alias. Default: its own. */
  signsWith?: KeyObject;
  /** Sign answers without a `Signature` (an answer KMS should never give). */
  answersWithoutSignature?: boolean;
}

const ACCOUNT_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/';

/**
 * A fake KMS key around a private key (a PEM from the issuer fixtures, or a fresh RSA key of
 * `modulusLength` bits).
 */
export const createFakeKmsKey = (
  keyId: string,
  { privateKeyPem, modulusLength = 2048 }: { privateKeyPem?: string; modulusLength?: number } = {},
): FakeKmsKey => {
  const privateKey = privateKeyPem
    ? createPrivateKey(privateKeyPem)
    : generateKeyPairSync('rsa', { modulusLength }).privateKey;
  const publicKey = createPublicKey(privateKey);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  return {
    keyId,
    arn: `${ACCOUNT_ARN}${keyId.replace(/[^A-Za-z0-9-]/g, '-')}`,
    privateKey,
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keySpec: `RSA_${bits}` as KeySpec,
    keyUsage: 'SIGN_VERIFY',
    signingAlgorithms: [
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ],
  };
};

/** A KMS service error as the SDK throws it. */
export const kmsError = (
  name: string,
  { fault = 'client', status = 400 }: { fault?: 'client' | 'server'; status?: number } = {},
): KMSServiceException =>
  new KMSServiceException({
    name,
    message: `${name} from the fake KMS`,
    $fault: fault,
    $metadata: { httpStatusCode: status, requestId: 'kms-req-1' },
  });

/** Controls over the installed fake. */
export interface FakeKms {
  /** The next `operation` on `keyId` throws `err` (queued: one failure per call). */
  failNext(operation: 'GetPublicKey' | 'Sign', keyId: string, err: unknown): void;
}

/**
 * Programs `kms` (a `mockClient(KMSClient)` stub) to behave as KMS holding `keys`. Call after
 * `kms.reset()`.
 */
export const installFakeKms = (
  kms: AwsClientStub<KMSClient>,
  keys: readonly FakeKmsKey[],
): FakeKms => {
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  const failures: { operation: string; keyId: string; err: unknown }[] = [];
  const lookUp = (operation: string, keyId: string | undefined): FakeKmsKey => {
    const failure = failures.findIndex((f) => f.operation === operation && f.keyId === keyId);
    if (failure >= 0) throw failures.splice(failure, 1)[0]?.err;
    const key = keyId === undefined ? undefined : byId.get(keyId);
    if (!key) throw kmsError('NotFoundException');
    return key;
  };

  kms.on(GetPublicKeyCommand).callsFake((input: GetPublicKeyCommandInput) => {
    const key = lookUp('GetPublicKey', input.KeyId);
    return {
      KeyId: key.arn,
      PublicKey: new Uint8Array(key.publicKeySpki),
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      SigningAlgorithms: key.signingAlgorithms,
      $metadata: {},
    } satisfies GetPublicKeyCommandOutput;
  });

  kms.on(SignCommand).callsFake((input: SignCommandInput) => {
    const key = lookUp('Sign', input.KeyId);
    const algorithm = input.SigningAlgorithm;
    const message = input.Message ?? new Uint8Array();
    // KMS's own checks: an algorithm of the key's; a DIGEST the hash's size, a RAW message ≤ 4 KB.
    if (!algorithm || !key.signingAlgorithms.includes(algorithm)) {
      throw kmsError('InvalidKeyUsageException');
    }
    if (algorithm !== 'RSASSA_PKCS1_V1_5_SHA_256') {
      throw new Error(`the fake KMS implements RSASSA_PKCS1_V1_5_SHA_256 only, not ${algorithm}`);
    }
    const isDigest = input.MessageType === 'DIGEST';
    if (isDigest ? message.length !== 32 : message.length === 0 || message.length > 4096) {
      throw kmsError('ValidationException');
    }
    const digest = isDigest ? message : createHash('sha256').update(message).digest();
    if (key.answersWithoutSignature) return { KeyId: key.arn, $metadata: {} };
    return {
      KeyId: key.arn,
      Signature: new Uint8Array(signDigestAsKms(key.signsWith ?? key.privateKey, digest)),
      SigningAlgorithm: algorithm,
      $metadata: {},
    } satisfies SignCommandOutput;
  });

  return {
    failNext: (operation, keyId, err) => {
      failures.push({ operation, keyId, err });
    },
  };
};
