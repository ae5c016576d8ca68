/**
 * Every document fedgate mints for AWS, checked by verifiers that share no code with fedgate
 * (SECURITY.md §5): xmlsec1 (the signature, against the published certificate only), xmllint
 * (the SAML 2.0 schemas, offline) and python3-onelogin-saml2 in strict mode configured as AWS's SP
 * (signature, issuer, audience, destination, recipient, times, attributes).
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsSamlGrant,
  type AwsSamlMintInput,
  buildAwsIdpMetadata,
  createAwsSamlMinter,
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type MintedAwsSamlResponse,
} from '../../../shared/issuer/index.js';
import {
  GLOBAL_RECIPIENT,
  ISSUER,
  NAME_ID,
  REGIONAL_RECIPIENT,
  sampleGrant,
  testKeyMaterials,
} from '../../support/issuer/fixtures.js';
import {
  createWorkdir,
  METADATA_SCHEMA,
  type OneloginRequest,
  PROTOCOL_SCHEMA,
  parseIdpMetadataWithOnelogin,
  validateWithXmllint,
  verifyWithOnelogin,
  verifyWithXmlsec1,
  type Workdir,
} from '../../support/issuer/verifiers.js';

const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const URN_AUDIENCE = 'urn:amazon:webservices';

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let work: Workdir;
let activeCertPath: string;
let nextCertPath: string;

beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  work = await createWorkdir();
  activeCertPath = await work.write('active.cert.pem', active.certificatePem);
  nextCertPath = await work.write('next.cert.pem', next.certificatePem);
});
afterAll(() => work?.remove());

/**
 * onelogin's reading of an AttributeValue: trimmed (Python's `str.strip`), and dropped when empty.
 * An empty tag value is minted as an empty AttributeValue (the unit tests pin that).
 */
const asOneloginReads = (value: string): string[] => (value.trim() ? [value.trim()] : []);

/** What onelogin must read back from the assertion: exactly the grant. */
const expectedAttributes = (grant: AwsSamlGrant, principalArn: string) => ({
  [`${ATTR}Role`]: [`${grant.roleArn},${principalArn}`],
  [`${ATTR}RoleSessionName`]: [grant.sessionName],
  [`${ATTR}SessionDuration`]: [String(grant.durationSeconds)],
  ...(grant.sourceIdentity !== undefined
    ? { [`${ATTR}SourceIdentity`]: [grant.sourceIdentity] }
    : {}),
  ...Object.fromEntries(
    grant.tags.map((t) => [`${ATTR}PrincipalTag:${t.key}`, asOneloginReads(t.value)]),
  ),
  ...(grant.transitiveTagKeys.length > 0
    ? { [`${ATTR}TransitiveTagKeys`]: [...grant.transitiveTagKeys] }
    : {}),
});

interface Case {
  name: string;
  input: Omit<AwsSamlMintInput, 'now'>;
  audience?: string;
}

const cases: Case[] = [
  {
    name: 'a grant with tags, transitive keys and a source identity (global endpoint)',
    input: { grant: sampleGrant(), recipient: GLOBAL_RECIPIENT, nameId: NAME_ID },
  },
  {
    name: 'a regional sign-in endpoint',
    input: { grant: sampleGrant(), recipient: REGIONAL_RECIPIENT, nameId: NAME_ID },
  },
  {
    name: 'no tags and no source identity, Audience urn:amazon:webservices',
    input: {
      grant: {
        roleArn: 'arn:aws:iam::444455556666:role/ReadOnly',
        accountId: '444455556666',
        sessionName: 'jdoe',
        durationSeconds: 43_200,
        tags: [],
        transitiveTagKeys: [],
      },
      recipient: GLOBAL_RECIPIENT,
      nameId: NAME_ID,
    },
    audience: URN_AUDIENCE,
  },
  {
    name: 'tag values from the whole tag charset (LINE SEPARATOR, NBSP, CJK, astral) and a NameID with markup',
    input: {
      grant: sampleGrant({
        tags: [
          { key: 'name', value: 'Zoë Ångström 中文 𝒜' },
          { key: 'separators', value: 'a\u00a0b\u2028c\u2029d\u3000e' },
          { key: 'symbols', value: '_.:/=+-@ 0123' },
          { key: 'schlüssel/ü:1', value: '' },
        ],
        transitiveTagKeys: ['separators'],
      }),
      recipient: GLOBAL_RECIPIENT,
      nameId: `x</saml:NameID><saml:NameID>evil]]>&amp;"'`,
    },
  },
  {
    name: '50 tags of the longest keys and values AWS allows',
    input: {
      grant: sampleGrant({
        tags: Array.from({ length: 50 }, (_, i) => ({
          key: `k${String(i).padStart(2, '0')}${'K'.repeat(125)}`,
          value: `${'v'.repeat(255)}${i % 10}`,
        })),
        transitiveTagKeys: [],
      }),
      recipient: GLOBAL_RECIPIENT,
      nameId: NAME_ID,
    },
  },
];

