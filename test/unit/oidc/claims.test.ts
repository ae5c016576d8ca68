import { describe, expect, it } from 'vitest';
import {
  type GatewayConfigInput,
  type OidcIdpConfig,
  parseGatewayConfig,
} from '../../../shared/config/index.js';
import { ENTRA_CONSUMER_TENANT, mapOidcIdentity } from '../../../shared/oidc/index.js';

const TENANT = '0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
const OID = '11111111-2222-4333-8444-555555555555';

const idp = (oidc: Record<string, unknown>, extra: Record<string, unknown> = {}): OidcIdpConfig =>
  parseGatewayConfig({
    version: 1,
    idps: [
      { id: 'x', displayName: 'X', protocol: 'oidc', oidc: { clientId: 'c', ...oidc }, ...extra },
    ],
  } as GatewayConfigInput).idps[0] as OidcIdpConfig;

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('mapOidcIdentity: generic', () => {
  const generic = idp(
    { issuer: 'https://op.example' },
    { claimAliases: { teams: ['groups', 'roles'] } },
  );

  it('turns claims into string lists, keeps the subject, applies aliases, skips objects', () => {
    const identity = mapOidcIdentity(generic, {
      iss: 'https://op.example',
      sub: 'u1',
      email: 'a@example.com',
      email_verified: true,
      groups: ['g1', 'g2'],
      roles: ['g2', 'r1'],
      level: 3,
      admin: false,
      address: { street: 'x' },
      auth_time: 1_700_000_000,
    });
    expect(identity).toMatchObject({
      idp: 'x',
      issuer: 'https://op.example',
      subject: 'u1',
      authTime: 1_700_000_000,
    });
    expect(identity.claims).toMatchObject({
      email: ['a@example.com'],
      groups: ['g1', 'g2'],
      teams: ['g1', 'g2', 'r1'],
      level: ['3'],
      admin: ['false'],
    });
    expect(identity.claims).not.toHaveProperty('address');
  });

  it('drops an email the IdP says is unverified (rules never match on it)', () => {
    const identity = mapOidcIdentity(generic, {
      sub: 'u1',
      email: 'a@example.com',
      email_verified: false,
    });
    expect(identity.claims).not.toHaveProperty('email');
  });

  it('an alias with no source claim is absent, not empty', () => {
    expect(mapOidcIdentity(generic, { sub: 'u1' }).claims).not.toHaveProperty('teams');
  });

  it.each([
    ['a control character', { sub: 'u1', name: 'a\u0000b' }],
    ['a bidi override', { sub: 'u1', groups: ['admins\u202e'] }],
    ['a 5000-character value', { sub: 'u1', name: 'a'.repeat(5000) }],
    ['1001 values', { sub: 'u1', groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) }],
    [
      '201 claims',
      Object.fromEntries([['sub', 'u1'], ...Array.from({ length: 201 }, (_, i) => [`c${i}`, 'v'])]),
    ],
  ])('refuses %s', (_, claims) => {
    expect(codeOf(() => mapOidcIdentity(generic, claims))).toBe('oidc_id_token_invalid');
  });

  it('subjectClaim picks the subject; missing or multi-valued is refused', () => {
    const byId = idp({ issuer: 'https://op.example' }, { subjectClaim: 'uid' });
    expect(mapOidcIdentity(byId, { sub: 'pairwise', uid: 'u-1' }).subject).toBe('u-1');
    expect(codeOf(() => mapOidcIdentity(byId, { sub: 'pairwise' }))).toBe('oidc_subject_invalid');
    expect(codeOf(() => mapOidcIdentity(byId, { sub: 'p', uid: ['a', 'b'] }))).toBe(
      'oidc_subject_invalid',
    );
    expect(codeOf(() => mapOidcIdentity(generic, { email: 'x' }))).toBe('oidc_subject_invalid');
  });
});

