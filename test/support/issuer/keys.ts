import { generateKeyPair } from '../../../infra/local/demo/keys.js';
import type { LocalKeyMaterial } from '../../../shared/issuer/index.js';

/**
 * A fresh RSA key and self-signed certificate (node:crypto + shared/issuer/x509.ts), made at test
 * time: no private key is ever committed.
 */
export const generateTestKeyMaterial = async (
  commonName = 'fedgate test signing key',
  modulusLength = 2048,
): Promise<LocalKeyMaterial> => {
  const { privateKeyPem, certificatePem } = await generateKeyPair(commonName, {
    modulusLength,
    validDays: 365,
  });
  return { privateKeyPem, certificatePem };
};
