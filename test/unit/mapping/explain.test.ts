import { describe, expect, it } from 'vitest';
import { type DenyRule, type Rule, RuleSchema } from '../../../shared/config/index.js';
import type {
  AllowRuleExplanation,
  DenyRuleExplanation,
  RuleExplanation,
} from '../../../shared/mapping/index.js';
import { allow, type Cond, deny, explainRun, identity, role, run } from './fixtures.js';

const byId = (rules: readonly RuleExplanation[], id: string) =>
  rules.find((r) => r.ruleId === id) as RuleExplanation;
const allowOf = (rules: readonly RuleExplanation[], id: string) =>
  byId(rules, id) as AllowRuleExplanation;

const admins: Cond = { claim: 'groups', op: 'contains', value: 'aws-admins' };
const eng: Cond = { claim: 'department', op: 'equals', value: 'eng' };
const contractor: Cond = {
  claim: 'employeeType',
  op: 'equals',
  value: 'contractor',
  quantifier: 'any',
};

describe('explain', () => {
  it('lists every rule in evaluation order with each condition, its mode and its reason', () => {
    const rules = [allow('later', 5, []), allow('admins', 1, [admins, eng])];
    const report = explainRun(rules, identity({ groups: ['eng-all'] }));
    expect(report.rules.map((r) => r.ruleId)).toEqual(['admins', 'later']);
    expect(report.rules[0]).toEqual({
      ruleId: 'admins',
      scope: 'idp',
      effect: 'allow',
      priority: 1,
      matched: false,
      roleArn: role('admins'),
      outcome: 'not-matched',
      problems: [],
      conditions: [
        {
          claim: 'groups',
          op: 'equals',
          value: 'aws-admins',
          quantifier: 'any',
          case: 'exact',
          missing: false,
          holds: false,
          reason: 'claim groups has no value equal to "aws-admins" (any value, exact case)',
        },
        {
          claim: 'department',
          op: 'equals',
          value: 'eng',
          quantifier: 'exactlyOne',
          case: 'exact',
          missing: true,
          holds: false,
          reason: 'claim department is missing: an allow condition never holds on a missing claim',
        },
      ],
    });
  });

  it.each<[string, Cond, Record<string, string[]>, boolean, string]>([
    [
      'equals (exactlyOne)',
      eng,
      { department: ['eng'] },
      true,
      'claim department has one value, equal to "eng" (exactly one value, exact case)',
    ],
    [
      'equals, other value',
      eng,
      { department: ['ops'] },
      false,
      'claim department has one value, not equal to "eng" (exactly one value, exact case)',
    ],
    [
      'equals, multi-valued',
      eng,
      { department: ['eng', 'ops'] },
      false,
      'claim department has 2 distinct values: exactlyOne needs exactly one',
    ],
    [
      'equals, fold',
      { ...eng, case: 'fold' },
      { department: ['ENG'] },
      true,
      'claim department has one value, equal to "eng" (exactly one value, ignoring case)',
    ],
    [
      'equals all',
      { ...eng, quantifier: 'all' },
      { department: ['eng', 'ops'] },
      false,
      'claim department: not every one of its 2 distinct values is equal to "eng" (every value, exact case)',
    ],
    [
      'contains (equals any)',
      admins,
      { groups: ['aws-admins'] },
      true,
      'claim groups has a value equal to "aws-admins" (any value, exact case)',
    ],
    [
      'startsWith',
      { claim: 'groups', op: 'startsWith', value: 'aws-' },
      { groups: ['x'] },
      false,
      'claim groups has no value starting with "aws-" (any value, exact case)',
    ],
    [
      'matches',
      { claim: 'email', op: 'matches', value: '.+@example\\.com' },
      { email: ['a@example.com'] },
      true,
      'claim email has a value matching ".+@example\\\\.com" (any value, exact case)',
    ],
    [
      'matches, too long',
      { claim: 'email', op: 'matches', value: '.+', case: 'fold' },
      { email: ['x'.repeat(1025)] },
      false,
      'claim email has no value matching ".+" (any value, ignoring case); 1 of 1 values longer than 1024 characters never match',
    ],
    ['exists', { claim: 'email', op: 'exists' }, { email: ['a'] }, true, 'claim email is present'],
  ])('explains %s', (_, cond, claims, holds, reason) => {
    const report = explainRun([allow('r', 1, [cond])], identity(claims));
    expect(report.rules[0]?.conditions[0]).toMatchObject({ holds, reason });
    expect(report.rules[0]?.matched).toBe(holds);
  });

  it.each<[string, Cond, Record<string, string[]>, boolean, string]>([
    [
      'a missing claim (fail closed)',
      contractor,
      {},
      true,
      'claim employeeType is missing: this deny holds (fail closed)',
    ],
    [
      'a missing claim with ifMissing: noMatch',
      { ...contractor, ifMissing: 'noMatch' },
      { employeeType: [''] },
      false,
      'claim employeeType is missing: this deny does not hold (ifMissing: noMatch)',
    ],
    [
      'a re-cased value among others',
      contractor,
      { employeeType: ['employee', 'Contractor'] },
      true,
      'claim employeeType has a value equal to "contractor" (any value, ignoring case)',
    ],
    ['absent', { claim: 'mfa', op: 'absent' }, {}, true, 'claim mfa is missing'],
  ])('explains a deny condition on %s', (_, cond, claims, holds, reason) => {
    const report = explainRun([deny('d', 1, [cond])], identity(claims));
    expect(report.rules[0]?.conditions[0]).toMatchObject({
      holds,
      reason,
      missing: reason.includes('missing'),
    });
  });

  it('shows the gateway rules first, scoped, and names them gateway:<id> when they deny', () => {
    const gatewayRules = [deny('contractors', 1, [contractor], [role('Admin')]) as DenyRule];
    const rules = [allow('Admin', 1, []), allow('ReadOnly', 2, [])];
    const report = explainRun(rules, identity({ employeeType: ['CONTRACTOR'] }), { gatewayRules });
    expect(report.rules.map((r) => [r.scope, r.ruleId, r.outcome])).toEqual([
      ['gateway', 'contractors', 'denies-roles'],
      ['idp', 'Admin', 'denied'],
      ['idp', 'ReadOnly', 'granted'],
    ]);
    expect(allowOf(report.rules, 'Admin').deniedBy).toBe('gateway:contractors');
    expect(report.deniedBy).toEqual(['gateway:contractors']);
    const { rules: _, ...final } = report;
    expect(final).toEqual(run(rules, identity({ employeeType: ['CONTRACTOR'] }), { gatewayRules }));
  });

  it('shows the grant a matched allow rule mints, field by field', () => {
    const rules = [
      allow('Admin', 1, [admins], {
        sessionName: '{claims.email}',
        sourceIdentity: '{claims.username}',
        sessionDurationSeconds: 7200,
        sessionTags: {
          team: '{claims.team}',
          cc: { value: '{claims.costCenter}', optional: true },
        },
        transitiveTagKeys: ['team', 'cc'],
      }),
    ];
    const who = identity({
      groups: ['aws-admins'],
      email: ['Jane Doe@example.com'],
      username: ['jdoe'],
      team: ['platform'],
    });
    const report = explainRun(rules, who);
    expect(allowOf(report.rules, 'Admin')).toMatchObject({
      matched: true,
      outcome: 'granted',
      problems: [],
      grant: {
        roleArn: role('Admin'),
        accountAlias: 'prod',
        sessionName: 'okta.Jane-Doe@example.com',
        sourceIdentity: 'okta.jdoe',
        durationSeconds: 7200,
        tags: [{ key: 'team', value: 'platform' }],
        transitiveTagKeys: ['team'],
      },
    });
    expect(report.grants).toEqual(run(rules, who).grants);
  });

  it('gives every reason a grant cannot be minted', () => {
    const rules = [
      allow('Admin', 1, [], {
        sourceIdentity: '{claims.username}',
        sessionTags: { team: '{claims.team}', dept: '{claims.department}' },
      }),
    ];
    const report = explainRun(rules, identity({ team: ['R&D'], username: ['a', 'b'] }));
    expect(allowOf(report.rules, 'Admin')).toMatchObject({
      matched: true,
      outcome: 'failed',
      problems: [
        'source identity: claim username has 2 values and this field takes one',
        'tag team: tag value has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+-@]',
        'tag dept: claim department is missing',
      ],
    });
    expect(allowOf(report.rules, 'Admin').grant).toBeUndefined();
    expect(report.problems.map((p) => p.ruleId)).toEqual(['Admin', 'Admin', 'Admin']);
  });

  it('says which deny overrode a grant, still showing the grant it would have been', () => {
    const rules: Rule[] = [
      allow('Admin', 1, []),
      allow('ReadOnly', 2, []),
      deny('no-admin', 9, [], [role('Admin')]),
      deny('never', 10, [{ ...eng, quantifier: 'any' }]),
    ];
    const report = explainRun(rules, identity({ department: ['ops'] }));
    expect(allowOf(report.rules, 'Admin')).toMatchObject({
      outcome: 'denied',
      deniedBy: 'no-admin',
      grant: { roleArn: role('Admin') },
    });
    expect(byId(report.rules, 'no-admin') as DenyRuleExplanation).toMatchObject({
      effect: 'deny',
      matched: true,
      roleArns: [role('Admin')],
      outcome: 'denies-roles',
    });
    expect(byId(report.rules, 'never')).toMatchObject({ matched: false, outcome: 'not-matched' });
    expect(report.grants.map((g) => g.ruleId)).toEqual(['ReadOnly']);
    expect(report.deniedBy).toEqual(['no-admin']);
  });

  it('shows a deny-all overriding every matched allow', () => {
    const rules = [allow('Admin', 1, []), deny('offboarded', 2, [])];
    const report = explainRun(rules, identity({}));
    expect(report).toMatchObject({ denied: true, grants: [], problems: [] });
    expect(allowOf(report.rules, 'Admin')).toMatchObject({
      outcome: 'denied',
      deniedBy: 'offboarded',
    });
    expect(byId(report.rules, 'offboarded')).toMatchObject({ outcome: 'denies-all' });
    expect(byId(report.rules, 'offboarded')).not.toHaveProperty('roleArns');
  });

  it('marks a later rule for the same role as shadowed', () => {
    const rules = [
      allow('first', 1, [], { roleArn: role('Shared'), label: 'one' }),
      allow('second', 2, [], { roleArn: role('Shared'), label: 'two' }),
    ];
    const report = explainRun(rules, identity({}));
    expect(allowOf(report.rules, 'second')).toMatchObject({
      outcome: 'shadowed',
      shadowedBy: 'first',
      grant: { label: 'two' },
    });
    expect(report.grants.map((g) => g.label)).toEqual(['one']);
  });

  it('is plain data (JSON round-trips) and equal to mapGrants for the final result', () => {
    const rules = [
      allow('Admin', 1, [admins]),
      RuleSchema.parse({
        id: 'x',
        priority: 2,
        description: 'everyone',
        effect: 'allow',
        when: [],
        grant: { roleArn: role('x') },
      }),
    ];
    const who = identity({ groups: ['aws-admins'] });
    const report = explainRun(rules, who);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const { rules: _, ...final } = report;
    expect(final).toEqual(run(rules, who));
    expect(byId(report.rules, 'x').description).toBe('everyone');
  });
});
