import { verify, X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { DependencyUnavailableError } from '../../../shared/http/errors.js';
import {
  type AwsSamlGrant,
  type AwsSamlMinterOptions,
  type AwsSamlMintInput,
  createAwsSamlMinter,
  createLocalSigningKeys,
  type LocalKeyMaterial,
  MAX_SAML_RESPONSE_BASE64_LENGTH,
  type Signer,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import {
  GLOBAL_RECIPIENT,
  ISSUER,
  NAME_ID,
  NOW,
  REGIONAL_RECIPIENT,
  sampleGrant,
  testKeyMaterials,
} from '../../support/issuer/fixtures.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const ATTR = 'https://aws.amazon.com/SAML/Attributes/';
const ID = /^_[0-9a-f]{32}$/;

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let signingKeys: SigningKeys;
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  signingKeys = createLocalSigningKeys({ keys: [active, next] });
});

const minter = (opts: Partial<AwsSamlMinterOptions> = {}) =>
  createAwsSamlMinter({ signingKeys, issuerEntityId: ISSUER, ...opts });
const mintInput = (overrides: Partial<AwsSamlMintInput> = {}): AwsSamlMintInput => ({
  grant: sampleGrant(),
  recipient: GLOBAL_RECIPIENT,
  nameId: NAME_ID,
  now: NOW,
  ...overrides,
});
const mint = (overrides: Partial<AwsSamlMintInput> = {}, opts?: Partial<AwsSamlMinterOptions>) =>
  minter(opts).mint(mintInput(overrides));

/** A spy over the real signer: counts calls, and answers only after a macrotask (like KMS). */
const spySigningKeys = (inner: () => Promise<Signer>) => {
  const sign = vi.fn(async (data: Buffer) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return (await inner()).sign(data);
  });
  const keys: SigningKeys = {
    active: async () => ({ ...(await inner()), sign }),
    published: () => signingKeys.published(),
  };
  return { keys, sign };
};

const children = (el: Element, ns: string, name: string): Element[] =>
  Array.from(el.childNodes).filter(
    (n): n is Element =>
      n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name,
  );
const only = (el: Element, ns: string, name: string): Element => {
  const found = children(el, ns, name);
  expect(found, `${name} under ${el.localName}`).toHaveLength(1);
  return found[0] as Element;
};

/** The minted document, parsed by a plain DOM parser (structure only; signatures are checked below and in integration). */
const read = (xml: string) => {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const response = doc.documentElement as Element;
  const assertions = doc.getElementsByTagNameNS(SAML, 'Assertion');
  const assertion = only(response, SAML, 'Assertion');
  const subject = only(assertion, SAML, 'Subject');
  const confirmations = children(subject, SAML, 'SubjectConfirmation');
  const conditions = only(assertion, SAML, 'Conditions');
  const authn = only(assertion, SAML, 'AuthnStatement');
  const attributes = children(only(assertion, SAML, 'AttributeStatement'), SAML, 'Attribute').map(
    (a) => [a.getAttribute('Name'), children(a, SAML, 'AttributeValue').map((v) => v.textContent)],
  );
  return {
    doc,
    response,
    assertion,
    assertionCount: assertions.length,
    signatures: doc.getElementsByTagNameNS(DS, 'Signature'),
    subject,
    confirmations,
    conditions,
    authn,
    attributes,
    text: (el: Element, ns: string, name: string) => only(el, ns, name).textContent,
  };
};

