/**
 * The contractor denies the repository ships (the demo config `npm start` loads and the CDK
 * example stage's config) cannot be escaped by the shape of the claim: sending `employeeType`
 * twice, not at all, empty, padded, re-cased, or next to another value. Each case goes through
 * `mapGrants` with the rules exactly as the shipped files write them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type DenyRule,
  DenyRuleSchema,
  type Rule,
  RuleSchema,
} from '../../../shared/config/index.js';
import { type Identity, mapGrants } from '../../../shared/mapping/index.js';
import { regex } from './fixtures.js';

const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };

interface Shipped {
  gatewayRules?: unknown[];
  idps: { id: string; rules?: unknown[] }[];
}

const load = (path: string, idp: string) => {
  const doc = parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')) as Shipped;
  const rules = (doc.idps.find((i) => i.id === idp)?.rules ?? []).map((r) => RuleSchema.parse(r));
  const gatewayRules = (doc.gatewayRules ?? []).map((r) => DenyRuleSchema.parse(r));
  return { rules, gatewayRules };
};

/** Every shape of "I am a contractor" an IdP (or an attacker editing their profile) can send. */
const CONTRACTOR_SHAPES: [string, Record<string, string[]>][] = [
  ['sent once', { employeeType: ['contractor'] }],
  ['sent twice', { employeeType: ['contractor', 'contractor'] }],
  ['next to another value', { employeeType: ['employee', 'contractor'] }],
  ['re-cased', { employeeType: ['Contractor'] }],
  ['upper-cased', { employeeType: ['CONTRACTOR'] }],
  ['padded with whitespace', { employeeType: [' contractor\t'] }],
  ['not sent at all', {}],
  ['sent with no value', { employeeType: [] }],
  ['sent empty', { employeeType: [''] }],
  ['sent as whitespace', { employeeType: ['  '] }],
];

const person = (idp: string, claims: Record<string, string[]>, groups: string[]): Identity => ({
  idp,
  issuer: 'http://www.okta.com/exk1',
  subject: '00ucarol',
  claims: { email: ['carol@example.com'], department: ['web'], groups, ...claims },
});

const roleNames = (rules: readonly Rule[], who: Identity, gatewayRules: readonly DenyRule[]) =>
  mapGrants({ identity: who, rules, gatewayRules, defaults, regex }).grants.map((g) =>
    g.roleArn.split('/').pop(),
  );

describe('the demo config (infra/local/demo-config.yaml): contractors never reach production', () => {
  const { rules, gatewayRules } = load('infra/local/demo-config.yaml', 'demo-okta');
  const groups = ['Everyone', 'aws-platform-admins', 'aws-dev-web'];

  it('an employee with the same groups gets the production roles (the rules do grant them)', () => {
    const granted = roleNames(
      rules,
      person('demo-okta', { employeeType: ['employee'] }, groups),
      gatewayRules,
    );
    expect(granted).toContain('fedgate-demo-admin');
  });

  it.each(CONTRACTOR_SHAPES)('employeeType %s: no production role', (_, claims) => {
    const granted = roleNames(rules, person('demo-okta', claims, groups), gatewayRules);
    expect(granted).not.toContain('fedgate-demo-admin');
    expect(granted).not.toContain('fedgate-demo-readonly');
    expect(granted).toContain('fedgate-demo-developer');
  });
});

describe('the CDK example config (infra/cdk/example/): contractors never reach workloads data', () => {
  const { rules, gatewayRules } = load('infra/cdk/example/gateway-config.yaml', 'okta');
  const groups = ['aws-data-analytics', 'aws-shared-services'];

  it('an employee with the same groups gets the workloads role', () => {
    const granted = roleNames(
      rules,
      person('okta', { employeeType: ['employee'] }, groups),
      gatewayRules,
    );
    expect(granted).toContain('fedgate-department-data');
    expect(granted).toHaveLength(2);
  });

  it.each(CONTRACTOR_SHAPES)('employeeType %s: no workloads role', (_, claims) => {
    const result = mapGrants({
      identity: person('okta', claims, groups),
      rules,
      gatewayRules,
      defaults,
      regex,
    });
    expect(result.grants.map((g) => g.roleArn)).not.toContain(
      'arn:aws:iam::210987654321:role/fedgate-department-data',
    );
  });
});

describe('the demo config: a contractor gets production through no IdP', () => {
  it.each([
    ['demo-oidc', ['developers', 'platform-admins']],
    ['demo-entra', ['5f2c8a3e-1b4d-4c6a-8e9f-0a1b2c3d4e5f']],
  ])('%s grants the admin role to an employee, never to a contractor', (idp, groups) => {
    const { rules, gatewayRules } = load('infra/local/demo-config.yaml', idp);
    const admin = (claims: Record<string, string[]>) =>
      roleNames(rules, person(idp, claims, groups), gatewayRules).includes('fedgate-demo-admin');
    expect(admin({ employeeType: ['employee'] })).toBe(true);
    for (const [, claims] of CONTRACTOR_SHAPES) expect(admin(claims)).toBe(false);
  });
});
