import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import { IssuerMisconfiguredError } from './errors.js';
import type { PublishedKey, Signer, SigningKeys } from './signing-keys.js';

/**
 * The stable key id of a public key: base64url of the first 16 bytes of SHA-256 over its
 * SubjectPublicKeyInfo DER (22 characters). The local and the KMS implementations use this same
 * rule, so a key keeps its `kid` wherever its private half lives and across restarts.
 * @example computeKeyId(publicKey.export({ type: 'spki', format: 'der' })) // 'q3v…' (22 chars)
 */
export const computeKeyId = (publicKeySpki: Buffer): string =>
  createHash('sha256').update(publicKeySpki).digest().subarray(0, 16).toString('base64url');

/** One local key: a PKCS#8 (or PKCS#1) private key and the self-signed certificate for it, PEM. */
export interface LocalKeyMaterial {
  privateKeyPem: string;
  certificatePem: string;
}

export interface LocalSigningKeysOptions {
  /** The active key first, then the keys published for rotation. At least one. */
  keys: readonly LocalKeyMaterial[];
}

/** AWS and SECURITY.md §5 expect RSA-2048 or larger for RS256 / rsa-sha256. */
const MIN_RSA_BITS = 2048;

const loadKey = (material: LocalKeyMaterial, index: number): Signer => {
  const where = `signing key #${index + 1}`;
  let privateKey: KeyObject;
  let certificate: X509Certificate;
  try {
    privateKey = createPrivateKey(material.privateKeyPem);
  } catch (cause) {
    throw new IssuerMisconfiguredError(`${where}: the private key does not parse`, { cause });
  }
  try {
    certificate = new X509Certificate(material.certificatePem);
  } catch (cause) {
    throw new IssuerMisconfiguredError(`${where}: the certificate does not parse`, { cause });
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new IssuerMisconfiguredError(
      `${where}: must be RSA with at least ${MIN_RSA_BITS} bits (RSASSA-PKCS1-v1_5 + SHA-256), got ${privateKey.asymmetricKeyType} ${bits}`,
    );
  }
  const publicKeySpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const certificateSpki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  // A certificate for another key would publish a key that verifies nothing fedgate signs.
  if (!publicKeySpki.equals(certificateSpki)) {
    throw new IssuerMisconfiguredError(`${where}: the certificate is not for this private key`);
  }
  return Object.freeze({
    kid: computeKeyId(publicKeySpki),
    publicKeySpki,
    certificatePem: certificate.toString(),
    // Synchronous RSA in an async shell: a Lambda serves one request at a time, and the callback
    // form's thread-pool round trip costs more than it frees.
    sign: async (data: Buffer) => sign('sha256', data, privateKey),
  });
};

/**
 * The `SigningKeys` port over local PEM keys (the local runner, tests): the first key signs and
 * every key is published, in order. Keys are parsed and checked once, here.
 * @throws issuer_misconfigured when no key is given, a key or certificate does not parse, a key is
 *   not RSA ≥ 2048 bits, a certificate does not belong to its key, or a key is listed twice.
 * @example const keys = createLocalSigningKeys({ keys: [await ensureLocalKeyPair(dir, 'fedgate-signing', 'fedgate')] })
 */
export const createLocalSigningKeys = (opts: LocalSigningKeysOptions): SigningKeys => {
  if (opts.keys.length === 0) throw new IssuerMisconfiguredError('no signing key configured');
  const signers = opts.keys.map(loadKey);
  const kids = new Set(signers.map((s) => s.kid));
  if (kids.size !== signers.length) {
    throw new IssuerMisconfiguredError('the same signing key is listed more than once');
  }
  const active = signers[0] as Signer;
  const published: readonly PublishedKey[] = Object.freeze(
    signers.map(({ kid, publicKeySpki, certificatePem }) =>
      Object.freeze({ kid, publicKeySpki, certificatePem }),
    ),
  );
  return Object.freeze({
    active: async () => active,
    published: async () => published,
  });
};
