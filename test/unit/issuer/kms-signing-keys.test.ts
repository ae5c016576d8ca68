import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  verify,
  X509Certificate,
} from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeKeyId,
  createLocalSigningKeys,
  type LocalKeyMaterial,
} from '../../../shared/issuer/index.js';
import {
  createKmsSigningKeys,
  KMS_CLIENT_DEFAULTS,
} from '../../../shared/issuer/kms-signing-keys.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';
import {
  createFakeKmsKey,
  type FakeKms,
  type FakeKmsKey,
  installFakeKms,
  kmsError,
  signDigestAsKms,
} from '../../support/issuer/kms-mock.js';
import { run } from '../../support/issuer/verifiers.js';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'eu-west-1' });
const ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

let materials: [LocalKeyMaterial, LocalKeyMaterial];
let active: FakeKmsKey;
let next: FakeKmsKey;
let fake: FakeKms;

beforeAll(async () => {
  materials = await testKeyMaterials();
  active = createFakeKmsKey('alias/fedgate-signing', { privateKeyPem: materials[0].privateKeyPem });
  next = createFakeKmsKey('1234abcd-12ab-34cd-56ef-1234567890ab', {
    privateKeyPem: materials[1].privateKeyPem,
  });
});

/** (Re)installs the fake KMS holding `keys` (copies: a test may change its own). */
const installKeys = (...keys: FakeKmsKey[]) => {
  kms.reset();
  fake = installFakeKms(kms, keys);
};
beforeEach(() => installKeys(active, next));

const keysFor = (keyIds: readonly string[] = [active.keyId, next.keyId], commonName?: string) =>
  createKmsSigningKeys({ kms: client, keyIds, ...(commonName ? { commonName } : {}) });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

describe('createKmsSigningKeys: keys and kids', () => {
  it('publishes every key, active first, with the local rule for kids (computeKeyId of the SPKI)', async () => {
    const keys = keysFor();
    const published = await keys.published();
    expect(published.map((k) => k.kid)).toEqual([
      computeKeyId(active.publicKeySpki),
      computeKeyId(next.publicKeySpki),
    ]);
    expect(published[0]?.publicKeySpki).toEqual(active.publicKeySpki);
    expect((await keys.active()).kid).toBe(published[0]?.kid);
    // Published keys carry no signing capability.
    expect(published[1]).not.toHaveProperty('sign');
    expect(Object.isFrozen(published)).toBe(true);
  });

  it('gives a key the kid it has as a local key file (a key imported into KMS keeps its kid)', async () => {
    const local = await createLocalSigningKeys({ keys: materials }).published();
    const viaKms = await keysFor().published();
    expect(viaKms.map((k) => k.kid)).toEqual(local.map((k) => k.kid));
  });

  it('derives the same kids and byte-identical certificates in every container', async () => {
    const a = await keysFor().published();
    const b = await keysFor().published();
    expect(b.map((k) => k.kid)).toEqual(a.map((k) => k.kid));
    expect(b.map((k) => k.certificatePem)).toEqual(a.map((k) => k.certificatePem));
  });

  it('accepts RSA_3072 keys', async () => {
    const big = createFakeKmsKey('alias/rsa-3072', { modulusLength: 3072 });
    installKeys(big);
    const signer = await keysFor([big.keyId]).active();
    expect(new X509Certificate(signer.certificatePem).publicKey.asymmetricKeyDetails).toMatchObject(
      { modulusLength: 3072 },
    );
    const data = Buffer.from('<ds:SignedInfo/>');
    expect(verify('sha256', data, createPublicKey(big.publicKeyPem), await signer.sign(data))).toBe(
      true,
    );
    // Generating an RSA-3072 key takes seconds on a busy 2-core machine.
  }, 30_000);
});

