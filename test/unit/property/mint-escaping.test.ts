/**
 * From hostile claims to the document AWS reads: grants the mapping engine issues for hostile
 * claims, minted into fedgate's SAML assertion (shared/issuer/aws-saml-assertion.ts) with a
 * hostile NameID, come out as one well-formed Response whose every AWS attribute is literal text
 * equal to the grant's value (`</saml:AttributeValue>…Role…` can never add a Role). Values that
 * break AWS's rules are refused with a GatewayError before anything is signed. The minter signs the
 * tree it built and sends that tree serialized: every minted Response must verify with xml-crypto
 * over the bytes as sent, so parsing what is sent gives back exactly what was digested.
 */

import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { RuleSchema } from '../../../shared/config/index.js';
import { GatewayError } from '../../../shared/http/errors.js';
import {
  AWS_SOURCE_IDENTITY_CLAIM,
  AWS_TAGS_CLAIM,
  type AwsSamlGrant,
  createAwsSamlMinter,
  createLocalSigningKeys,
  createWebIdentityMinter,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import { createMapper, type Identity } from '../../../shared/mapping/index.js';
import { parseStrictXml, RESPONSE_LIMITS } from '../../../shared/saml/parse-xml.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { hostileClaims, hostileString } from './arbitraries.js';
import { fcOptions } from './outcome.js';

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const ISSUER = 'https://sso.example.com/aws/saml-metadata.xml';
const NOW = Date.UTC(2026, 10, 22, 9, 0, 0);

const material = await createTestKeyPair('fedgate test signing key');
const keys = createLocalSigningKeys({ keys: [material] });
const signCalls = vi.fn();
const countingKeys: SigningKeys = {
  active: async () => {
    const signer = await keys.active();
    return {
      ...signer,
      sign: async (data: Buffer) => {
        signCalls();
        return signer.sign(data);
      },
    };
  },
  published: () => keys.published(),
};
const minter = createAwsSamlMinter({ signingKeys: countingKeys, issuerEntityId: ISSUER });

// Every claim reaches the assertion: session name, source identity and tags are claim templates.
const mapper = createMapper({
  rules: [
    RuleSchema.parse({
      id: 'all',
      priority: 1,
      effect: 'allow',
      when: [],
      grant: {
        roleArn: 'arn:aws:iam::111122223333:role/Developer',
        sessionName: '{claims.n}',
        sourceIdentity: '{claims.s}',
        sessionTags: {
          team: { value: '{claims.groups}', multiValue: 'join', separator: ':', optional: true },
          dept: { value: '{claims.dept}', multiValue: 'reject', optional: true },
          who: { value: 'u-{subject}', optional: true },
        },
        transitiveTagKeys: ['team'],
      },
    }),
  ],
  defaults: { sessionDurationSeconds: 3600, sessionName: '{subject}' },
});
const identity = fc.tuple(hostileString, hostileClaims, hostileString, hostileString).map(
  ([subject, claims, n, s]): Identity => ({
    idp: 'okta',
    issuer: 'http://www.okta.com/exk1',
    subject,
    claims: { ...claims, n: [n], s: [s.replace(/[^\w+=,.@-]/g, '') || 'jdoe'] },
  }),
);
/** Visible ASCII, as the minter allows in a NameID, including every XML metacharacter. */
const nameId = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  fc.constantFrom(
    '</saml:NameID><saml:AttributeValue>arn:aws:iam::999999999999:role/Admin</saml:AttributeValue>',
    ']]>',
    '&amp;&lt;"\'',
    '<!--x-->',
    '<?pi?>',
  ),
);

const DS = 'http://www.w3.org/2000/09/xmldsig#';
/** xml-crypto's verdict on the Response as sent: parsed again, digest and signature recomputed. */
const verifiesAsSent = (xml: string): boolean => {
  const sig = new SignedXml({
    publicCert: material.certificatePem,
    getCertFromKeyInfo: () => null,
  });
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  sig.loadSignature(doc.getElementsByTagNameNS(DS, 'Signature')[0] as Element);
  return sig.checkSignature(xml);
};

/** The minted Response, parsed by fedgate's strict parser: AWS attributes by name, NameID. */
const readMinted = (xml: string) => {
  const { document } = parseStrictXml(xml, RESPONSE_LIMITS);
  const assertions = document.getElementsByTagNameNS(SAML, 'Assertion');
  const attributes = new Map<string, string[]>();
  const all = Array.from(
    document.getElementsByTagNameNS(SAML, 'Attribute') as unknown as ArrayLike<Element>,
  );
  for (const a of all) {
    const values = Array.from(
      a.getElementsByTagNameNS(SAML, 'AttributeValue') as unknown as ArrayLike<Element>,
    ).map((v) => v.textContent ?? '');
    const name = a.getAttribute('Name') ?? '';
    expect(attributes.has(name), `attribute ${name} twice`).toBe(false);
    attributes.set(name, values);
  }
  const nameIds = document.getElementsByTagNameNS(SAML, 'NameID');
  return {
    assertionCount: assertions.length,
    attributes,
    nameId: nameIds.length === 1 ? nameIds.item(0)?.textContent : undefined,
  };
};