describe('createAwsSamlMinter: the minted Response', () => {
  it('is one Response with one signed Assertion holding everything AWS reads', async () => {
    const minted = await mint();
    const r = read(minted.xml);

    expect(r.response.namespaceURI).toBe(SAMLP);
    expect(r.response.localName).toBe('Response');
    expect(r.response.getAttribute('Version')).toBe('2.0');
    expect(r.response.getAttribute('ID')).toMatch(ID);
    expect(r.response.getAttribute('IssueInstant')).toBe('2026-03-01T12:00:00Z');
    expect(r.response.getAttribute('Destination')).toBe(GLOBAL_RECIPIENT);
    expect(r.text(r.response, SAML, 'Issuer')).toBe(ISSUER);
    expect(only(only(r.response, SAMLP, 'Status'), SAMLP, 'StatusCode').getAttribute('Value')).toBe(
      'urn:oasis:names:tc:SAML:2.0:status:Success',
    );

    expect(r.assertionCount).toBe(1);
    expect(r.assertion.getAttribute('ID')).toBe(minted.assertionId);
    expect(minted.assertionId).toMatch(ID);
    expect(r.assertion.getAttribute('Version')).toBe('2.0');
    expect(r.assertion.getAttribute('IssueInstant')).toBe('2026-03-01T12:00:00Z');
    expect(r.text(r.assertion, SAML, 'Issuer')).toBe(ISSUER);

    const nameId = only(r.subject, SAML, 'NameID');
    expect(nameId.textContent).toBe(NAME_ID);
    expect(nameId.getAttribute('Format')).toBe(
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    );
    expect(r.confirmations).toHaveLength(1);
    const confirmation = r.confirmations[0] as Element;
    expect(confirmation.getAttribute('Method')).toBe('urn:oasis:names:tc:SAML:2.0:cm:bearer');
    const data = only(confirmation, SAML, 'SubjectConfirmationData');
    expect(data.getAttribute('Recipient')).toBe(GLOBAL_RECIPIENT);
    expect(data.getAttribute('NotOnOrAfter')).toBe('2026-03-01T12:02:00Z');
    expect(data.hasAttribute('NotBefore')).toBe(false);
    expect(data.hasAttribute('InResponseTo')).toBe(false);

    expect(r.conditions.getAttribute('NotBefore')).toBe('2026-03-01T12:00:00Z');
    expect(r.conditions.getAttribute('NotOnOrAfter')).toBe('2026-03-01T12:02:00Z');
    expect(
      children(only(r.conditions, SAML, 'AudienceRestriction'), SAML, 'Audience').map(
        (a) => a.textContent,
      ),
    ).toEqual(['https://signin.aws.amazon.com/saml']);

    expect(r.authn.getAttribute('AuthnInstant')).toBe('2026-03-01T12:00:00Z');
    const sessionIndex = r.authn.getAttribute('SessionIndex');
    expect(sessionIndex).toMatch(ID);
    expect(new Set([sessionIndex, minted.assertionId, r.response.getAttribute('ID')]).size).toBe(3);
    expect(
      only(only(r.authn, SAML, 'AuthnContext'), SAML, 'AuthnContextClassRef').textContent,
    ).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified');

    expect(minted.principalArn).toBe('arn:aws:iam::111122223333:saml-provider/fedgate');
    expect(r.attributes).toEqual([
      [
        `${ATTR}Role`,
        [
          'arn:aws:iam::111122223333:role/platform/Developer,arn:aws:iam::111122223333:saml-provider/fedgate',
        ],
      ],
      [`${ATTR}RoleSessionName`, ['jane.doe@example.com']],
      [`${ATTR}SessionDuration`, ['3600']],
      [`${ATTR}SourceIdentity`, ['jdoe']],
      [`${ATTR}PrincipalTag:team`, ['platform']],
      [`${ATTR}PrincipalTag:costCenter`, ['cc-4711']],
      [`${ATTR}PrincipalTag:department`, ['Platform Engineering']],
      [`${ATTR}TransitiveTagKeys`, ['team', 'costCenter']],
    ]);
    for (const attribute of children(
      only(r.assertion, SAML, 'AttributeStatement'),
      SAML,
      'Attribute',
    )) {
      expect(attribute.getAttribute('NameFormat')).toBe(
        'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
      );
    }
    expect(minted.notOnOrAfter).toBe(Date.UTC(2026, 2, 1, 12, 2, 0));
    expect(Buffer.from(minted.samlResponseB64, 'base64').toString('utf8')).toBe(minted.xml);
  });

  it('signs the Assertion: enveloped RSA-SHA256 over exclusive c14n, one Reference, after the Issuer', async () => {
    const minted = await mint();
    const r = read(minted.xml);
    expect(r.signatures).toHaveLength(1);
    const signature = r.signatures[0] as Element;
    // SAML Core §2.3.3: Issuer, then Signature, then Subject.
    expect(signature.parentNode).toBe(r.assertion);
    expect((signature.previousSibling as Element).localName).toBe('Issuer');
    const signedInfo = only(signature, DS, 'SignedInfo');
    expect(only(signedInfo, DS, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    );
    expect(only(signedInfo, DS, 'SignatureMethod').getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    );
    const reference = only(signedInfo, DS, 'Reference');
    expect(reference.getAttribute('URI')).toBe(`#${minted.assertionId}`);
    expect(
      children(only(reference, DS, 'Transforms'), DS, 'Transform').map((t) =>
        t.getAttribute('Algorithm'),
      ),
    ).toEqual([
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ]);
    expect(only(reference, DS, 'DigestMethod').getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2001/04/xmlenc#sha256',
    );
    const certificate = only(
      only(only(signature, DS, 'KeyInfo'), DS, 'X509Data'),
      DS,
      'X509Certificate',
    );
    expect(certificate.textContent).toBe(
      new X509Certificate(active.certificatePem).raw.toString('base64'),
    );
    // No whitespace text nodes anywhere (the enveloped transform keeps text, so there is none).
    expect(minted.xml).not.toMatch(/>\s+</);
  });

  it('verifies with xml-crypto against the active certificate only (a sanity check; independent verifiers run in integration)', async () => {
    const { xml, assertionId } = await mint();
    const check = (cert: string) => {
      const sig = new SignedXml({ publicCert: cert, getCertFromKeyInfo: () => null });
      const doc = new DOMParser().parseFromString(xml, 'text/xml');
      sig.loadSignature(doc.getElementsByTagNameNS(DS, 'Signature')[0] as Element);
      return { valid: sig.checkSignature(xml), references: sig.getSignedReferences() };
    };
    const ok = check(active.certificatePem);
    expect(ok.valid).toBe(true);
    expect(ok.references).toHaveLength(1);
    expect(ok.references[0]).toContain(`ID="${assertionId}"`);
    expect(() => check(next.certificatePem)).toThrow();
  });

  it('signs the tree it sends: separators and empty values verify over the bytes as parsed again', async () => {
    // xmldom reads a literal NEL or LINE SEPARATOR as LF; sent as character references they come
    // back as themselves, so the digest of the tree is the digest of the parsed document.
    const { xml } = await mint({
      grant: sampleGrant({
        tags: [
          { key: 'separators', value: 'a\u00a0b\u2028c\u2029d\u3000e' },
          { key: 'empty', value: '' },
        ],
        transitiveTagKeys: [],
      }),
    });
    expect(xml).toContain('a\u00a0b&#8232;c\u2029d\u3000e');
    expect(xml).toContain('<saml:AttributeValue/>');
    const sig = new SignedXml({
      publicCert: active.certificatePem,
      getCertFromKeyInfo: () => null,
    });
    sig.loadSignature(
      new DOMParser()
        .parseFromString(xml, 'text/xml')
        .getElementsByTagNameNS(DS, 'Signature')[0] as Element,
    );
    expect(sig.checkSignature(xml)).toBe(true);
  });

  it('gives every response fresh 128-bit IDs', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { xml, assertionId } = await mint();
      const r = read(xml);
      ids.add(assertionId);
      ids.add(r.response.getAttribute('ID') as string);
      ids.add(r.authn.getAttribute('SessionIndex') as string);
    }
    expect(ids.size).toBe(60);
  });

  it('uses a regional sign-in endpoint as Destination and Recipient; the Audience stays as configured', async () => {
    const r = read((await mint({ recipient: REGIONAL_RECIPIENT })).xml);
    expect(r.response.getAttribute('Destination')).toBe(REGIONAL_RECIPIENT);
    const data = only(r.confirmations[0] as Element, SAML, 'SubjectConfirmationData');
    expect(data.getAttribute('Recipient')).toBe(REGIONAL_RECIPIENT);
    expect(r.text(only(r.conditions, SAML, 'AudienceRestriction'), SAML, 'Audience')).toBe(
      'https://signin.aws.amazon.com/saml',
    );
  });

  it('takes urn:amazon:webservices as the Audience when configured', async () => {
    const r = read((await mint({}, { audience: 'urn:amazon:webservices' })).xml);
    expect(r.text(only(r.conditions, SAML, 'AudienceRestriction'), SAML, 'Audience')).toBe(
      'urn:amazon:webservices',
    );
  });

  it('names the configured SAML provider, in the role’s partition', async () => {
    const gov = await mint(
      {
        grant: sampleGrant({ roleArn: 'arn:aws-us-gov:iam::111122223333:role/Dev' }),
        recipient: 'https://signin.amazonaws-us-gov.com/saml',
      },
      { samlProviderName: 'fedgate-prod', audience: 'https://signin.amazonaws-us-gov.com/saml' },
    );
    expect(gov.principalArn).toBe('arn:aws-us-gov:iam::111122223333:saml-provider/fedgate-prod');
    expect(read(gov.xml).attributes[0]).toEqual([
      `${ATTR}Role`,
      [
        'arn:aws-us-gov:iam::111122223333:role/Dev,arn:aws-us-gov:iam::111122223333:saml-provider/fedgate-prod',
      ],
    ]);
  });

  it('omits SourceIdentity, PrincipalTag and TransitiveTagKeys when the grant has none', async () => {
    const grant = sampleGrant({ tags: [], transitiveTagKeys: [] });
    delete (grant as { sourceIdentity?: string }).sourceIdentity;
    const r = read((await mint({ grant })).xml);
    expect(r.attributes.map(([name]) => name)).toEqual([
      `${ATTR}Role`,
      `${ATTR}RoleSessionName`,
      `${ATTR}SessionDuration`,
    ]);
  });

  it('keeps the lifetime within 5 minutes: 1..300 seconds, default 120', async () => {
    const max = await mint({ lifetimeSeconds: 300 });
    expect(max.notOnOrAfter - Math.floor(NOW / 1000) * 1000).toBe(300_000);
    const r = read(max.xml);
    expect(r.conditions.getAttribute('NotOnOrAfter')).toBe('2026-03-01T12:05:00Z');
    for (const lifetimeSeconds of [0, 301, 3600, 1.5, -1, Number.NaN]) {
      await expect(mint({ lifetimeSeconds })).rejects.toMatchObject({ code: 'mint_invalid_value' });
    }
  });

  it('uses the given authnInstant', async () => {
    const r = read((await mint({ authnInstant: NOW - 90_000 })).xml);
    expect(r.authn.getAttribute('AuthnInstant')).toBe('2026-03-01T11:58:30Z');
  });

  it('refuses an authnInstant after now (nobody authenticated after the assertion saying so)', async () => {
    await expect(mint({ authnInstant: NOW + 1 })).rejects.toMatchObject({
      code: 'mint_invalid_value',
    });
    const r = read((await mint({ authnInstant: NOW })).xml);
    expect(r.authn.getAttribute('AuthnInstant')).toBe('2026-03-01T12:00:00Z');
  });

  const classRefOf = (xml: string) =>
    only(only(read(xml).authn, SAML, 'AuthnContext'), SAML, 'AuthnContextClassRef').textContent;

  it.each([
    'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    'http://schemas.microsoft.com/claims/multipleauthn',
    'https://refeds.org/profile/mfa',
  ])('writes the upstream AuthnContextClassRef %s', async (classRef) => {
    expect(classRefOf((await mint({ authnContextClassRef: classRef })).xml)).toBe(classRef);
  });

  it('without one, claims nothing specific (unspecified)', async () => {
    expect(classRefOf((await mint()).xml)).toBe(
      'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
    );
  });

  it.each([
    ['empty', ''],
    ['a relative word (an OIDC amr value)', 'pwd'],
    ['a space-separated amr list', 'pwd mfa'],
    ['a URI with a space', 'urn:a b'],
    ['markup', 'urn:x<y>'],
    ['non-ASCII', 'urn:mfa:ä'],
    ['over 1024 characters', `urn:${'x'.repeat(1021)}`],
  ])('refuses an AuthnContextClassRef that is %s', async (_, classRef) => {
    await expect(mint({ authnContextClassRef: classRef })).rejects.toMatchObject({
      code: 'mint_invalid_value',
    });
  });

  it.each([
    ['epoch seconds', Math.floor(NOW / 1000)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('refuses now given as %s (it takes epoch milliseconds)', async (_, now) => {
    await expect(mint({ now })).rejects.toMatchObject({ code: 'mint_invalid_value' });
  });
});

describe('createAwsSamlMinter: the async Signer port', () => {
  it('gets the signature from signer.sign over the canonical SignedInfo, once per mint', async () => {
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    const { xml } = await createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(
      mintInput(),
    );
    expect(sign).toHaveBeenCalledTimes(1);
    const signed = sign.mock.calls[0]?.[0] as Buffer;
    const text = signed.toString('utf8');
    // Exclusive c14n of SignedInfo: only the ds namespace, empty elements as start/end pairs.
    expect(text).toMatch(/^<ds:SignedInfo xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
    expect(text).toContain(
      '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod>',
    );
    const value = /<ds:SignatureValue>([^<]+)</.exec(xml)?.[1] as string;
    const publicKey = new X509Certificate(active.certificatePem).publicKey;
    expect(verify('sha256', signed, publicKey, Buffer.from(value, 'base64'))).toBe(true);
  });

  it('signs with whichever key is active now (rotation), and embeds that key’s certificate', async () => {
    const rotated = createLocalSigningKeys({ keys: [next, active] });
    const { xml } = await createAwsSamlMinter({
      signingKeys: rotated,
      issuerEntityId: ISSUER,
    }).mint(mintInput());
    expect(xml).toContain(new X509Certificate(next.certificatePem).raw.toString('base64'));
    expect(xml).not.toContain(new X509Certificate(active.certificatePem).raw.toString('base64'));
  });

  it('passes the key service’s error through and emits nothing', async () => {
    const keys: SigningKeys = {
      active: async () => ({
        ...(await signingKeys.active()),
        sign: async () => {
          throw new DependencyUnavailableError('kms', 'ThrottlingException');
        },
      }),
      published: () => signingKeys.published(),
    };
    await expect(
      createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(mintInput()),
    ).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });

  it('refuses a signer whose signature does not verify with its certificate', async () => {
    const wrong = await createLocalSigningKeys({ keys: [next] }).active();
    const keys: SigningKeys = {
      active: async () => ({ ...(await signingKeys.active()), sign: (data) => wrong.sign(data) }),
      published: () => signingKeys.published(),
    };
    await expect(
      createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(mintInput()),
    ).rejects.toMatchObject({ code: 'issuer_misconfigured' });
  });

  it.each([
    ['is not for its key', () => next.certificatePem],
    ['does not parse', () => 'not a certificate'],
  ])('refuses a signer whose certificate %s', async (_, certificatePem) => {
    const keys: SigningKeys = {
      active: async () => ({
        ...(await signingKeys.active()),
        certificatePem: certificatePem(),
      }),
      published: () => signingKeys.published(),
    };
    await expect(
      createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(mintInput()),
    ).rejects.toMatchObject({ code: 'issuer_misconfigured' });
  });
});

describe('createAwsSamlMinter: values come out literal or are refused (defence in depth)', () => {
  const INJECT = '</saml:AttributeValue><saml:AttributeValue>arn:aws:iam::999999999999:role/Evil';

  /**
   * Grants built by hand, bypassing the mapping engine: each breaks one of AWS's rules (here, an
   * XML injection is always also outside AWS's charsets) and must be refused before signing.
   */
  const refused: [string, Partial<AwsSamlGrant>][] = [
    ['a tag value closing the AttributeValue', { tags: [{ key: 'team', value: INJECT }] }],
    ['a tag value with ]]>', { tags: [{ key: 'team', value: 'a]]>b' }] }],
    ['a tag value with a quote', { tags: [{ key: 'team', value: 'a"b' }] }],
    ['a tag value with NUL', { tags: [{ key: 'team', value: 'a\u0000b' }] }],
    ['a tag value with a lone surrogate', { tags: [{ key: 'team', value: 'a\ud800b' }] }],
    ['a tag value over 256 characters', { tags: [{ key: 'team', value: 'a'.repeat(257) }] }],
    ['a tag key breaking the Name attribute', { tags: [{ key: 'team" Name="x', value: 'a' }] }],
    ['a tag key with <', { tags: [{ key: 'te<am', value: 'a' }] }],
    ['a tag key starting with aws:', { tags: [{ key: 'aws:team', value: 'a' }] }],
    ['an empty tag key', { tags: [{ key: '', value: 'a' }] }],
    [
      'tag keys repeated ignoring case',
      {
        tags: [
          { key: 'Team', value: 'a' },
          { key: 'team', value: 'b' },
        ],
        transitiveTagKeys: [],
      },
    ],
    [
      '51 tags',
      {
        tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
        transitiveTagKeys: [],
      },
    ],
    ['a transitive key without a tag', { transitiveTagKeys: ['team', 'other'] }],
    ['a transitive key repeated', { transitiveTagKeys: ['team', 'team'] }],
    ['a session name closing the AttributeValue', { sessionName: INJECT }],
    ['a session name with ]]>', { sessionName: 'jane]]>' }],
    ['a session name with a quote', { sessionName: 'jane"doe' }],
    ['a session name with NUL', { sessionName: 'jane\u0000doe' }],
    ['a one-character session name', { sessionName: 'j' }],
    ['a session name over 64 characters', { sessionName: 'j'.repeat(65) }],
    ['a source identity closing the AttributeValue', { sourceIdentity: INJECT }],
    ['a source identity with an apostrophe', { sourceIdentity: "o'brien" }],
    ['a source identity with aws:', { sourceIdentity: 'aws:jdoe' }],
    [
      'a role ARN carrying a second pair',
      { roleArn: 'arn:aws:iam::111122223333:role/Admin,arn:aws:iam::999999999999:saml-provider/x' },
    ],
    ['a role ARN with markup', { roleArn: 'arn:aws:iam::111122223333:role/<x>' }],
    [
      'an IAM Identity Center role',
      { roleArn: 'arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_1' },
    ],
    ['a user ARN', { roleArn: 'arn:aws:iam::111122223333:user/jane' }],
    ['an account id that is not the role’s', { accountId: '999999999999' }],
    ['a duration under 900 seconds', { durationSeconds: 899 }],
    ['a duration over 12 hours', { durationSeconds: 43_201 }],
    ['a fractional duration', { durationSeconds: 3600.5 }],
  ];

  it.each(refused)('refuses %s with mint_invalid_value, without signing', async (_, override) => {
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    const minting = createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(
      mintInput({ grant: sampleGrant(override) }),
    );
    await expect(minting).rejects.toMatchObject({
      code: 'mint_invalid_value',
      status: 500,
      expose: false,
    });
    expect(sign).not.toHaveBeenCalled();
  });

  it.each([
    ['an empty NameID', ''],
    ['a NameID with a space', 'jane doe'],
    ['a NameID with NUL', 'jane\u0000'],
    ['a NameID over 256 characters', 'a'.repeat(257)],
    ['a NameID with non-ASCII', 'jané'],
  ])('refuses %s', async (_, nameId) => {
    await expect(mint({ nameId })).rejects.toMatchObject({ code: 'mint_invalid_value' });
  });

  it.each([
    ['another host', 'https://evil.example.com/saml'],
    ['a lookalike host', 'https://signin.aws.amazon.com.evil.example/saml'],
    ['http', 'http://signin.aws.amazon.com/saml'],
    ['a trailing slash', 'https://signin.aws.amazon.com/saml/'],
    ['a query', 'https://signin.aws.amazon.com/saml?x=1'],
    ['markup', 'https://signin.aws.amazon.com/saml"><x'],
    ['another partition’s endpoint', 'https://signin.amazonaws.cn/saml'],
  ])('refuses a recipient on %s', async (_, recipient) => {
    await expect(mint({ recipient })).rejects.toMatchObject({ code: 'mint_invalid_value' });
  });

  it('puts a NameID with markup characters in as literal text', async () => {
    const nameId = `x</saml:NameID><saml:NameID>evil]]>&amp;"'`;
    const r = read((await mint({ nameId })).xml);
    expect(only(r.subject, SAML, 'NameID').textContent).toBe(nameId);
    expect(children(r.subject, SAML, 'NameID')).toHaveLength(1);
  });

  it('puts tag values from the whole tag charset in as literal text', async () => {
    const tags = [
      { key: 'name', value: 'Zoë Ångström 中文 𝒜' },
      { key: 'separators', value: 'a\u00a0b\u2028c\u3000d' },
      { key: 'symbols', value: '_.:/=+-@ 0123' },
      { key: 'schlüssel/ü:1', value: '' },
    ];
    const r = read((await mint({ grant: sampleGrant({ tags, transitiveTagKeys: [] }) })).xml);
    expect(r.attributes.filter(([name]) => String(name).includes('PrincipalTag'))).toEqual(
      tags.map((t) => [`${ATTR}PrincipalTag:${t.key}`, [t.value]]),
    );
  });

  it('puts an issuer entity id with markup characters in as literal text', async () => {
    const issuerEntityId = `https://sso.example.com/aws?a=1&b="<x>"`;
    const r = read((await mint({}, { issuerEntityId })).xml);
    expect(r.text(r.response, SAML, 'Issuer')).toBe(issuerEntityId);
    expect(r.text(r.assertion, SAML, 'Issuer')).toBe(issuerEntityId);
  });
});

describe('createAwsSamlMinter: size and options', () => {
  /** 50 distinct keys of 128 characters and values of 256, each three bytes in UTF-8. */
  const widestTags = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: `${'鍵'.repeat(126)}${String.fromCharCode(0x4e00 + Math.floor(i / 26))}${String.fromCharCode(0x4e00 + (i % 26))}`,
      value: '値'.repeat(256),
    }));

  it('mints the largest tag set AWS allows within 100,000 base64 characters', async () => {
    const tags = widestTags(50);
    const minted = await mint({ grant: sampleGrant({ tags, transitiveTagKeys: [] }) });
    expect(minted.samlResponseB64.length).toBeLessThanOrEqual(MAX_SAML_RESPONSE_BASE64_LENGTH);
    expect(minted.samlResponseB64.length).toBeGreaterThan(80_000);
  });

  it('refuses a response over 100,000 base64 characters (mint_too_large)', async () => {
    const tags = widestTags(50);
    const grant = sampleGrant({ tags, transitiveTagKeys: tags.map((t) => t.key) });
    await expect(mint({ grant })).rejects.toMatchObject({ code: 'mint_too_large', status: 500 });
  });

  it.each([
    ['an issuer that is not a URI', { issuerEntityId: 'fedgate' }],
    ['an issuer with whitespace', { issuerEntityId: 'https://sso.example.com/a b' }],
    ['an issuer with NUL', { issuerEntityId: 'https://sso.example.com/\u0000' }],
    [
      'an issuer over 1024 characters',
      { issuerEntityId: `https://sso.example.com/${'a'.repeat(1001)}` },
    ],
    ['an audience that is not a URI', { audience: 'aws' }],
    ['a SAML provider name with a slash', { samlProviderName: 'fed/gate' }],
    ['an empty SAML provider name', { samlProviderName: '' }],
    ['a SAML provider name over 128 characters', { samlProviderName: 'a'.repeat(129) }],
  ])('refuses %s when created (issuer_misconfigured)', (_, opts) => {
    expect(() => minter(opts)).toThrow(expect.objectContaining({ code: 'issuer_misconfigured' }));
  });
});