describe('createKmsSigningKeys: signing', () => {
  it('sends KMS the SHA-256 digest (MessageType DIGEST), never the document, and returns a signature that verifies', async () => {
    const signer = await keysFor().active();
    // Larger than KMS's 4,096-byte RAW limit: the digest is always 32 bytes.
    const data = Buffer.from(`<ds:SignedInfo>${'x'.repeat(10_000)}</ds:SignedInfo>`);
    const signature = await signer.sign(data);
    expect(signature).toHaveLength(256);
    expect(verify('sha256', data, createPublicKey(active.publicKeyPem), signature)).toBe(true);
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      KeyId: active.keyId,
      Message: sha256(data),
      MessageType: 'DIGEST',
      SigningAlgorithm: ALGORITHM,
    });
    for (const call of kms.commandCalls(SignCommand)) {
      expect(call.args[0].input.Message).toHaveLength(32);
      expect(call.args[0].input.MessageType).toBe('DIGEST');
    }
  });

  it('produces exactly the signature a local RSASSA-PKCS1-v1_5 SHA-256 signer produces', async () => {
    const data = Buffer.from('<ds:SignedInfo>same bytes</ds:SignedInfo>');
    const viaKms = await (await keysFor().active()).sign(data);
    const local = await (await createLocalSigningKeys({ keys: materials }).active()).sign(data);
    expect(viaKms).toEqual(local);
    expect(signDigestAsKms(active.privateKey, sha256(data))).toEqual(local);
  });

  it('calls GetPublicKey once per key and container, and builds each certificate once', async () => {
    const keys = keysFor();
    const signers = await Promise.all(Array.from({ length: 5 }, () => keys.active()));
    expect(new Set(signers).size).toBe(1);
    for (let i = 0; i < 5; i += 1) await signers[0]?.sign(Buffer.from(`document ${i}`));
    await keys.published();
    await keys.published();
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 2);
    expect(kms).toHaveReceivedCommandWith(GetPublicKeyCommand, { KeyId: active.keyId });
    expect(kms).toHaveReceivedCommandWith(GetPublicKeyCommand, { KeyId: next.keyId });
    // One self-signature per certificate, then one per document.
    expect(kms).toHaveReceivedCommandTimes(SignCommand, 2 + 5);
  });

  it('does not cache a failed GetPublicKey: the next call fetches again', async () => {
    fake.failNext('GetPublicKey', active.keyId, kmsError('ThrottlingException'));
    const keys = keysFor();
    await expect(keys.active()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    const signer = await keys.active();
    expect(signer.kid).toBe(computeKeyId(active.publicKeySpki));
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 2);
  });

  it('retries a failed certificate signature without fetching the public key again', async () => {
    fake.failNext(
      'Sign',
      active.keyId,
      kmsError('KMSInternalException', { fault: 'server', status: 500 }),
    );
    const keys = keysFor();
    await expect(keys.active()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    await keys.active();
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 1);
    expect(kms).toHaveReceivedCommandTimes(SignCommand, 2);
  });

  it('signs with the active key alone: a next key not usable yet breaks the metadata, not sign-in', async () => {
    fake.failNext('GetPublicKey', next.keyId, kmsError('AccessDeniedException'));
    const keys = keysFor();
    const signer = await keys.active();
    await signer.sign(Buffer.from('document'));
    expect(kms.commandCalls(GetPublicKeyCommand, { KeyId: next.keyId })).toHaveLength(0);
    await expect(keys.published()).rejects.toMatchObject({ code: 'issuer_misconfigured' });
    expect((await keys.published()).map((k) => k.kid)).toHaveLength(2);
  });
});

describe('createKmsSigningKeys: the published certificate', () => {
  let signer: Awaited<ReturnType<ReturnType<typeof keysFor>['active']>>;
  let certificate: X509Certificate;
  beforeEach(async () => {
    signer = await keysFor().active();
    certificate = new X509Certificate(signer.certificatePem);
  });

  it('carries the KMS public key and verifies with it (self-signed through KMS Sign)', () => {
    expect(certificate.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
      active.publicKeySpki,
    );
    expect(certificate.verify(createPublicKey(active.publicKeyPem))).toBe(true);
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      KeyId: active.keyId,
      MessageType: 'DIGEST',
      SigningAlgorithm: ALGORITHM,
    });
  });

  it('has a validity and serial derived from the key alone (2025-01-01 + 20 years, SHA-256 of the SPKI)', () => {
    expect(certificate.subject).toBe('CN=fedgate');
    expect(certificate.issuer).toBe('CN=fedgate');
    expect(new Date(certificate.validFrom).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2045-01-01T00:00:00.000Z');
    const serial = sha256(active.publicKeySpki).subarray(0, 16);
    serial[0] = (serial[0] as number) & 0x7f; // a positive INTEGER, no leading zero
    expect(certificate.serialNumber).toBe(
      serial
        .toString('hex')
        .toUpperCase()
        .replace(/^(00)+/, ''),
    );
  });

  it('takes the common name it is given', async () => {
    const named = await keysFor([active.keyId], 'fedgate prod signing').active();
    expect(new X509Certificate(named.certificatePem).subject).toBe('CN=fedgate prod signing');
  });

  it('reads as sha256WithRSAEncryption around the KMS public key with openssl', async () => {
    const text = await run('openssl', ['x509', '-noout', '-text'], signer.certificatePem);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(text.stdout).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text.stdout).toMatch(/Not Before: Jan {2}1 00:00:00 2025 GMT/);
    expect(text.stdout).toMatch(/Not After : Jan {2}1 00:00:00 2045 GMT/);
    const pubkey = await run('openssl', ['x509', '-noout', '-pubkey'], signer.certificatePem);
    expect(pubkey.code).toBe(0);
    expect(pubkey.stdout).toBe(active.publicKeyPem);
  });
});