describe('mapOidcIdentity: entra', () => {
  const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
  const token = (over: Record<string, unknown> = {}) => ({
    iss: issuer,
    sub: 'pairwise',
    tid: TENANT,
    oid: OID,
    ...over,
  });

  it('keys the subject on tid/oid (sub is pairwise per app)', () => {
    const entra = idp({ issuer, profile: 'entra', allowedTenants: [TENANT.toUpperCase()] });
    expect(mapOidcIdentity(entra, token()).subject).toBe(`${TENANT}/${OID}`);
  });

  it('without allowedTenants, only the tenant of the configured issuer is allowed', () => {
    const entra = idp({ issuer, profile: 'entra' });
    expect(mapOidcIdentity(entra, token()).subject).toBe(`${TENANT}/${OID}`);
    const multi = idp({
      issuer: 'https://login.microsoftonline.com/organizations/v2.0',
      profile: 'entra',
    });
    expect(codeOf(() => mapOidcIdentity(multi, token()))).toBe('oidc_tenant_not_allowed');
  });

  it('the consumer tenant is refused unless listed; listed, it passes', () => {
    const consumerIss = `https://login.microsoftonline.com/${ENTRA_CONSUMER_TENANT}/v2.0`;
    const consumer = token({ tid: ENTRA_CONSUMER_TENANT, iss: consumerIss });
    const work = idp({
      issuer: 'https://login.microsoftonline.com/common/v2.0',
      profile: 'entra',
      allowedTenants: [TENANT],
    });
    expect(codeOf(() => mapOidcIdentity(work, consumer))).toBe('oidc_tenant_not_allowed');
    const both = idp({
      issuer: 'https://login.microsoftonline.com/common/v2.0',
      profile: 'entra',
      allowedTenants: [TENANT, ENTRA_CONSUMER_TENANT],
    });
    expect(mapOidcIdentity(both, consumer).subject).toBe(`${ENTRA_CONSUMER_TENANT}/${OID}`);
    const fromIssuer = idp({ issuer: consumerIss, profile: 'entra' });
    expect(codeOf(() => mapOidcIdentity(fromIssuer, consumer))).toBe('oidc_tenant_not_allowed');
  });

  it.each([
    ['no tid', { tid: undefined }, 'oidc_tenant_not_allowed'],
    ['a foreign tid', { tid: '7f3e2d1c-0b9a-4876-9543-210fedcba987' }, 'oidc_tenant_not_allowed'],
    [
      'an iss naming another tenant',
      { iss: 'https://login.microsoftonline.com/7f3e2d1c-0b9a-4876-9543-210fedcba987/v2.0' },
      'oidc_tenant_not_allowed',
    ],
    [
      'group overage (_claim_names.groups)',
      { _claim_names: { groups: 'src1' } },
      'oidc_group_overage',
    ],
    ['group overage (hasgroups)', { hasgroups: true }, 'oidc_group_overage'],
    ['no oid', { oid: undefined }, 'oidc_subject_invalid'],
  ])('refuses %s', (_, over, code) => {
    const entra = idp({ issuer, profile: 'entra', allowedTenants: [TENANT] });
    expect(codeOf(() => mapOidcIdentity(entra, token(over)))).toBe(code);
  });

  it.each([
    ['_claim_names.groups', { _claim_names: { groups: 'src1' }, groups: ['partial'] }],
    ['hasgroups', { hasgroups: true }],
  ])(
    'with a directory, an overage (%s) marks groups and its aliases for the directory, upper-case ids still canonical',
    (_, over) => {
      const entra = idp(
        { issuer, profile: 'entra', allowedTenants: [TENANT] },
        {
          claimAliases: { teams: ['groups'], tenant: ['tid'] },
          directory: { subject: { prefix: `${TENANT}/`, lowercase: true } },
        },
      );
      const identity = mapOidcIdentity(entra, token({ ...over, oid: OID.toUpperCase() }));
      expect(identity.subject).toBe(`${TENANT}/${OID}`);
      expect(identity.groupsOverage).toEqual(['groups', 'teams']);
      // Never read as "no groups" nor as the partial list: the directory fills them in.
      expect(identity.claims.groups).toBeUndefined();
      expect(identity.claims.tenant).toEqual([TENANT]);
      // Without an overage, nothing is marked.
      expect(mapOidcIdentity(entra, token()).groupsOverage).toBeUndefined();
    },
  );
});

describe('mapOidcIdentity: authentication time and method', () => {
  const config = idp({ issuer: 'https://op.example' });
  it.each([
    ['auth_time when sent', { auth_time: 1_700_000_000, iat: 1_700_000_500 }, 1_700_000_000],
    [
      'else iat (the IdP authenticated the person no later than it issued the token)',
      { iat: 1_700_000_500 },
      1_700_000_500,
    ],
    ['neither: unknown', {}, undefined],
    [
      'a non-number auth_time is skipped for iat',
      { auth_time: '1', iat: 1_700_000_500 },
      1_700_000_500,
    ],
  ])('authTime: %s', (_, claims, expected) => {
    expect(mapOidcIdentity(config, { sub: 's', ...claims }).authTime).toBe(expected);
  });

  it.each([
    [
      'acr when sent',
      { acr: 'urn:mace:incommon:iap:silver', amr: ['pwd'] },
      'urn:mace:incommon:iap:silver',
    ],
    ['else the amr values, space-separated', { amr: ['pwd', 'mfa'] }, 'pwd mfa'],
    ['neither: unknown', {}, undefined],
    ['an empty amr: unknown', { amr: [] }, undefined],
  ])('authMethod: %s', (_, claims, expected) => {
    expect(mapOidcIdentity(config, { sub: 's', ...claims }).authMethod).toBe(expected);
  });
});

