import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import type { LocalKeyMaterial } from '../../../shared/issuer/index.js';
import { buildSelfSignedCertificate, toPem } from '../../../shared/issuer/index.js';

/**
 * A fresh RSA key and self-signed certificate (node:crypto + shared/issuer/x509.ts), made at test
 * time: no private key is ever committed.
 */
export const generateTestKeyMaterial = async (
  commonName = 'fedgate test signing key',
  modulusLength = 2048,
): Promise<LocalKeyMaterial> => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Date.now();
  const der = await buildSelfSignedCertificate({
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    commonName,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    sign: async (tbs) => sign('sha256', tbs, createPrivateKey(privateKeyPem)),
  });
  return { privateKeyPem, certificatePem: toPem(der) };
};
