import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSelfSignedCertificate, toPem } from '../../shared/issuer/x509.js';

const DAY_MS = 86_400_000;

/** An RSA private key and a self-signed certificate for its public half. */
export interface GeneratedKeyPair {
  /** PKCS#8, PEM. */
  privateKeyPem: string;
  certificatePem: string;
  /** The same certificate as DER (its base64 is what metadata and `signingCertificates` carry). */
  certificateDer: Buffer;
}

/** How {@link generateKeyPair} sizes the key and dates the certificate. */
export interface KeyPairOptions {
  /** RSA modulus in bits (default 2048). */
  modulusLength?: number;
  /** The certificate's notBefore (default a minute ago, for clock skew). */
  validFrom?: Date;
  /** Days from now to the certificate's notAfter (default ten years). */
  validDays?: number;
}

/**
 * Generates an RSA key (node:crypto) and a self-signed certificate for it with fedgate's own DER
 * writer ({@link buildSelfSignedCertificate}), held in memory: the caller decides where it goes.
 * @example const { privateKeyPem, certificatePem } = await generateKeyPair('fedgate local IdP')
 */
export const generateKeyPair = async (
  commonName: string,
  { modulusLength = 2048, validFrom, validDays = 10 * 365 }: KeyPairOptions = {},
): Promise<GeneratedKeyPair> => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = Date.now();
  const certificateDer = await buildSelfSignedCertificate({
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    commonName,
    notBefore: validFrom ?? new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    sign: async (tbs) => sign('sha256', tbs, createPrivateKey(privateKeyPem)),
  });
  return { privateKeyPem, certificatePem: toPem(certificateDer), certificateDer };
};

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
  const { privateKeyPem, certificatePem } = await generateKeyPair(commonName);
  await writeFile(keyFile, privateKeyPem, { mode: 0o600 });
  await writeFile(certFile, certificatePem);
  await writeFile(bundlePath, privateKeyPem + certificatePem, { mode: 0o600 });
  return { privateKeyPem, certificatePem, bundlePath };
};
