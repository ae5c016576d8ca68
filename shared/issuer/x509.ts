import { randomBytes } from 'node:crypto';

/**
 * A minimal DER writer for one thing: a self-signed X.509 v3 certificate around a public key whose
 * private half may live elsewhere (a KMS key, a local key file). Only encoding happens here; the
 * signature comes from the injected `sign` (RSASSA-PKCS1-v1_5 with SHA-256), so no key material is
 * needed to build the certificate that SAML metadata publishes.
 */

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
};
const integer = (bytes: Buffer): Buffer => {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.from([0]), bytes);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
const time = (d: Date): Buffer => {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
};

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const name = (commonName: string) => seq(set(seq(oid('2.5.4.3'), utf8(commonName))));

export interface CertificateRequest {
  /** SubjectPublicKeyInfo, DER (what KMS GetPublicKey returns, or `key.export({ type: 'spki', format: 'der' })`). */
  publicKeySpki: Buffer;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** RSASSA-PKCS1-v1_5 + SHA-256 over the given bytes. */
  sign: (tbs: Buffer) => Promise<Buffer>;
  /** Serial number bytes (default: 16 random bytes). */
  serial?: Buffer;
}

/**
 * Builds a self-signed X.509 v3 certificate (sha256WithRSAEncryption, basicConstraints CA:FALSE,
 * keyUsage digitalSignature) and returns it as DER.
 * @example const der = await buildSelfSignedCertificate({ publicKeySpki, commonName: 'fedgate', notBefore, notAfter, sign })
 */
export const buildSelfSignedCertificate = async (req: CertificateRequest): Promise<Buffer> => {
  const serial = req.serial ?? randomBytes(16);
  const extensions = tlv(
    0xa3,
    seq(
      // basicConstraints (critical): not a CA
      seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octetString(seq())),
      // keyUsage (critical): digitalSignature only
      seq(
        oid('2.5.29.15'),
        tlv(0x01, Buffer.from([0xff])),
        octetString(tlv(0x03, Buffer.from([0x07, 0x80]))),
      ),
    ),
  );
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(Buffer.from([(serial[0] as number) & 0x7f, ...serial.subarray(1)])),
    SHA256_WITH_RSA,
    name(req.commonName),
    seq(time(req.notBefore), time(req.notAfter)),
    name(req.commonName),
    req.publicKeySpki,
    extensions,
  );
  const signature = await req.sign(tbs);
  return seq(tbs, SHA256_WITH_RSA, bitString(signature));
};

/** PEM text for a DER certificate. */
export const toPem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
