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

  it('keeps a claim named __proto__ as a plain own key', () => {
    const attributes = Object.fromEntries([['__proto__', ['x']]]) as Record<string, string[]>;
    const identity = mapSamlIdentity(idp(), assertion(attributes));
    expect(Object.hasOwn(identity.claims, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(identity.claims)).toBe(Object.prototype);
    expect(readClaim(identity, '__proto__')).toEqual(['x']);
  });
});
