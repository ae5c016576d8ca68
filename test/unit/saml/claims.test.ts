import { describe, expect, it } from 'vitest';
import { IdpConfigSchema, type SamlIdpConfig } from '../../../shared/config/index.js';
import { readClaim } from '../../../shared/mapping/claims.js';
import {
  ENTRA_GROUPS_LINK_CLAIM,
  ENTRA_TENANT_CLAIM,
  mapSamlIdentity,
  type VerifiedAssertion,
} from '../../../shared/saml/index.js';

const TENANT = '0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
const MS = 'http://schemas.microsoft.com';
const OID = `${MS}/identity/claims/objectidentifier`;
const GROUPS = `${MS}/ws/2008/06/identity/claims/groups`;
const ROLES = `${MS}/ws/2008/06/identity/claims/role`;
const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

const idp = (
  extra: Record<string, unknown> = {},
  saml: Record<string, unknown> = {},
): SamlIdpConfig =>
  IdpConfigSchema.parse({
    id: 'entra',
    displayName: 'Entra ID',
    protocol: 'saml',
    saml: {
      entityId: `https://sts.windows.net/${TENANT}/`,
      signingCertificates: ['A'.repeat(80)],
      ...saml,
    },
    ...extra,
  }) as SamlIdpConfig;

const assertion = (
  attributes: Record<string, string[]>,
  over: Partial<VerifiedAssertion> = {},
): VerifiedAssertion => ({
  assertionId: '_a1',
  issuer: `https://sts.windows.net/${TENANT}/`,
  nameId: 'jane.doe@contoso.example',
  notOnOrAfter: 1_795_338_300,
  authnInstant: 1_795_338_000,
  attributes,
  ...over,
});

const entra = {
  [ENTRA_TENANT_CLAIM]: [TENANT],
  [OID]: ['6f1d2c3b-0000-4000-8000-1234567890ab'],
  [EMAIL]: ['jane.doe@contoso.example'],
  [GROUPS]: ['g-1', 'g-2'],
  [ROLES]: ['Admin', 'g-2'],
};