describe('createKmsSigningKeys: a key that is not fedgate’s signing key', () => {
  const rsa1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const spkiOf = (key: ReturnType<typeof rsa1024>) => key.export({ type: 'spki', format: 'der' });
  it.each<[string, () => Partial<FakeKmsKey>]>([
    ['an ENCRYPT_DECRYPT key', () => ({ keyUsage: 'ENCRYPT_DECRYPT' })],
    ['an ECC_NIST_P256 key', () => ({ keySpec: 'ECC_NIST_P256' })],
    [
      'a key without RSASSA_PKCS1_V1_5_SHA_256 (PSS only)',
      () => ({ signingAlgorithms: ['RSASSA_PSS_SHA_256'] }),
    ],
    ['an answer without a public key', () => ({ publicKeySpki: Buffer.alloc(0) })],
    ['an RSA-1024 public key', () => ({ publicKeySpki: spkiOf(rsa1024()) })],
    ['an EC public key under an RSA KeySpec', () => ({ publicKeySpki: spkiOf(p256()) })],
  ])('refuses %s (issuer_misconfigured), signing nothing', async (_, change) => {
    installKeys({ ...active, ...change() });
    const err = await keysFor([active.keyId])
      .active()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'issuer_misconfigured', status: 500 });
    expect((err as Error).message).toContain(active.keyId);
    expect(kms).toHaveReceivedCommandTimes(SignCommand, 0);
  });

  it('refuses a signature by another key (issuer_misconfigured), naming no signature', async () => {
    const other = createFakeKmsKey('alias/other');
    installKeys({ ...active, signsWith: other.privateKey });
    const err = await keysFor([active.keyId])
      .active()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'issuer_misconfigured', status: 500 });
    expect((err as Error).message).toContain(active.arn);
    expect((err as Error).message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });

  it('refuses a Sign answer without a signature (issuer_misconfigured)', async () => {
    installKeys({ ...active, answersWithoutSignature: true });
    await expect(keysFor([active.keyId]).active()).rejects.toMatchObject({
      code: 'issuer_misconfigured',
    });
  });

  it('fetches the key again after a mismatch: an alias repointed under a warm container', async () => {
    const mine = { ...active };
    installKeys(mine);
    const keys = keysFor([mine.keyId]);
    const before = await keys.active();
    // The operator points the alias at another key: KMS now answers for that one.
    const other = createFakeKmsKey(mine.keyId);
    Object.assign(mine, other);
    await expect(before.sign(Buffer.from('document'))).rejects.toMatchObject({
      code: 'issuer_misconfigured',
    });
    const after = await keys.active();
    expect(after.kid).toBe(computeKeyId(other.publicKeySpki));
    expect(after.kid).not.toBe(before.kid);
    const data = Buffer.from('document');
    expect(
      verify('sha256', data, createPublicKey(other.publicKeyPem), await after.sign(data)),
    ).toBe(true);
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 2);
  });
});

