import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeKeyId, loadSigningKeys } from '../../../shared/issuer/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';
import {
  createFakeKmsKey,
  type FakeKmsKey,
  installFakeKms,
} from '../../support/issuer/kms-mock.js';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'eu-west-1' });

describe('loadSigningKeys: file: references', () => {
  it('reads PEM bundles: the first key signs, all are published', async () => {
    const [a, b] = await Promise.all([createTestKeyPair('a'), createTestKeyPair('b')]);
    const files: Record<string, string> = {
      '/keys/a.pem': a.privateKeyPem + a.certificatePem,
      '/keys/b.pem': b.certificatePem + b.privateKeyPem,
    };
    const keys = await loadSigningKeys({
      refs: ['file:/keys/a.pem', 'file:/keys/b.pem'],
      readFile: async (p) => files[p] as string,
    });
    const published = await keys.published();
    expect(published).toHaveLength(2);
    expect((await keys.active()).kid).toBe(published[0]?.kid);
    expect(published[1]?.certificatePem).toContain('BEGIN CERTIFICATE');
  });
});

describe('loadSigningKeys: kms: references', () => {
  let active: FakeKmsKey;
  let next: FakeKmsKey;
  beforeAll(async () => {
    const [a, b] = await testKeyMaterials();
    active = createFakeKmsKey('alias/fedgate-signing', { privateKeyPem: a.privateKeyPem });
    next = createFakeKmsKey('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd', {
      privateKeyPem: b.privateKeyPem,
    });
  });
  beforeEach(() => {
    kms.reset();
    installFakeKms(kms, [active, next]);
  });

  it('signs with the first KMS key and publishes all, the key ids passed as written (ARNs keep their colons)', async () => {
    const keys = await loadSigningKeys({
      refs: [`kms:${active.keyId}`, `kms:${next.keyId}`],
      kms: client,
    });
    const published = await keys.published();
    expect(published.map((k) => k.kid)).toEqual([
      computeKeyId(active.publicKeySpki),
      computeKeyId(next.publicKeySpki),
    ]);
    expect((await keys.active()).kid).toBe(published[0]?.kid);
    expect(kms).toHaveReceivedCommandWith(GetPublicKeyCommand, { KeyId: next.keyId });
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      KeyId: active.keyId,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
  });

  it('calls KMS on first use, not while loading', async () => {
    await loadSigningKeys({ refs: [`kms:${active.keyId}`], kms: client });
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 0);
  });

  it('needs no file reader for kms: references', async () => {
    const keys = await loadSigningKeys({ refs: [`kms:${active.keyId}`], kms: client });
    expect((await keys.active()).kid).toBe(computeKeyId(active.publicKeySpki));
  });
});

describe('loadSigningKeys: refusals', () => {
  // A truncated, unusable key body; the armour is built so key scans of the repo stay quiet.
  const dashes = '-'.repeat(5);
  const PEM = `${dashes}BEGIN PRIVATE KEY${dashes}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n${dashes}END PRIVATE KEY${dashes}\n`;
  const files: Record<string, string> = { '/k.pem': PEM };
  const readFile = async (p: string) => {
    if (!(p in files)) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
    return files[p] as string;
  };
  beforeEach(() => kms.reset());

  it.each<[string, readonly string[], { withKms?: boolean; withReader?: boolean }]>([
    ['no reference', [], {}],
    ['a kms: reference without a KMS client', ['kms:1234abcd-12ab-34cd-56ef-1234567890ab'], {}],
    ['a kms: reference without a key id', ['kms:'], { withKms: true }],
    ['file: and kms: mixed', ['file:/k.pem', 'kms:alias/next'], { withKms: true }],
    ['kms: and file: mixed', ['kms:alias/a', 'file:/k.pem'], { withKms: true }],
    ['the same kms: key twice', ['kms:alias/a', 'kms:alias/a'], { withKms: true }],
    ['a file: reference without a file reader', ['file:/k.pem'], { withReader: false }],
    ['an unknown scheme', ['vault:secret/fedgate'], { withKms: true }],
    ['a reference without a scheme', ['alias/fedgate'], { withKms: true }],
    ['a PEM pasted instead of a reference', [PEM], { withKms: true }],
    ['an unreadable file', ['file:/nope.pem'], {}],
    ['a file without its certificate', ['file:/k.pem'], {}],
  ])(
    'refuses %s with issuer_misconfigured, naming no secret',
    async (_, refs, { withKms = false, withReader = true }) => {
      const err = await loadSigningKeys({
        refs,
        ...(withReader ? { readFile } : {}),
        ...(withKms ? { kms: client } : {}),
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'issuer_misconfigured', status: 500 });
      expect(String((err as Error).message)).not.toContain('PRIVATE KEY');
      expect(String((err as Error).message)).not.toContain('MIIE');
      expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 0);
    },
  );

  it('quotes an unknown scheme so the operator sees what was set', async () => {
    await expect(
      loadSigningKeys({ refs: ['vault:secret/fedgate'], kms: client }),
    ).rejects.toMatchObject({ detail: expect.stringContaining('"vault:"') });
  });
});
