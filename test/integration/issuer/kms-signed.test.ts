/**
 * What fedgate mints through a KMS key (issue #5), checked by verifiers that share no code with
 * fedgate (SECURITY.md §5): xmlsec1 against the certificate fedgate publishes for the KMS key, and
 * python3-onelogin-saml2 in strict mode configured as AWS's SP, then from the metadata published
 * during a rotation. The documents' shape does not depend on where the key lives, so schema
 * validation stays in independent-verifiers.test.ts. KMS is aws-sdk-client-mock computing each Sign answer with a local RSA key
 * from the digest alone, as KMS does.
 */
import { X509Certificate } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAwsIdpMetadata,
  computeKeyId,
  createAwsSamlMinter,
  type MintedAwsSamlResponse,
  type PublishedKey,
} from '../../../shared/issuer/index.js';
import { createKmsSigningKeys } from '../../../shared/issuer/kms-signing-keys.js';
import {
  GLOBAL_RECIPIENT,
  ISSUER,
  NAME_ID,
  sampleGrant,
  testKeyMaterials,
} from '../../support/issuer/fixtures.js';
import {
  createFakeKmsKey,
  type FakeKmsKey,
  installFakeKms,
} from '../../support/issuer/kms-mock.js';
import {
  createWorkdir,
  parseIdpMetadataWithOnelogin,
  verifyWithOnelogin,
  verifyWithXmlsec1,
  type Workdir,
} from '../../support/issuer/verifiers.js';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'eu-west-1' });

let active: FakeKmsKey;
let next: FakeKmsKey;
let work: Workdir;

beforeAll(async () => {
  const [a, b] = await testKeyMaterials();
  active = createFakeKmsKey('alias/fedgate-signing', { privateKeyPem: a.privateKeyPem });
  next = createFakeKmsKey('alias/fedgate-signing-next', { privateKeyPem: b.privateKeyPem });
  work = await createWorkdir();
});
afterAll(() => work?.remove());

const input = () => ({
  grant: sampleGrant(),
  recipient: GLOBAL_RECIPIENT,
  nameId: NAME_ID,
  now: Date.now(),
});

/** A minter over KMS keys, the first signing, and what it publishes. */
const kmsMinter = async (keyIds: readonly string[]) => {
  const signingKeys = createKmsSigningKeys({ kms: client, keyIds });
  const minter = createAwsSamlMinter({ signingKeys, issuerEntityId: ISSUER });
  return { minter, published: await signingKeys.published() };
};

const awsSp = (minted: MintedAwsSamlResponse, idpCerts: readonly string[]) => ({
  samlResponse: minted.samlResponseB64,
  idpEntityId: ISSUER,
  idpCerts,
  spEntityId: GLOBAL_RECIPIENT,
  acsUrl: GLOBAL_RECIPIENT,
});