describe('mapSamlIdentity', () => {
  it('keeps attributes as sent, adds aliases (union, in order, no repeats) and nameId', () => {
    const identity = mapSamlIdentity(
      idp({ claimAliases: { groups: [GROUPS, ROLES], email: [EMAIL], missing: ['nope'] } }),
      assertion(entra),
    );
    expect(identity).toEqual({
      idp: 'entra',
      issuer: `https://sts.windows.net/${TENANT}/`,
      subject: 'jane.doe@contoso.example',
      authTime: 1_795_338_000,
      claims: {
        ...entra,
        groups: ['g-1', 'g-2', 'Admin'],
        email: ['jane.doe@contoso.example'],
        nameId: ['jane.doe@contoso.example'],
      },
    });
    expect(readClaim(identity, 'missing')).toBeUndefined();
  });

  it('lets an alias replace a sent attribute of the same name, and NameID replace "nameId"', () => {
    const identity = mapSamlIdentity(
      idp({ claimAliases: { groups: [GROUPS], email: ['mail'] } }),
      assertion({
        groups: ['sent-by-idp'],
        email: ['x@y'],
        nameId: ['spoofed'],
        [GROUPS]: ['g-1'],
      }),
    );
    expect(identity.claims.groups).toEqual(['g-1']);
    expect(Object.hasOwn(identity.claims, 'email')).toBe(false);
    expect(identity.claims.nameId).toEqual(['jane.doe@contoso.example']);
  });

  it('takes the subject from subjectClaim (an alias or a claim URI), never the mutable NameID', () => {
    expect(mapSamlIdentity(idp({ subjectClaim: OID }), assertion(entra)).subject).toBe(
      '6f1d2c3b-0000-4000-8000-1234567890ab',
    );
    expect(
      mapSamlIdentity(idp({ subjectClaim: 'oid', claimAliases: { oid: [OID] } }), assertion(entra))
        .subject,
    ).toBe('6f1d2c3b-0000-4000-8000-1234567890ab');
  });

  it.each([
    ['missing', {}],
    ['multi-valued', { [OID]: ['a', 'b'] }],
    ['empty', { [OID]: [''] }],
    ['present without values', { [OID]: [] }],
  ])('refuses a %s subject claim', (_, attributes) => {
    expect(() => mapSamlIdentity(idp({ subjectClaim: OID }), assertion(attributes))).toThrow(
      expect.objectContaining({ code: 'saml_subject_invalid' }),
    );
  });

  it('refuses Entra group overage instead of reading it as "no groups"', () => {
    expect(() =>
      mapSamlIdentity(
        idp({ claimAliases: { groups: [GROUPS] } }),
        assertion({
          ...entra,
          [GROUPS]: [],
          [ENTRA_GROUPS_LINK_CLAIM]: ['https://graph.windows.net/x/users/y/getMemberObjects'],
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'saml_group_overage', status: 403 }));
  });

  it('with a directory, marks the groups claim and its aliases for the directory on overage; Entra ids still canonical', () => {
    const withDirectory = idp(
      {
        subjectClaim: OID,
        claimAliases: { groups: [GROUPS], tenant: [ENTRA_TENANT_CLAIM] },
        directory: { subject: { lowercase: true } },
      },
      { allowedTenants: [TENANT] },
    );
    const { [GROUPS]: _sent, ...withoutGroups } = entra;
    const identity = mapSamlIdentity(
      withDirectory,
      assertion({
        ...withoutGroups,
        [OID]: ['6F1D2C3B-0000-4000-8000-1234567890AB'],
        [ENTRA_GROUPS_LINK_CLAIM]: ['https://graph.windows.net/x/users/y/getMemberObjects'],
      }),
    );
    expect(identity.groupsOverage).toEqual([GROUPS, 'groups']);
    expect(identity.subject).toBe('6f1d2c3b-0000-4000-8000-1234567890ab');
    expect(identity.claims.tenant).toEqual([TENANT]);
    // Without a groups link, nothing is marked.
    expect(mapSamlIdentity(withDirectory, assertion(entra)).groupsOverage).toBeUndefined();
  });

  describe('tenant allowlist', () => {
    const allow = (tenants: string[]) => idp({}, { allowedTenants: tenants });
    it('accepts an allowed tenant whose issuer matches (case-insensitively)', () => {
      expect(mapSamlIdentity(allow([TENANT.toUpperCase()]), assertion(entra)).idp).toBe('entra');
    });
    it.each([
      [
        'a tenant not in the list',
        allow(['11111111-1111-1111-1111-111111111111']),
        assertion(entra),
      ],
      ['no tenantid claim', allow([TENANT]), assertion({ [OID]: ['x'] })],
      [
        'two tenantid values',
        allow([TENANT]),
        assertion({ ...entra, [ENTRA_TENANT_CLAIM]: [TENANT, TENANT] }),
      ],
      [
        'an issuer of another tenant',
        allow([TENANT]),
        assertion(entra, {
          issuer: 'https://sts.windows.net/11111111-1111-1111-1111-111111111111/',
        }),
      ],
      [
        'a non-Entra issuer',
        allow([TENANT]),
        assertion(entra, { issuer: 'https://evil.example/' }),
      ],
    ])('refuses %s', (_, config, verified) => {
      expect(() => mapSamlIdentity(config, verified)).toThrow(
        expect.objectContaining({ code: 'saml_tenant_not_allowed', status: 403 }),
      );
    });
    it('is not applied when the IdP sets no allowlist', () => {
      expect(mapSamlIdentity(idp(), assertion({})).subject).toBe('jane.doe@contoso.example');
    });
  });

  it('carries the upstream authentication time and method (AuthnInstant, AuthnContextClassRef)', () => {
    const classRef = 'http://schemas.microsoft.com/claims/multipleauthn';
    const identity = mapSamlIdentity(idp(), assertion({}, { authnContextClassRef: classRef }));
    expect(identity.authTime).toBe(1_795_338_000);
    expect(identity.authMethod).toBe(classRef);
    expect(mapSamlIdentity(idp(), assertion({})).authMethod).toBeUndefined();
  });

  describe('identifier normalisation per profile', () => {
    const generic = (extra: Record<string, unknown> = {}) =>
      idp(extra, { entityId: 'https://idp.example.com/saml' });
    const okta = (extra: Record<string, unknown> = {}) =>
      idp(extra, { entityId: 'http://www.okta.com/exk1abc' });
    const codeOf = (config: SamlIdpConfig, verified: VerifiedAssertion): string => {
      try {
        mapSamlIdentity(config, verified);
        return 'accepted';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    };

    it.each([
      ['a leading space', ' alice@example.com'],
      ['a trailing space', 'alice@example.com '],
      ['an inner space', 'alice @example.com'],
      ['a no-break space', 'alice\u00a0@example.com'],
      ['an ideographic space', '\u3000alice@example.com'],
      ['a tab', 'alice@example.com\t'],
      ['a zero-width space', 'alice\u200b@example.com'],
      ['a line separator', 'alice\u2028'],
    ])(
      'a NameID with %s is refused (saml_subject_invalid), never trimmed into another subject',
      (_, nameId) => {
        const generic = { issuer: 'https://idp.example.com/saml' };
        for (const [config, over] of [
          [idp(), {}],
          [okta(), { issuer: 'http://www.okta.com/exk1abc' }],
          [idp(), generic],
        ] as const) {
          expect(codeOf(config, assertion({}, { nameId, ...over }))).toBe('saml_subject_invalid');
        }
      },
    );

    it('a subject claim with surrounding spaces is refused too', () => {
      const config = generic({ subjectClaim: 'uid' });
      const verified = assertion({ uid: [' u-1 '] }, { issuer: 'https://idp.example.com/saml' });
      expect(codeOf(config, verified)).toBe('saml_subject_invalid');
    });

    it('generic: the subject in Unicode NFC (a decomposed é is the same person as a composed one)', () => {
      const over = { issuer: 'https://idp.example.com/saml' };
      const decomposed = mapSamlIdentity(
        generic(),
        assertion({}, { nameId: 'rene\u0301', ...over }),
      );
      const composed = mapSamlIdentity(generic(), assertion({}, { nameId: 'ren\u00e9', ...over }));
      expect(decomposed.subject).toBe('ren\u00e9');
      expect(composed.subject).toBe(decomposed.subject);
    });

    it('generic: case is kept (two ids differing in case are two people)', () => {
      const over = { issuer: 'https://idp.example.com/saml' };
      expect(mapSamlIdentity(generic(), assertion({}, { nameId: 'Alice', ...over })).subject).toBe(
        'Alice',
      );
    });

    it('Okta: the user id exactly as issued, case-sensitive, no Unicode normalisation', () => {
      const config = okta({ subjectClaim: 'oktaUserId' });
      const over = { issuer: 'http://www.okta.com/exk1abc' };
      expect(
        mapSamlIdentity(config, assertion({ oktaUserId: ['00uAbCdEf123'] }, over)).subject,
      ).toBe('00uAbCdEf123');
      expect(
        mapSamlIdentity(config, assertion({ oktaUserId: ['00uabcdef123'] }, over)).subject,
      ).toBe('00uabcdef123');
      expect(
        mapSamlIdentity(okta(), assertion({}, { nameId: 'rene\u0301', ...over })).subject,
      ).toBe('rene\u0301');
    });

    it('Entra: an upper-case object id is the same person (canonical lower-case GUID, claims too)', () => {
      const config = idp({ subjectClaim: OID, claimAliases: { oid: [OID] } });
      const lower = '6f1d2c3b-0000-4000-8000-1234567890ab';
      const a = mapSamlIdentity(config, assertion({ ...entra, [OID]: [lower] }));
      const b = mapSamlIdentity(config, assertion({ ...entra, [OID]: [lower.toUpperCase()] }));
      expect(b.subject).toBe(lower);
      expect(b.subject).toBe(a.subject);
      expect(b.claims[OID]).toEqual([lower]);
      expect(b.claims.oid).toEqual([lower]);
    });

    it('Entra: an upper-case tenant id is canonical in the claims', () => {
      const identity = mapSamlIdentity(
        idp({}, { allowedTenants: [TENANT] }),
        assertion({ ...entra, [ENTRA_TENANT_CLAIM]: [TENANT.toUpperCase()] }),
      );
      expect(identity.claims[ENTRA_TENANT_CLAIM]).toEqual([TENANT]);
    });

    it.each([
      ['an object id that is not a GUID', { [OID]: ['not-a-guid'] }, 'saml_subject_invalid'],
      [
        'an object id in braces',
        { [OID]: ['{6f1d2c3b-0000-4000-8000-1234567890ab}'] },
        'saml_subject_invalid',
      ],
      [
        'an object id with a space',
        { [OID]: ['6f1d2c3b-0000-4000-8000-1234567890ab '] },
        'saml_subject_invalid',
      ],
      [
        'a tenant id that is not a GUID',
        { [ENTRA_TENANT_CLAIM]: ['contoso'] },
        'saml_tenant_not_allowed',
      ],
    ])('Entra: %s is refused', (_, attributes, code) => {
      expect(codeOf(idp(), assertion({ ...entra, ...attributes }))).toBe(code);
    });

    it('the Entra rules are read from the issuer, not applied to other IdPs', () => {
      const over = { issuer: 'https://idp.example.com/saml' };
      const identity = mapSamlIdentity(generic(), assertion({ [OID]: ['NOT-A-GUID'] }, over));
      expect(identity.claims[OID]).toEqual(['NOT-A-GUID']);
    });
  });

  it('keeps a claim named __proto__ as a plain own key', () => {
    const attributes = Object.fromEntries([['__proto__', ['x']]]) as Record<string, string[]>;
    const identity = mapSamlIdentity(idp(), assertion(attributes));
    expect(Object.hasOwn(identity.claims, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(identity.claims)).toBe(Object.prototype);
    expect(readClaim(identity, '__proto__')).toEqual(['x']);
  });
});