describe('createAwsSamlMinter: the assertion names exactly one role (SECURITY.md §8)', () => {
  /**
   * STS lets the caller pick any `RoleArn` among the assertion's `Role` values: one value is
   * what binds the assertion to the grant's role, as the role-bound `sub` does for web identity.
   */
  const roleValuesAnywhere = (xml: string): string[] => {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    return Array.from(doc.getElementsByTagNameNS(SAML, 'Attribute'))
      .filter((a) => a.getAttribute('Name') === `${ATTR}Role`)
      .flatMap((a) => children(a, SAML, 'AttributeValue').map((v) => v.textContent ?? ''));
  };

  const roleArn = fc
    .record({
      partition: fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
      account: fc.stringMatching(/^\d{12}$/),
      path: fc.array(fc.stringMatching(/^[A-Za-z0-9_+=.@-]{1,10}$/), { maxLength: 3 }),
      name: fc.stringMatching(/^[A-Za-z0-9_+=.@-]{1,64}$/),
    })
    .filter((r) => !r.name.startsWith('AWSReservedSSO_'))
    .map((r) => ({
      partition: r.partition,
      account: r.account,
      arn: `arn:${r.partition}:iam::${r.account}:role/${r.path.map((p) => `${p}/`).join('')}${r.name}`,
    }));

  it("one Role attribute with one value, the grant's role and the provider of its account (property)", async () => {
    await fc.assert(
      fc.asyncProperty(roleArn, async ({ partition, account, arn }) => {
        const recipient =
          partition === 'aws'
            ? GLOBAL_RECIPIENT
            : partition === 'aws-cn'
              ? 'https://signin.amazonaws.cn/saml'
              : 'https://signin.amazonaws-us-gov.com/saml';
        const minted = await mint({
          grant: sampleGrant({ roleArn: arn, accountId: account }),
          recipient,
        });
        const principal = `arn:${partition}:iam::${account}:saml-provider/fedgate`;
        expect(minted.principalArn).toBe(principal);
        expect(roleValuesAnywhere(minted.xml)).toEqual([`${arn},${principal}`]);
        const r = read(minted.xml);
        expect(r.attributes.filter(([name]) => name === `${ATTR}Role`)).toHaveLength(1);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a role ARN holding ",", which would read as a second role/provider pair', async () => {
    const { keys, sign } = spySigningKeys(() => signingKeys.active());
    await expect(
      createAwsSamlMinter({ signingKeys: keys, issuerEntityId: ISSUER }).mint(
        mintInput({
          grant: sampleGrant({
            roleArn: 'arn:aws:iam::111122223333:role/Dev,arn:aws:iam::111122223333:role/Admin',
          }),
        }),
      ),
    ).rejects.toMatchObject({ code: 'mint_invalid_value' });
    expect(sign).not.toHaveBeenCalled();
  });
});
