import { generateKeyPair } from '../../../infra/local/demo/keys.js';

/** A signing key and its self-signed certificate, generated at test time (never committed). */
export interface TestKeyPair {
  privateKeyPem: string;
  certificatePem: string;
  /** The certificate body (base64 DER), as `signingCertificates` and metadata carry it. */
  certificateB64: string;
}

/**
 * Generates an RSA key (2048 bits unless told) and a self-signed certificate for it with the
 * repo's own DER writer.
 */
export const createTestKeyPair = async (
  commonName: string,
  { modulusLength = 2048 }: { modulusLength?: number } = {},
): Promise<TestKeyPair> => {
  const { privateKeyPem, certificatePem, certificateDer } = await generateKeyPair(commonName, {
    modulusLength,
    validFrom: new Date(Date.now() - 86_400_000),
    validDays: 365,
  });
  return { privateKeyPem, certificatePem, certificateB64: certificateDer.toString('base64') };
};