describe('createKmsSigningKeys: KMS errors in the gateway’s error model', () => {
  const econnrefused = () =>
    Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
  const timeout = () => Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });
  const transient: [string, () => unknown][] = [
    ['ThrottlingException', () => kmsError('ThrottlingException')],
    [
      'KMSInternalException',
      () => kmsError('KMSInternalException', { fault: 'server', status: 500 }),
    ],
    [
      'KeyUnavailableException',
      () => kmsError('KeyUnavailableException', { fault: 'server', status: 500 }),
    ],
    [
      'DependencyTimeoutException',
      () => kmsError('DependencyTimeoutException', { fault: 'server', status: 503 }),
    ],
    ['a request timeout', timeout],
    ['a refused connection', econnrefused],
  ];
  const refusals: [string, string][] = [
    ['AccessDeniedException', 'kms:Sign and kms:GetPublicKey'],
    ['NotFoundException', 'SIGNING_KEY_REF'],
    ['DisabledException', 'enable it'],
    ['KMSInvalidStateException', 'pending deletion'],
    ['InvalidKeyUsageException', 'SIGN_VERIFY'],
    ['SomethingNewException', 'KMS code and message'],
  ];

  describe.each(['GetPublicKey', 'Sign'] as const)('on %s', (operation) => {
    const data = Buffer.from(
      '<ds:SignedInfo>secret-free but still not to be logged</ds:SignedInfo>',
    );
    /** Fails `operation` once, on the call that signs `data` (or fetches the key for it). */
    const failingCall = async (err: unknown) => {
      const keys = keysFor();
      if (operation === 'Sign') {
        const signer = await keys.active();
        fake.failNext('Sign', active.keyId, err);
        return signer.sign(data).catch((e: unknown) => e);
      }
      fake.failNext('GetPublicKey', active.keyId, err);
      return keys.active().catch((e: unknown) => e);
    };
    const expectNoSecrets = (err: unknown) => {
      const text = `${(err as Error).message} ${JSON.stringify(err)}`;
      for (const shown of [sha256(data).toString('hex'), sha256(data).toString('base64')]) {
        expect(text).not.toContain(shown);
      }
    };

    it.each(transient)('%s → 503 temporarily_unavailable (kms)', async (_, make) => {
      const err = await failingCall(make());
      expect(err).toMatchObject({
        status: 503,
        code: 'temporarily_unavailable',
        dependency: 'kms',
        expose: true,
      });
      expect((err as Error).message).toContain(`${operation} on KMS key ${active.keyId}`);
      expectNoSecrets(err);
    });

    it.each(refusals)('%s → issuer_misconfigured, saying what to fix', async (name, fix) => {
      const err = await failingCall(kmsError(name));
      expect(err).toMatchObject({ status: 500, code: 'issuer_misconfigured', expose: false });
      expect((err as { detail: string }).detail).toContain(fix);
      expect((err as { detail: string }).detail).toContain(name);
      expect((err as { detail: string }).detail).toContain('kms-req-1');
      expectNoSecrets(err);
    });
  });

  it('sends Sign the digest with the algorithm and key id it is configured with', async () => {
    fake.failNext('Sign', active.keyId, kmsError('AccessDeniedException'));
    await expect(keysFor().active()).rejects.toMatchObject({ code: 'issuer_misconfigured' });
    expect(kms).toHaveReceivedCommandWith(SignCommand, {
      MessageType: 'DIGEST',
      SigningAlgorithm: ALGORITHM,
      KeyId: active.keyId,
    });
  });

  it('names a key KMS does not know (NotFoundException) as issuer_misconfigured', async () => {
    await expect(keysFor(['alias/does-not-exist']).active()).rejects.toMatchObject({
      code: 'issuer_misconfigured',
      detail: expect.stringContaining('alias/does-not-exist'),
    });
  });
});

describe('createKmsSigningKeys: configuration', () => {
  it.each([
    ['no key id', []],
    ['an empty key id', ['']],
    ['the same key id twice', ['alias/a', 'alias/b', 'alias/a']],
  ])('refuses %s at once (issuer_misconfigured), calling nothing', (_, keyIds) => {
    expect(() => createKmsSigningKeys({ kms: client, keyIds })).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured', status: 500 }),
    );
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 0);
  });

  it('refuses two key ids that name the same key (published: issuer_misconfigured)', async () => {
    installKeys(active, { ...active, keyId: active.arn });
    const keys = keysFor([active.keyId, active.arn]);
    await keys.active();
    await expect(keys.published()).rejects.toMatchObject({
      code: 'issuer_misconfigured',
      detail: expect.stringContaining('name the same key'),
    });
  });

  it('calls KMS only when a key is first used', () => {
    keysFor();
    expect(kms).toHaveReceivedCommandTimes(GetPublicKeyCommand, 0);
    expect(kms).toHaveReceivedCommandTimes(SignCommand, 0);
  });
});

describe('KMS_CLIENT_DEFAULTS', () => {
  it('fails fast: 3 attempts, 1 s to connect, 3 s per request, and a timeout that throws', async () => {
    expect(KMS_CLIENT_DEFAULTS).toEqual({
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: 1000,
        requestTimeout: 3000,
        throwOnRequestTimeout: true,
      },
    });
    const configured = new KMSClient({ region: 'eu-west-1', ...KMS_CLIENT_DEFAULTS });
    expect(await configured.config.maxAttempts()).toBe(3);
    configured.destroy();
  });
});