describe('mapOidcIdentity: identifier normalisation per profile', () => {
  const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
  // Hex letters, so that upper-casing changes it.
  const OID = '6f1d2c3b-aaaa-4bbb-8ccc-1234567890ab';
  const entraToken = (over: Record<string, unknown> = {}) => ({
    iss: issuer,
    sub: 'pairwise',
    tid: TENANT,
    oid: OID,
    ...over,
  });

  it.each([
    ['a leading space', ' user-1'],
    ['a trailing space', 'user-1 '],
    ['an inner space', 'user 1'],
    ['a no-break space', 'user\u00a01'],
    ['an ideographic space', 'user-1\u3000'],
  ])(
    'a sub with %s is refused (oidc_subject_invalid), never trimmed into another subject',
    (_, sub) => {
      for (const profile of ['generic', 'okta', 'google'] as const) {
        const config = idp({
          issuer: profile === 'okta' ? 'https://corp.okta.com' : 'https://op.example',
          profile,
        });
        expect(codeOf(() => mapOidcIdentity(config, { iss: 'x', sub }))).toBe(
          'oidc_subject_invalid',
        );
      }
    },
  );

  it('a subjectClaim value with surrounding spaces is refused too', () => {
    const config = idp({ issuer: 'https://op.example' }, { subjectClaim: 'uid' });
    expect(codeOf(() => mapOidcIdentity(config, { sub: 's', uid: ' u-1 ' }))).toBe(
      'oidc_subject_invalid',
    );
  });

  it('generic: the subject in Unicode NFC; case kept', () => {
    const config = idp({ issuer: 'https://op.example' });
    expect(mapOidcIdentity(config, { sub: 'rene\u0301' }).subject).toBe('ren\u00e9');
    expect(mapOidcIdentity(config, { sub: 'ren\u00e9' }).subject).toBe('ren\u00e9');
    expect(mapOidcIdentity(config, { sub: 'Alice' }).subject).toBe('Alice');
  });

  it('Okta: the user id exactly as issued, case-sensitive, no Unicode normalisation', () => {
    const config = idp({ issuer: 'https://corp.okta.com', profile: 'okta' });
    expect(mapOidcIdentity(config, { sub: '00uAbCdEf123' }).subject).toBe('00uAbCdEf123');
    expect(mapOidcIdentity(config, { sub: '00uabcdef123' }).subject).toBe('00uabcdef123');
    expect(mapOidcIdentity(config, { sub: 'rene\u0301' }).subject).toBe('rene\u0301');
  });

  it('Entra: an upper-case oid/tid is the same person, in the subject and in the claims', () => {
    const entra = idp({ issuer, profile: 'entra' });
    const upper = mapOidcIdentity(
      entra,
      entraToken({ oid: OID.toUpperCase(), tid: TENANT.toUpperCase() }),
    );
    expect(upper.subject).toBe(`${TENANT}/${OID}`);
    expect(upper.subject).toBe(mapOidcIdentity(entra, entraToken()).subject);
    expect(upper.claims.oid).toEqual([OID]);
    expect(upper.claims.tid).toEqual([TENANT]);
  });

  it('Entra with subjectClaim oid: the canonical lower-case GUID', () => {
    const entra = idp({ issuer, profile: 'entra' }, { subjectClaim: 'oid' });
    expect(mapOidcIdentity(entra, entraToken({ oid: OID.toUpperCase() })).subject).toBe(OID);
  });

  it.each([
    ['an oid that is not a GUID', { oid: 'not-a-guid' }, 'oidc_subject_invalid'],
    ['an oid in braces', { oid: `{${OID}}` }, 'oidc_subject_invalid'],
    ['an oid with a trailing space', { oid: `${OID} ` }, 'oidc_subject_invalid'],
    ['a tid that is not a GUID', { tid: 'contoso' }, 'oidc_tenant_not_allowed'],
  ])('Entra: %s is refused', (_, over, code) => {
    const entra = idp({ issuer, profile: 'entra' });
    expect(codeOf(() => mapOidcIdentity(entra, entraToken(over)))).toBe(code);
  });
});

describe('mapOidcIdentity: google', () => {
  const base = { iss: 'https://accounts.google.com', sub: '1234' };

  it('hd must be allowed when allowedHostedDomains is set', () => {
    const google = idp({
      issuer: 'https://accounts.google.com',
      profile: 'google',
      allowedHostedDomains: ['Example.com'],
    });
    expect(mapOidcIdentity(google, { ...base, hd: 'example.com' }).subject).toBe('1234');
    expect(codeOf(() => mapOidcIdentity(google, base))).toBe('oidc_hosted_domain_not_allowed');
    expect(codeOf(() => mapOidcIdentity(google, { ...base, hd: 'other.com' }))).toBe(
      'oidc_hosted_domain_not_allowed',
    );
  });

  it('keeps the email only when email_verified is true', () => {
    const google = idp({ issuer: 'https://accounts.google.com', profile: 'google' });
    expect(
      mapOidcIdentity(google, { ...base, email: 'a@x.com', email_verified: true }).claims.email,
    ).toEqual(['a@x.com']);
    expect(mapOidcIdentity(google, { ...base, email: 'a@x.com' }).claims).not.toHaveProperty(
      'email',
    );
  });
});
