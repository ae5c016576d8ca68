/**
 * The shipped contractor deny (infra/local/demo-config.yaml's gateway rule) against what an IdP
 * actually sends, through the real entry points: an OIDC ID token's claims (JSON: strings,
 * arrays, numbers, booleans, null, objects, nested arrays) through `mapOidcIdentity`, and a SAML
 * assertion's attributes (split across the attribute names an alias unions) through
 * `mapSamlIdentity`, then the IdP's compiled mapper with the gateway rules, as a sign-in does.
 *
 * Invariant: whenever what was sent says "contractor" anywhere (any re-casing, padding,
 * duplication, order, next to any other values) or says nothing usable at all (absent, empty,
 * blank, or a shape the identity mapper drops), the production role is not granted — the
 * sign-in is refused outright (a GatewayError) or mapped without it. And the generators are not
 * vacuous: an employee sending only non-contractor values does get the role.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import {
  DenyRuleSchema,
  foldValue,
  type GatewayConfigInput,
  type OidcIdpConfig,
  parseGatewayConfig,
  type SamlIdpConfig,
} from '../../../shared/config/index.js';
import { createMapper } from '../../../shared/mapping/index.js';
import { mapOidcIdentity } from '../../../shared/oidc/claims.js';
import { mapSamlIdentity } from '../../../shared/saml/claims.js';
import { fcOptions, outcomeOf } from './outcome.js';

vi.setConfig({ testTimeout: 120_000 });

const PROD_ADMIN = 'arn:aws:iam::222222222222:role/fedgate-demo-admin';
const CERT = 'A'.repeat(80);
const OID = 'urn:oid:2.16.840.1.113730.3.1.4';
const URI = 'http://schemas.example.com/claims/employeetype';

const shipped = parse(
  readFileSync(new URL('../../../infra/local/demo-config.yaml', import.meta.url), 'utf8'),
) as { gatewayRules: unknown[] };
const gatewayRules = shipped.gatewayRules.map((r) => DenyRuleSchema.parse(r));

const allowAdmin = {
  id: 'admins',
  priority: 10,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'equals', value: 'aws-admins', quantifier: 'any' }],
  grant: { roleArn: PROD_ADMIN },
};
const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta-oidc',
      displayName: 'Okta (OIDC)',
      protocol: 'oidc',
      oidc: { issuer: 'https://example.okta.com', clientId: 'c', profile: 'okta' },
      rules: [allowAdmin],
    },
    {
      id: 'okta-saml',
      displayName: 'Okta (SAML)',
      protocol: 'saml',
      saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: [CERT] },
      // The deny reads `employeeType`: here the union of two attribute names the IdP may use.
      claimAliases: { employeeType: [OID, URI], groups: ['groups'] },
      rules: [allowAdmin],
    },
  ],
} as GatewayConfigInput);
const [oidcIdp, samlIdp] = config.idps as [OidcIdpConfig, SamlIdpConfig];
const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const oidcMapper = createMapper({ rules: oidcIdp.rules, gatewayRules, defaults });
const samlMapper = createMapper({ rules: samlIdp.rules, gatewayRules, defaults });

/** "contractor" as an IdP (or someone editing a profile) might spell it. */
const contractor = fc
  .tuple(
    fc.array(fc.constantFrom(0, 1, 2), { minLength: 10, maxLength: 10 }),
    fc.constantFrom('', ' ', '\t', '\u00a0', '\u3000', '  '),
    fc.constantFrom('', ' ', '\t', '\u00a0'),
    fc.constantFrom('contractor', 'ｃｏｎｔｒａｃｔｏｒ', 'CONTRACTOR'),
  )
  .map(([cases, before, after, base]) => {
    const recased = [...base]
      .map((ch, i) => (cases[i] === 1 ? ch.toUpperCase() : cases[i] === 2 ? ch.toLowerCase() : ch))
      .join('');
    return `${before}${recased}${after}`;
  });
const other = fc.constantFrom('employee', 'Employee', 'intern', 'contract', 'contractors', 'x');
const blank = fc.constantFrom('', ' ', '\u00a0', '\u3000');
const says = (v: unknown) => typeof v === 'string' && foldValue(v) === 'contractor';

