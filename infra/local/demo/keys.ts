import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSelfSignedCertificate, toPem } from '../../../shared/issuer/x509.js';

export interface LocalKeyPair {
  privateKeyPem: string;
  certificatePem: string;
  /** One PEM file holding the private key and the certificate: what `SIGNING_KEY_REF=file:` names. */
  bundlePath: string;
}

/**
 * A local RSA-2048 key and self-signed certificate, generated once into `dir` (the ignored
 * `.local/` folder) and reused on later starts so registered metadata stays valid. Never in the
 * repo, never in an environment variable.
 */
export const ensureLocalKeyPair = async (
  dir: string,
  name: string,
  commonName: string,
): Promise<LocalKeyPair> => {
  const keyFile = join(dir, `${name}.key.pem`);
  const certFile = join(dir, `${name}.cert.pem`);
  const bundlePath = join(dir, `${name}.pem`);
  try {
    return {
      privateKeyPem: await readFile(keyFile, 'utf8'),
      certificatePem: await readFile(certFile, 'utf8'),
      bundlePath: (await readFile(bundlePath, 'utf8')) && bundlePath,
    };
  } catch {
    // first start: generate below
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Date.now();
  const der = await buildSelfSignedCertificate({
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    commonName,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    sign: async (tbs) => sign('sha256', tbs, createPrivateKey(privateKeyPem)),
  });
  const certificatePem = toPem(der);
  await writeFile(keyFile, privateKeyPem, { mode: 0o600 });
  await writeFile(certFile, certificatePem);
  await writeFile(bundlePath, privateKeyPem + certificatePem, { mode: 0o600 });
  return { privateKeyPem, certificatePem, bundlePath };
};
