import { generateKeyPair } from '../../infra/local/keys.js';

/**
 * A signing key and its self-signed certificate, generated at test time (no private key is ever
 * committed). Usable wherever a `LocalKeyMaterial` (shared/issuer) or an upstream IdP's key is
 * wanted: the extra field is what metadata and `signingCertificates` carry.
 */
export interface TestKeyPair {
  /** PKCS#8, PEM. */
  privateKeyPem: string;
  certificatePem: string;
  /** The certificate body (base64 DER), as `signingCertificates` and metadata carry it. */
  certificateB64: string;
}

/** How {@link createTestKeyPair} sizes the key and dates its certificate. */
export interface TestKeyPairOptions {
  /** RSA modulus in bits (default 2048; 1024 to build a key a check must refuse). */
  modulusLength?: number;
  /** Days from now to notAfter (default 365). */
  validDays?: number;
}

/**
 * Generates an RSA key and a self-signed certificate for it with the repo's own DER writer
 * (infra/local/keys.ts). The certificate's notBefore is a day back, so a test's pinned clock a
 * little in the past still sees it valid. In a kit test, prefer the `keys` fixture: it makes each
 * named key once per file.
 */
export const createTestKeyPair = async (
  commonName: string,
  { modulusLength = 2048, validDays = 365 }: TestKeyPairOptions = {},
): Promise<TestKeyPair> => {
  const { privateKeyPem, certificatePem, certificateDer } = await generateKeyPair(commonName, {
    modulusLength,
    validFrom: new Date(Date.now() - 86_400_000),
    validDays,
  });
  return { privateKeyPem, certificatePem, certificateB64: certificateDer.toString('base64') };
};