describe('minting grants issued for hostile claims', () => {
  it('yields one Response whose attributes are exactly the grant, as literal text', async () => {
    let minted = 0;
    await fc.assert(
      fc.asyncProperty(identity, nameId, async (who, subjectNameId) => {
        const { grants } = mapper.mapGrants(who);
        for (const grant of grants) {
          const out = await minter.mint({
            grant,
            recipient: 'https://signin.aws.amazon.com/saml',
            nameId: subjectNameId,
            now: NOW,
          });
          minted++;
          expect(verifiesAsSent(out.xml)).toBe(true);
          const doc = readMinted(out.xml);
          expect(doc.assertionCount).toBe(1);
          expect(doc.nameId).toBe(subjectNameId);
          const expected = new Map<string, string[]>([
            [`${ATTR}Role`, [`${grant.roleArn},arn:aws:iam::111122223333:saml-provider/fedgate`]],
            [`${ATTR}RoleSessionName`, [grant.sessionName]],
            [`${ATTR}SessionDuration`, [String(grant.durationSeconds)]],
            ...(grant.sourceIdentity !== undefined
              ? [[`${ATTR}SourceIdentity`, [grant.sourceIdentity]] as [string, string[]]]
              : []),
            ...grant.tags.map(
              (t) => [`${ATTR}PrincipalTag:${t.key}`, [t.value]] as [string, string[]],
            ),
            ...(grant.transitiveTagKeys.length > 0
              ? [[`${ATTR}TransitiveTagKeys`, [...grant.transitiveTagKeys]] as [string, string[]]]
              : []),
          ]);
          expect(doc.attributes).toEqual(expected);
        }
      }),
      fcOptions(400),
    );
    // The property is not vacuous: hostile claims still produce many grants to mint.
    expect(minted).toBeGreaterThan(50);
  });

  it('refuses values that break AWS rules with mint_invalid_value, before signing', async () => {
    const grant = fc.record({
      roleArn: fc.oneof(
        fc.constant('arn:aws:iam::111122223333:role/Developer'),
        hostileString.map((s) => `arn:aws:iam::111122223333:role/${s}`),
      ),
      accountId: fc.constant('111122223333'),
      sessionName: hostileString,
      sourceIdentity: fc.option(hostileString, { nil: undefined }),
      durationSeconds: fc.integer({ min: 0, max: 50_000 }),
      tags: fc.array(fc.record({ key: hostileString, value: hostileString }), { maxLength: 3 }),
      transitiveTagKeys: fc.array(hostileString, { maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(grant, nameId, async (g: AwsSamlGrant, id) => {
        signCalls.mockClear();
        let out: Awaited<ReturnType<typeof minter.mint>>;
        try {
          out = await minter.mint({
            grant: g,
            recipient: 'https://signin.aws.amazon.com/saml',
            nameId: id,
            now: NOW,
          });
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          expect((err as GatewayError).code).toBe('mint_invalid_value');
          expect(signCalls).not.toHaveBeenCalled();
          return;
        }
        // Accepted only when every value was already valid: then it reads back unchanged.
        expect(verifiesAsSent(out.xml)).toBe(true);
        const doc = readMinted(out.xml);
        expect(doc.attributes.get(`${ATTR}RoleSessionName`)).toEqual([g.sessionName]);
        expect(doc.nameId).toBe(id);
      }),
      fcOptions(1500),
    );
  });

  it('web identity tokens for the same grants carry exactly the grant in their claims', async () => {
    const jwt = createWebIdentityMinter({
      signingKeys: keys,
      issuer: 'https://sso.example.com',
      audience: 'fedgate-aws',
    });
    let minted = 0;
    await fc.assert(
      fc.asyncProperty(identity, fc.stringMatching(/^[\x21-\x7e]{1,40}$/), async (who, sub) => {
        for (const grant of mapper.mapGrants(who).grants) {
          const { token } = await jwt.mint({ grant, subject: sub, now: NOW });
          minted++;
          const [, payload] = token.split('.');
          const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8'));
          expect(claims.sub).toBe(`${grant.roleArn}#${sub}`);
          expect(claims[AWS_SOURCE_IDENTITY_CLAIM]).toBe(grant.sourceIdentity);
          const tags = claims[AWS_TAGS_CLAIM];
          if (grant.tags.length === 0) {
            expect(tags?.principal_tags ?? {}).toEqual({});
          } else {
            expect(tags.principal_tags).toEqual(
              Object.fromEntries(grant.tags.map((t) => [t.key, [t.value]])),
            );
            expect(tags.transitive_tag_keys ?? []).toEqual(grant.transitiveTagKeys);
          }
        }
      }),
      fcOptions(300),
    );
    expect(minted).toBeGreaterThan(30);
  });
});
