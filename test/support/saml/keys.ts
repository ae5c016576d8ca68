import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { buildSelfSignedCertificate, toPem } from '../../../shared/issuer/x509.js';

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
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Date.now();
  const der = await buildSelfSignedCertificate({
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    commonName,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    sign: async (tbs) => sign('sha256', tbs, createPrivateKey(privateKeyPem)),
  });
  return { privateKeyPem, certificatePem: toPem(der), certificateB64: der.toString('base64') };
};