/** One JSON claim value: a scalar or an array of anything an ID token can hold. */
const jsonItem = fc.oneof(
  { weight: 3, arbitrary: contractor },
  { weight: 3, arbitrary: other },
  { weight: 1, arbitrary: blank },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(1, 0, true, false, null, {}, { v: 'contractor' }),
  },
  { weight: 1, arbitrary: fc.constant<unknown>(['contractor']) },
);
const jsonClaim = fc.oneof(
  { weight: 1, arbitrary: fc.constant<unknown>(undefined) },
  { weight: 2, arbitrary: jsonItem },
  { weight: 4, arbitrary: fc.array(jsonItem, { maxLength: 5 }) },
);

/**
 * Whether the sent JSON value says contractor or leaves the person's employeeType unknown: absent,
 * only blank strings, or holding something no claim value can be (null, an object, a nested
 * array), which makes the identity mapper drop the claim. Numbers and booleans are values.
 */
const oidcMustDeny = (raw: unknown): boolean => {
  if (raw === undefined) return true;
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.some(says)) return true;
  if (items.some((v) => !['string', 'number', 'boolean'].includes(typeof v))) return true;
  return items.every((v) => typeof v === 'string' && foldValue(v) === '');
};

describe('the shipped contractor deny, from what the IdP sends', () => {
  it('OIDC: ID token claims of any shape never reach the production role when they say contractor or nothing', () => {
    let granted = 0;
    fc.assert(
      fc.property(jsonClaim, fc.boolean(), (raw, groupsAsArray) => {
        const claims: Record<string, unknown> = {
          iss: 'https://example.okta.com',
          sub: '00u1abcd',
          aud: 'c',
          groups: groupsAsArray ? ['Everyone', 'aws-admins'] : 'aws-admins',
          ...(raw === undefined ? {} : { employeeType: raw }),
        };
        const outcome = outcomeOf(() => oidcMapper.mapGrants(mapOidcIdentity(oidcIdp, claims)));
        const roles = outcome.ok ? outcome.value.grants.map((g) => g.roleArn) : [];
        if (oidcMustDeny(raw)) expect(roles).not.toContain(PROD_ADMIN);
        if (roles.includes(PROD_ADMIN)) granted += 1;
      }),
      fcOptions(3000),
    );
    // Not vacuous: employees (only non-contractor values) got the role in some runs.
    expect(granted).toBeGreaterThan(100);
  });

  it('SAML: attribute values split across the aliased names never reach the production role when they say contractor or nothing', () => {
    let granted = 0;
    const values = fc.array(fc.oneof(contractor, other, blank), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.option(values, { nil: undefined }),
        fc.option(values, { nil: undefined }),
        fc.option(values, { nil: undefined }),
        (viaOid, viaUri, viaOwnName) => {
          const attributes: Record<string, readonly string[]> = {
            groups: ['Everyone', 'aws-admins'],
            ...(viaOid ? { [OID]: viaOid } : {}),
            ...(viaUri ? { [URI]: viaUri } : {}),
            // An attribute already named like the alias is replaced by the alias (not read).
            ...(viaOwnName ? { employeeType: viaOwnName } : {}),
          };
          const outcome = outcomeOf(() =>
            samlMapper.mapGrants(
              mapSamlIdentity(samlIdp, {
                assertionId: '_a',
                issuer: 'http://www.okta.com/exk1',
                nameId: '00u1abcd',
                notOnOrAfter: 2_000_000_000,
                attributes,
              }),
            ),
          );
          const roles = outcome.ok ? outcome.value.grants.map((g) => g.roleArn) : [];
          const sent = [...(viaOid ?? []), ...(viaUri ?? [])];
          const mustDeny = sent.some(says) || sent.every((v) => foldValue(v) === '');
          if (mustDeny) expect(roles).not.toContain(PROD_ADMIN);
          if (roles.includes(PROD_ADMIN)) granted += 1;
        },
      ),
      fcOptions(3000),
    );
    expect(granted).toBeGreaterThan(100);
  });
});
