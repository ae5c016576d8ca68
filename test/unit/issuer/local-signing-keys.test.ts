import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  verify,
  X509Certificate,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  computeKeyId,
  createLocalSigningKeys,
  type LocalKeyMaterial,
} from '../../../shared/issuer/index.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
});

const spkiOf = (m: LocalKeyMaterial) =>
  new X509Certificate(m.certificatePem).publicKey.export({ type: 'spki', format: 'der' });

describe('computeKeyId', () => {
  it('is base64url of the first 16 bytes of SHA-256 over the SPKI DER (22 characters)', () => {
    const spki = spkiOf(active);
    const expected = createHash('sha256').update(spki).digest().subarray(0, 16);
    const kid = computeKeyId(spki);
    expect(kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(kid, 'base64url')).toEqual(expected);
  });

  it('is stable for a key and differs between keys', () => {
    expect(computeKeyId(spkiOf(active))).toBe(computeKeyId(Buffer.from(spkiOf(active))));
    expect(computeKeyId(spkiOf(active))).not.toBe(computeKeyId(spkiOf(next)));
  });

  it('pins a known vector, so the KMS implementation can be held to the same rule', () => {
    expect(computeKeyId(Buffer.from('fedgate'))).toBe(
      createHash('sha256').update('fedgate').digest().subarray(0, 16).toString('base64url'),
    );
    expect(computeKeyId(Buffer.alloc(0))).toBe('47DEQpj8HBSa-_TImW-5JA');
  });
});

describe('createLocalSigningKeys', () => {
  it('signs with the first key and publishes every key, active first', async () => {
    const keys = createLocalSigningKeys({ keys: [active, next] });
    const signer = await keys.active();
    const published = await keys.published();
    expect(published.map((k) => k.kid)).toEqual([
      computeKeyId(spkiOf(active)),
      computeKeyId(spkiOf(next)),
    ]);
    expect(signer.kid).toBe(published[0]?.kid);
    expect(published[1]?.publicKeySpki).toEqual(spkiOf(next));
    expect(new X509Certificate(published[1]!.certificatePem).raw).toEqual(
      new X509Certificate(next.certificatePem).raw,
    );
    // Published keys carry no signing capability.
    expect(published[1]).not.toHaveProperty('sign');
  });

  it('produces RSASSA-PKCS1-v1_5 SHA-256 signatures that verify with the certificate', async () => {
    const signer = await createLocalSigningKeys({ keys: [active] }).active();
    const data = Buffer.from('<ds:SignedInfo/>');
    const signature = await signer.sign(data);
    expect(signature).toHaveLength(256);
    expect(
      verify('sha256', data, new X509Certificate(active.certificatePem).publicKey, signature),
    ).toBe(true);
  });

  it('keeps the same kid across instances (restarts) and builds its keys once', async () => {
    const a = createLocalSigningKeys({ keys: [active, next] });
    const b = createLocalSigningKeys({ keys: [active, next] });
    expect((await a.published()).map((k) => k.kid)).toEqual(
      (await b.published()).map((k) => k.kid),
    );
    expect(await a.active()).toBe(await a.active());
    expect(await a.published()).toBe(await a.published());
    expect(Object.isFrozen(await a.active())).toBe(true);
  });

  it('accepts the same key as PKCS#1 PEM, with the same kid', async () => {
    const pkcs1 = createPrivateKey(active.privateKeyPem)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    const signer = await createLocalSigningKeys({
      keys: [{ privateKeyPem: pkcs1, certificatePem: active.certificatePem }],
    }).active();
    expect(signer.kid).toBe(computeKeyId(spkiOf(active)));
  });

  it.each([
    ['no key', () => []],
    ['a private key that does not parse', () => [{ ...active, privateKeyPem: 'not a key' }]],
    ['a certificate that does not parse', () => [{ ...active, certificatePem: 'not a cert' }]],
    [
      'a certificate for another key',
      () => [{ privateKeyPem: active.privateKeyPem, certificatePem: next.certificatePem }],
    ],
    ['the same key twice', () => [active, next, active]],
  ])('refuses %s (issuer_misconfigured)', (_, keys) => {
    expect(() => createLocalSigningKeys({ keys: keys() })).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured', status: 500 }),
    );
  });

  it.each([
    ['an EC key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
    ['RSA-1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
  ])('refuses %s (RSA ≥ 2048 only)', (_, make) => {
    const privateKeyPem = make().export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() =>
      createLocalSigningKeys({ keys: [{ privateKeyPem, certificatePem: active.certificatePem }] }),
    ).toThrow(expect.objectContaining({ code: 'issuer_misconfigured' }));
  });
});