const minterFor = (keys: LocalKeyMaterial[], audience?: string) =>
  createAwsSamlMinter({
    signingKeys: createLocalSigningKeys({ keys }),
    issuerEntityId: ISSUER,
    ...(audience ? { audience } : {}),
  });

/** AWS's SP as onelogin sees it: the Audience is its entity id, the Recipient its ACS URL. */
const awsSp = (
  minted: MintedAwsSamlResponse,
  c: Case,
  overrides: Partial<OneloginRequest> = {},
): OneloginRequest => ({
  samlResponse: minted.samlResponseB64,
  idpEntityId: ISSUER,
  idpCerts: [active.certificatePem],
  spEntityId: c.audience ?? GLOBAL_RECIPIENT,
  acsUrl: c.input.recipient,
  ...overrides,
});

describe.each(cases)('minted for AWS: $name', (c) => {
  let minted: MintedAwsSamlResponse;
  let xmlPath: string;
  beforeAll(async () => {
    minted = await minterFor([active, next], c.audience).mint({ ...c.input, now: Date.now() });
    xmlPath = await work.write(`${minted.assertionId}.xml`, minted.xml);
  });

  it('xmlsec1 verifies the signature with the active certificate', async () => {
    const result = await verifyWithXmlsec1(xmlPath, activeCertPath);
    expect(result.stderr).toMatch(/^OK$/m);
    expect(result.stderr).toMatch(/SignedInfo References \(ok\/all\): 1\/1/);
    expect(result.code).toBe(0);
  });

  it('xmlsec1 fails it with another key (the next one, published but not signing)', async () => {
    const result = await verifyWithXmlsec1(xmlPath, nextCertPath);
    expect(result.stderr).toMatch(/^FAIL$/m);
    expect(result.code).not.toBe(0);
  });

  it('is valid against saml-schema-protocol-2.0.xsd (xmllint, offline)', async () => {
    const result = await validateWithXmllint(xmlPath, PROTOCOL_SCHEMA);
    expect(result.stderr).toContain('validates');
    expect(result.code).toBe(0);
  });

  it('python3-onelogin-saml2 (strict, as AWS’s SP) accepts it and reads the grant back', async () => {
    const verdict = await verifyWithOnelogin(awsSp(minted, c));
    expect(verdict.error).toBeNull();
    expect(verdict.valid).toBe(true);
    expect(verdict.attributes).toEqual(expectedAttributes(c.input.grant, minted.principalArn));
    expect(verdict.nameId).toBe(c.input.nameId);
    expect(verdict.nameIdFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(verdict.assertionId).toBe(minted.assertionId);
    expect(verdict.issuers).toEqual([ISSUER]);
    expect(verdict.audiences).toEqual([c.audience ?? GLOBAL_RECIPIENT]);
    expect(verdict.algorithms).toEqual({
      signature: ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'],
      digest: ['http://www.w3.org/2001/04/xmlenc#sha256'],
    });
  });
});

describe('tampering and misdirection are caught by the independent verifiers', () => {
  const c = cases[0] as Case;
  let minted: MintedAwsSamlResponse;
  beforeAll(async () => {
    minted = await minterFor([active, next]).mint({ ...c.input, now: Date.now() });
  });

  /** The same document with one byte changed. */
  const tamper = (from: string, to: string) => {
    expect(minted.xml).toContain(from);
    return minted.xml.replace(from, to);
  };
  const tampered: [string, () => string][] = [
    [
      'a tag value (one byte)',
      () =>
        tamper(
          '<saml:AttributeValue>platform</saml:AttributeValue>',
          '<saml:AttributeValue>plAtform</saml:AttributeValue>',
        ),
    ],
    [
      'the role (one digit of the account)',
      () => tamper('role/platform/Developer', 'role/platform/Developes'),
    ],
    [
      'the SignatureValue (one base64 character)',
      () =>
        minted.xml.replace(
          /<ds:SignatureValue>(.)/,
          (_, ch: string) => `<ds:SignatureValue>${ch === 'A' ? 'B' : 'A'}`,
        ),
    ],
  ];

  it.each(tampered)('xmlsec1 and onelogin reject a change to %s', async (_, make) => {
    const xml = make();
    expect(xml).not.toBe(minted.xml);
    const path = await work.write(`tampered-${Math.random().toString(36).slice(2)}.xml`, xml);
    const xmlsec = await verifyWithXmlsec1(path, activeCertPath);
    expect(xmlsec.stderr).toMatch(/^FAIL$/m);
    expect(xmlsec.code).not.toBe(0);
    const verdict = await verifyWithOnelogin(
      awsSp(minted, c, { samlResponse: Buffer.from(xml, 'utf8').toString('base64') }),
    );
    expect(verdict.valid).toBe(false);
  });

  it.each([
    ['another IdP certificate', () => ({ idpCerts: [next.certificatePem] })],
    ['another IdP entity id', () => ({ idpEntityId: 'https://other.example.com/idp' })],
    ['another Audience', () => ({ spEntityId: URN_AUDIENCE })],
    ['another sign-in endpoint', () => ({ acsUrl: REGIONAL_RECIPIENT })],
  ])('onelogin rejects it for %s', async (_, overrides) => {
    const verdict = await verifyWithOnelogin(awsSp(minted, c, overrides()));
    expect(verdict.valid).toBe(false);
    expect(verdict.error).toEqual(expect.any(String));
  });

  it('onelogin rejects an expired one (NotOnOrAfter in the past)', async () => {
    const old = await minterFor([active]).mint({
      ...c.input,
      now: Date.now() - 15 * 60_000,
      lifetimeSeconds: 60,
    });
    const verdict = await verifyWithOnelogin(awsSp(old, c));
    expect(verdict.valid).toBe(false);
  });
});

describe('IdP metadata for the IAM SAML provider', () => {
  let xml: string;
  let path: string;
  beforeAll(async () => {
    const keys = await createLocalSigningKeys({ keys: [active, next] }).published();
    xml = buildAwsIdpMetadata({ entityId: ISSUER, keys });
    path = await work.write('idp-metadata.xml', xml);
  });

  it('is valid against saml-schema-metadata-2.0.xsd (xmllint, offline)', async () => {
    const result = await validateWithXmllint(path, METADATA_SCHEMA);
    expect(result.stderr).toContain('validates');
    expect(result.code).toBe(0);
  });

  it('reads back with onelogin’s IdP metadata parser: entity id, SSO URL, both signing certificates', async () => {
    const parsed = await parseIdpMetadataWithOnelogin(xml);
    expect(parsed).toEqual({
      entityId: ISSUER,
      ssoUrl: 'https://sso.example.com/',
      signingCerts: [active, next].map((m) =>
        new X509Certificate(m.certificatePem).raw.toString('base64'),
      ),
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    });
  });

  it('lets an SP configured from it accept responses from the active key and, after rotation, the next', async () => {
    const { signingCerts } = await parseIdpMetadataWithOnelogin(xml);
    const c = cases[0] as Case;
    for (const keys of [
      [active, next],
      [next, active],
    ]) {
      const minted = await minterFor(keys).mint({ ...c.input, now: Date.now() });
      const verdict = await verifyWithOnelogin(awsSp(minted, c, { idpCerts: signingCerts }));
      expect(verdict.error).toBeNull();
      expect(verdict.valid).toBe(true);
    }
  });
});