describe('a SAML Response for AWS signed by a KMS key', () => {
  let minted: MintedAwsSamlResponse;
  let published: readonly PublishedKey[];
  let xmlPath: string;
  let activeCertPath: string;
  let nextCertPath: string;
  beforeAll(async () => {
    kms.reset();
    installFakeKms(kms, [active, next]);
    const made = await kmsMinter([active.keyId, next.keyId]);
    published = made.published;
    minted = await made.minter.mint(input());
    xmlPath = await work.write('kms-signed.xml', minted.xml);
    activeCertPath = await work.write('kms-active.cert.pem', published[0]?.certificatePem ?? '');
    nextCertPath = await work.write('kms-next.cert.pem', published[1]?.certificatePem ?? '');
  });

  it('was signed through KMS Sign with a digest, never the document', () => {
    const signs = kms.commandCalls(SignCommand);
    // Two certificate self-signatures, then the assertion's SignedInfo.
    expect(signs).toHaveLength(3);
    for (const call of signs) {
      expect(call.args[0].input).toMatchObject({
        MessageType: 'DIGEST',
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      });
      expect(call.args[0].input.Message).toHaveLength(32);
    }
    expect(signs.at(-1)?.args[0].input.KeyId).toBe(active.keyId);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(2);
  });

  it('carries the published certificate of the KMS key in KeyInfo', () => {
    const certificate = new X509Certificate(published[0]?.certificatePem ?? '');
    expect(minted.xml).toContain(
      `<ds:X509Certificate>${certificate.raw.toString('base64')}</ds:X509Certificate>`,
    );
  });

  it('xmlsec1 verifies it with the certificate published for the KMS key', async () => {
    const result = await verifyWithXmlsec1(xmlPath, activeCertPath);
    expect(result.stderr).toMatch(/^OK$/m);
    expect(result.stderr).toMatch(/SignedInfo References \(ok\/all\): 1\/1/);
    expect(result.code).toBe(0);
  });

  it('xmlsec1 fails it with the next key’s certificate (published, not signing)', async () => {
    const result = await verifyWithXmlsec1(xmlPath, nextCertPath);
    expect(result.stderr).toMatch(/^FAIL$/m);
    expect(result.code).not.toBe(0);
  });

  it('python3-onelogin-saml2 (strict, as AWS’s SP) accepts it with the KMS key’s certificate', async () => {
    const verdict = await verifyWithOnelogin(awsSp(minted, [published[0]?.certificatePem ?? '']));
    expect(verdict.error).toBeNull();
    expect(verdict.valid).toBe(true);
    expect(verdict.assertionId).toBe(minted.assertionId);
    expect(verdict.algorithms).toEqual({
      signature: ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'],
      digest: ['http://www.w3.org/2001/04/xmlenc#sha256'],
    });
  });

  it('python3-onelogin-saml2 rejects it with only the next key’s certificate', async () => {
    const verdict = await verifyWithOnelogin(awsSp(minted, [published[1]?.certificatePem ?? '']));
    expect(verdict.valid).toBe(false);
  });
});

describe('IdP metadata from KMS keys during a rotation', () => {
  let xml: string;
  let published: readonly PublishedKey[];
  beforeAll(async () => {
    kms.reset();
    installFakeKms(kms, [active, next]);
    published = await createKmsSigningKeys({
      kms: client,
      keyIds: [active.keyId, next.keyId],
    }).published();
    xml = buildAwsIdpMetadata({ entityId: ISSUER, keys: published });
  });

  it('lists both KMS keys, active first, under their two key ids', async () => {
    expect(published.map((k) => k.kid)).toEqual([
      computeKeyId(active.publicKeySpki),
      computeKeyId(next.publicKeySpki),
    ]);
    expect(new Set(published.map((k) => k.kid)).size).toBe(2);
    const parsed = await parseIdpMetadataWithOnelogin(xml);
    expect(parsed.entityId).toBe(ISSUER);
    expect(parsed.signingCerts).toEqual(
      published.map((k) => new X509Certificate(k.certificatePem).raw.toString('base64')),
    );
  });

  it('is the same document in every container (the certificates are derived from the keys alone)', async () => {
    const again = await createKmsSigningKeys({
      kms: client,
      keyIds: [active.keyId, next.keyId],
    }).published();
    expect(buildAwsIdpMetadata({ entityId: ISSUER, keys: again })).toBe(xml);
  });

  it('lets an SP configured from it accept responses from the active key and, after rotation, the next', async () => {
    const { signingCerts } = await parseIdpMetadataWithOnelogin(xml);
    for (const keyIds of [
      [active.keyId, next.keyId],
      [next.keyId, active.keyId],
    ]) {
      const { minter, published: now } = await kmsMinter(keyIds);
      const minted = await minter.mint(input());
      const verdict = await verifyWithOnelogin(awsSp(minted, signingCerts));
      expect(verdict.error).toBeNull();
      expect(verdict.valid).toBe(true);
      const name = `rotation-${keyIds[0]?.replace(/\W/g, '-')}`;
      const path = await work.write(`${name}.xml`, minted.xml);
      const signerCert = await work.write(`${name}.cert.pem`, now[0]?.certificatePem ?? '');
      const xmlsec = await verifyWithXmlsec1(path, signerCert);
      expect(xmlsec.stderr).toMatch(/^OK$/m);
      expect(xmlsec.code).toBe(0);
    }
  });
});
