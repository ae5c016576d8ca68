import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkDuration,
  checkSessionName,
  checkSourceIdentity,
  checkTagKey,
  checkTagValue,
  MAX_SESSION_TAGS,
} from '../../../shared/aws-rules.js';
import type { Rule } from '../../../shared/config/index.js';
import {
  createMapper,
  type Grant,
  hashSubject,
  subjectRefOf,
} from '../../../shared/mapping/index.js';
import {
  accounts,
  allow,
  type Cond,
  defaults,
  deny,
  explainRun,
  identity,
  only,
  regex,
  role,
  run,
} from './fixtures.js';

/** Whether an allow rule with this one condition grants. */
const holds = (cond: Cond, claims: Record<string, readonly string[]>) =>
  run([allow('r', 1, [cond])], identity(claims)).grants.length === 1;

/** Whether a deny rule with this one condition (and no roleArns) refuses everything. */
const denies = (cond: Cond, claims: Record<string, readonly string[]>) =>
  run([allow('r', 1, []), deny('d', 0, [cond])], identity(claims)).denied;

/** Every value in an issued grant holds to AWS's rules (ARCHITECTURE.md §6). */
const expectAwsValid = (g: Grant) => {
  expect(checkSessionName(g.sessionName)).toBeUndefined();
  if (g.sourceIdentity !== undefined) expect(checkSourceIdentity(g.sourceIdentity)).toBeUndefined();
  expect(checkDuration(g.durationSeconds)).toBeUndefined();
  expect(g.tags.length).toBeLessThanOrEqual(MAX_SESSION_TAGS);
  for (const t of g.tags) {
    expect(checkTagKey(t.key)).toBeUndefined();
    expect(checkTagValue(t.value)).toBeUndefined();
  }
  const keys = g.tags.map((t) => t.key);
  expect(new Set(keys.map((k) => k.toLowerCase())).size).toBe(keys.length);
  for (const k of g.transitiveTagKeys) expect(keys).toContain(k);
};

describe('allow conditions', () => {
  const eq = (value: string, quantifier?: string, c?: string): Cond => ({
    claim: 'dept',
    op: 'equals',
    value,
    ...(quantifier ? { quantifier } : {}),
    ...(c ? { case: c } : {}),
  });
  it.each<[string, Cond, Record<string, readonly string[]>, boolean]>([
    ['equals any: one of many', eq('eng', 'any'), { dept: ['ops', 'eng'] }, true],
    ['equals any: none', eq('eng', 'any'), { dept: ['ops'] }, false],
    ['equals any: missing', eq('eng', 'any'), {}, false],
    ['equals any: no values', eq('eng', 'any'), { dept: [] }, false],
    ['equals any: blank values only (missing)', eq('eng', 'any'), { dept: ['', ' \t'] }, false],
    ['equals any: exact case by default', eq('eng', 'any'), { dept: ['ENG'] }, false],
    ['equals any, fold: re-cased', eq('eng', 'any', 'fold'), { dept: ['ENG'] }, true],
    ['equals any, fold: padded', eq('eng', 'any', 'fold'), { dept: ['  eng '] }, true],
    ['equals any, exact: padded is another value', eq('eng', 'any'), { dept: [' eng'] }, false],
    ['equals all: every value', eq('eng', 'all'), { dept: ['eng', 'eng'] }, true],
    ['equals all: one other value', eq('eng', 'all'), { dept: ['eng', 'ops'] }, false],
    ['equals all: missing', eq('eng', 'all'), {}, false],
    ['equals all: a blank value is not a value', eq('eng', 'all'), { dept: ['eng', ''] }, true],
    ['exactlyOne: one value', eq('eng', 'exactlyOne'), { dept: ['eng'] }, true],
    [
      'exactlyOne: sent twice (one distinct)',
      eq('eng', 'exactlyOne'),
      { dept: ['eng', 'eng'] },
      true,
    ],
    ['exactlyOne: two values', eq('eng', 'exactlyOne'), { dept: ['eng', 'ops'] }, false],
    ['equals without quantifier is exactlyOne', eq('eng'), { dept: ['eng', 'ops'] }, false],
    ['equals without quantifier, single', eq('eng'), { dept: ['eng'] }, true],
    [
      'contains is equals any',
      { claim: 'dept', op: 'contains', value: 'eng' },
      { dept: ['ops', 'eng'] },
      true,
    ],
    [
      'ignoreCase: true is fold',
      { claim: 'dept', op: 'contains', value: 'eng', ignoreCase: true },
      { dept: ['ENG'] },
      true,
    ],
    [
      'fold: ß meets SS',
      { claim: 'dept', op: 'equals', value: 'straße', case: 'fold', quantifier: 'any' },
      { dept: ['STRASSE'] },
      true,
    ],
    [
      'fold: Kelvin sign meets k',
      { claim: 'dept', op: 'equals', value: 'kilo', case: 'fold', quantifier: 'any' },
      { dept: ['\u212Ailo'] },
      true,
    ],
    [
      'fold: a zero-width space is ignored',
      { claim: 'dept', op: 'equals', value: 'eng', case: 'fold', quantifier: 'any' },
      { dept: ['e\u200Bng'] },
      true,
    ],
    [
      'startsWith (any by default)',
      { claim: 'groups', op: 'startsWith', value: 'aws-' },
      { groups: ['x', 'aws-dev'] },
      true,
    ],
    [
      'startsWith all',
      { claim: 'groups', op: 'startsWith', value: 'aws-', quantifier: 'all' },
      { groups: ['x', 'aws-dev'] },
      false,
    ],
    [
      'startsWith: case differs',
      { claim: 'groups', op: 'startsWith', value: 'aws-' },
      { groups: ['AWS-dev'] },
      false,
    ],
    [
      'matches: the whole value',
      { claim: 'email', op: 'matches', value: '[a-z.]+@example\\.com' },
      { email: ['jane.doe@example.com'] },
      true,
    ],
    [
      'matches: not a substring',
      { claim: 'email', op: 'matches', value: '[a-z.]+@example\\.com' },
      { email: ['jane@example.com.evil'] },
      false,
    ],
    [
      'matches: an alternation stays anchored',
      { claim: 'groups', op: 'matches', value: 'a|b' },
      { groups: ['ab'] },
      false,
    ],
    [
      'matches: fold',
      { claim: 'groups', op: 'matches', value: 'admins', case: 'fold' },
      { groups: ['ADMINS'] },
      true,
    ],
    [
      'matches: exact case',
      { claim: 'groups', op: 'matches', value: 'admins' },
      { groups: ['ADMINS'] },
      false,
    ],
    [
      'matches: code points, not UTF-16 units',
      { claim: 'n', op: 'matches', value: '.' },
      { n: ['😀'] },
      true,
    ],
    [
      'matches: a value over 1,024 characters never matches',
      { claim: 'v', op: 'matches', value: 'a+' },
      { v: ['a'.repeat(1025)] },
      false,
    ],
    [
      'matches: 1,024 characters are tested',
      { claim: 'v', op: 'matches', value: 'a+' },
      { v: ['a'.repeat(1024)] },
      true,
    ],
    ['exists: present', { claim: 'dept', op: 'exists' }, { dept: ['x'] }, true],
    ['exists: missing', { claim: 'dept', op: 'exists' }, {}, false],
    ['exists: blank only', { claim: 'dept', op: 'exists' }, { dept: [''] }, false],
    [
      'claim names are exact',
      { claim: 'groups', op: 'contains', value: 'a' },
      { Groups: ['a'] },
      false,
    ],
  ])('%s', (_, cond, claims, expected) => {
    expect(holds(cond, claims)).toBe(expected);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'never reads %s from the object prototype',
    (claim) => {
      const claims = JSON.parse('{}') as Record<string, readonly string[]>;
      expect(holds({ claim, op: 'exists' }, claims)).toBe(false);
      expect(holds({ claim, op: 'matches', value: '.*' }, claims)).toBe(false);
      expect(
        run([allow('r', 1, [], { sessionTags: { t: `{claims.${claim}}` } })], identity(claims))
          .problems[0]?.reason,
      ).toBe(`tag t: claim ${claim} is missing`);
    },
  );

  it('holds only when every condition holds; an empty `when` always holds', () => {
    const rules = [
      allow('both', 1, [
        { claim: 'groups', op: 'contains', value: 'eng' },
        { claim: 'dept', op: 'equals', value: 'platform' },
      ]),
      allow('everyone', 2, []),
    ];
    const granted = (claims: Record<string, string[]>) =>
      run(rules, identity(claims)).grants.map((g) => g.ruleId);
    expect(granted({ groups: ['eng'], dept: ['platform'] })).toEqual(['both', 'everyone']);
    expect(granted({ groups: ['eng'], dept: ['sales'] })).toEqual(['everyone']);
    expect(granted({ dept: ['platform'] })).toEqual(['everyone']);
  });
});

describe('deny conditions: monotone, folded, fail closed', () => {
  const contractor: Cond = {
    claim: 'employeeType',
    op: 'equals',
    value: 'contractor',
    quantifier: 'any',
  };
  it.each<[string, Record<string, readonly string[]>, boolean]>([
    ['sent once', { employeeType: ['contractor'] }, true],
    ['sent twice', { employeeType: ['contractor', 'contractor'] }, true],
    ['next to another value', { employeeType: ['employee', 'contractor'] }, true],
    ['re-cased', { employeeType: ['CONTRACTOR'] }, true],
    ['padded', { employeeType: ['\u00A0contractor '] }, true],
    ['full-width', { employeeType: ['ｃｏｎｔｒａｃｔｏｒ'] }, true],
    ['with a zero-width joiner inside', { employeeType: ['contra\u200Dctor'] }, true],
    ['missing (fail closed)', {}, true],
    ['sent with no value (fail closed)', { employeeType: [] }, true],
    ['sent empty (fail closed)', { employeeType: [''] }, true],
    ['another value only', { employeeType: ['employee'] }, false],
  ])('employeeType %s', (_, claims, expected) => {
    expect(denies(contractor, claims)).toBe(expected);
  });

  it('ifMissing: noMatch lets a missing claim through (the documented escape)', () => {
    const cond = { ...contractor, ifMissing: 'noMatch' };
    expect(denies(cond, {})).toBe(false);
    expect(denies(cond, { employeeType: [''] })).toBe(false);
    expect(denies(cond, { employeeType: ['Contractor'] })).toBe(true);
  });

  it('startsWith and matches fold too, and any value is enough', () => {
    expect(
      denies(
        { claim: 'g', op: 'startsWith', value: 'ext-', quantifier: 'any' },
        { g: ['a', 'EXT-x'] },
      ),
    ).toBe(true);
    expect(
      denies(
        { claim: 'g', op: 'matches', value: 'ext-[0-9]+', quantifier: 'any' },
        { g: ['a', 'EXT-42'] },
      ),
    ).toBe(true);
    expect(
      denies({ claim: 'g', op: 'matches', value: 'ext-[0-9]+', quantifier: 'any' }, { g: ['a'] }),
    ).toBe(false);
  });

  it('a value too long to test against a pattern counts as matching (fail closed)', () => {
    const cond = { claim: 'g', op: 'matches', value: 'ext-.*', quantifier: 'any' };
    expect(denies(cond, { g: [`x${'a'.repeat(2000)}`] })).toBe(true);
  });

  it('absent holds when the claim is missing or blank, not when it is sent', () => {
    const cond = { claim: 'mfa', op: 'absent' };
    expect(denies(cond, {})).toBe(true);
    expect(denies(cond, { mfa: [' '] })).toBe(true);
    expect(denies(cond, { mfa: ['otp'] })).toBe(false);
  });
});

describe('conditions that bypassed the schema (a hand-edited item): the engine stays monotone', () => {
  const raw = (effect: 'allow' | 'deny', when: unknown[]): Rule =>
    (effect === 'allow'
      ? {
          id: 'r',
          priority: 1,
          effect,
          when,
          grant: { roleArn: role('r'), sessionTags: {}, transitiveTagKeys: [] },
        }
      : { id: 'd', priority: 0, effect, when }) as unknown as Rule;
  const everyone = raw('allow', []);

  it('a deny is read as any value, folded, whatever quantifier or case it claims', () => {
    const d = raw('deny', [
      { claim: 't', op: 'equals', value: 'contractor', quantifier: 'exactlyOne', case: 'exact' },
    ]);
    expect(run([everyone, d], identity({ t: ['employee', 'CONTRACTOR'] })).denied).toBe(true);
    expect(run([everyone, d], identity({})).denied).toBe(true);
  });

  it('a deny on exists holds always, an allow on absent never', () => {
    expect(run([everyone, raw('deny', [{ claim: 't', op: 'exists' }])], identity({})).denied).toBe(
      true,
    );
    expect(run([raw('allow', [{ claim: 't', op: 'absent' }])], identity({})).grants).toEqual([]);
  });

  it('a pattern RE2 refuses: a deny holds, an allow never matches', () => {
    const bad = { claim: 't', op: 'matches', value: '(?=x)x', quantifier: 'any', case: 'fold' };
    expect(run([everyone, raw('deny', [bad])], identity({ t: ['x'] })).denied).toBe(true);
    expect(run([raw('allow', [{ ...bad, case: 'exact' }])], identity({ t: ['x'] })).grants).toEqual(
      [],
    );
  });
});

describe('order, denies and shadowing', () => {
  // Valid on both sides: an allow reads it as it is, a deny requires the explicit quantifier.
  const admin = { claim: 'groups', op: 'equals', value: 'admins', quantifier: 'any' };
  const who = identity({ groups: ['admins', 'eng'] });

  it('evaluates by ascending priority, ties by rule id in code-unit order', () => {
    const rules = (['c', 20, 'b', 10, 'a', 10, 'B', 10, 'z', 0] as const).flatMap((x, i, xs) =>
      i % 2 ? [] : [allow(x as string, xs[i + 1] as number, [], { roleArn: role(`R${i}`) })],
    );
    expect(run(rules, who).grants.map((g) => g.ruleId)).toEqual(['z', 'B', 'a', 'b', 'c']);
  });

  it('a deny without roleArns refuses everything', () => {
    const result = run([allow('Admin', 1, [admin]), deny('offboarded', 50, [admin])], who);
    expect(result).toEqual({ grants: [], denied: true, deniedBy: ['offboarded'], problems: [] });
  });

  it('a deny wins over an allow evaluated before it', () => {
    const rules = [allow('Admin', 1, [admin]), deny('no-admin', 999_999, [admin], [role('Admin')])];
    expect(run(rules, who)).toMatchObject({ grants: [], denied: false, deniedBy: ['no-admin'] });
  });

  it('a deny with roleArns removes only those roles', () => {
    const rules = [
      allow('Admin', 1, [admin]),
      allow('ReadOnly', 2, []),
      deny('no-admin', 3, [], [role('Admin')]),
    ];
    const result = run(rules, who);
    expect(result.grants.map((g) => g.roleArn)).toEqual([role('ReadOnly')]);
    expect(result.denied).toBe(false);
  });

  it('a deny names a role whatever the case or path of its ARN (IAM role names are unique per account)', () => {
    const rules = [
      allow('a', 1, [], { roleArn: 'arn:aws:iam::111122223333:role/ops/Admin' }),
      allow('b', 2, [], { roleArn: 'arn:aws:iam::444455556666:role/Admin' }),
      deny('d', 3, [], ['arn:aws:iam::111122223333:role/ADMIN']),
    ];
    expect(run(rules, who).grants.map((g) => g.ruleId)).toEqual(['b']);
  });

  it('a deny whose conditions fail changes nothing', () => {
    const rules = [
      allow('Admin', 1, []),
      deny('d', 0, [{ claim: 'groups', op: 'equals', value: 'y', quantifier: 'any' }]),
    ];
    expect(run(rules, who)).toMatchObject({ denied: false, deniedBy: [] });
    expect(run(rules, who).grants).toHaveLength(1);
  });

  it('of two allow rules for one role the first in evaluation order wins', () => {
    const rules = [
      allow('late', 20, [], { roleArn: role('Shared'), sessionTags: { level: 'low' } }),
      allow('early', 10, [admin], { roleArn: role('Shared'), sessionTags: { level: 'high' } }),
    ];
    const { grants } = run(rules, who);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ ruleId: 'early', tags: [{ key: 'level', value: 'high' }] });
  });

  it('a failing first grant does not fall through to a later rule for the same role', () => {
    const rules = [
      allow('strict', 1, [], { roleArn: role('Shared'), sessionTags: { team: '{claims.team}' } }),
      allow('loose', 2, [], { roleArn: role('Shared') }),
    ];
    const result = run(rules, who);
    expect(result.grants).toEqual([]);
    expect(result.problems).toEqual([
      { ruleId: 'strict', roleArn: role('Shared'), reason: 'tag team: claim team is missing' },
    ]);
  });

  it('reports no problem for a role a deny removes anyway', () => {
    const rules = [
      allow('a', 1, [], { roleArn: role('A'), sourceIdentity: '{claims.nope}' }),
      deny('d', 2, [], [role('A')]),
    ];
    expect(run(rules, who).problems).toEqual([]);
  });
});

describe('grant fields', () => {
  const who = identity({ email: ['jane@example.com'] });

  it('derives id, account, alias, label and duration', () => {
    const rules = [
      allow('Admin', 1, []),
      allow('other', 2, [], {
        roleArn: 'arn:aws-us-gov:iam::444455556666:role/team/Deploy',
        label: 'Deploy (GovCloud)',
        sessionDurationSeconds: 43_200,
      }),
    ];
    const [a, b] = run(rules, who).grants;
    const expectedId = createHash('sha256')
      .update(`okta\n${role('Admin')}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(a).toEqual({
      id: expectedId,
      ruleId: 'Admin',
      roleArn: role('Admin'),
      accountId: '111122223333',
      accountAlias: 'prod',
      label: 'Admin',
      durationSeconds: 3600,
      sessionName: 'okta.00u1abcd',
      sourceIdentity: `okta.${subjectRefOf('okta', '00u1abcd')}`,
      tags: [],
      transitiveTagKeys: [],
    });
    // The same reference the sign-in logs for this person (shared/log.ts hashSubject).
    expect(a?.sourceIdentity).toBe(`okta.${hashSubject('okta:00u1abcd')}`);
    expect(a?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b).toMatchObject({
      accountId: '444455556666',
      label: 'Deploy (GovCloud)',
      durationSeconds: 43_200,
    });
    expect(b).not.toHaveProperty('accountAlias');
    expect(b?.sourceIdentity).toBe(a?.sourceIdentity);
  });

  it('ids are stable, per IdP, and never the ARN', () => {
    const rules = [allow('Admin', 1, [])];
    const id1 = run(rules, who).grants[0]?.id;
    expect(run(rules, who).grants[0]?.id).toBe(id1);
    expect(run(rules, identity({}, { idp: 'entra' })).grants[0]?.id).not.toBe(id1);
    expect(id1).not.toContain('Admin');
  });

  it('a compiled mapper gives what mapGrants gives, for many identities', () => {
    const rules = [
      allow('a', 1, [{ claim: 'g', op: 'matches', value: 'x\\d' }]),
      allow('b', 2, []),
    ];
    const mapper = createMapper({ rules, defaults, accounts, regex });
    for (const g of ['x1', 'x2', 'y', 'x10']) {
      const who2 = identity({ g: [g] });
      expect(mapper.mapGrants(who2)).toEqual(run(rules, who2));
    }
  });
});

describe('session names', () => {
  const grantWith = (
    sessionName: string | undefined,
    claims: Record<string, string[]>,
    d = defaults,
  ) =>
    only(
      run([allow('r', 1, [], sessionName ? { sessionName } : {})], identity(claims), {
        defaults: d,
      }),
    );

  it('renders the grant template, sanitised', () => {
    expect(
      grantWith('{claims.email}', { email: ['josé.garcía@example.com'] }).grant?.sessionName,
    ).toBe('okta.jose.garcia@example.com');
    expect(grantWith('{idp}/{subject}', {}).grant?.sessionName).toBe('okta.okta-00u1abcd');
  });

  it('uses the default template when the grant has none', () => {
    const d = { ...defaults, sessionName: 'fg-{claims.email}' };
    expect(grantWith(undefined, { email: ['a@b.c'] }, d).grant?.sessionName).toBe('okta.fg-a@b.c');
  });

  it('falls back to the default template, then to the subject, when a claim is missing', () => {
    const d = { ...defaults, sessionName: '{claims.username}' };
    expect(grantWith('{claims.email}', { username: ['jdoe'] }, d).grant?.sessionName).toBe(
      'okta.jdoe',
    );
    expect(grantWith('{claims.email}', {}, d).grant?.sessionName).toBe('okta.00u1abcd');
    expect(grantWith(undefined, {}, d).grant?.sessionName).toBe('okta.00u1abcd');
  });

  it('fails the grant for a multi-valued claim', () => {
    expect(grantWith('{claims.email}', { email: ['a@b.c', 'd@e.f'] })).toEqual({
      grant: undefined,
      reasons: ['session name: claim email has 2 values and this field takes one'],
    });
  });

  it('keeps literal braces and never re-expands a value that looks like a placeholder', () => {
    expect(grantWith('{{{claims.email}}}', { email: ['{subject}'] }).grant?.sessionName).toBe(
      'okta.--subject--',
    );
  });
});

describe('session tags', () => {
  const tagsOf = (
    sessionTags: Record<string, unknown>,
    claims: Record<string, readonly string[]>,
    transitiveTagKeys: string[] = [],
  ) => {
    const result = run(
      [allow('r', 1, [], { sessionTags, transitiveTagKeys })],
      identity(claims, { issuer: 'https://idp.example.com' }),
    );
    const g = result.grants[0];
    return {
      tags: g ? Object.fromEntries(g.tags.map((t) => [t.key, t.value])) : undefined,
      transitive: g?.transitiveTagKeys,
      reasons: result.problems.map((p) => p.reason),
    };
  };
  const groups = { groups: ['b', 'a', 'b', 'c'] };

  it('renders static and templated values', () => {
    expect(
      tagsOf(
        { env: 'prod', team: '{claims.team}', from: '{issuer}', who: '{subject}@{idp}' },
        { team: ['platform'] },
      ).tags,
    ).toEqual({
      env: 'prod',
      team: 'platform',
      from: 'https://idp.example.com',
      // Templated from the subject: namespaced like the source identity.
      who: 'okta.00u1abcd@okta',
    });
  });

  it('join (the default): dedupes, sorts by code unit and joins with the separator', () => {
    expect(tagsOf({ g: '{claims.groups}' }, groups).tags).toEqual({ g: 'a:b:c' });
    expect(tagsOf({ g: { value: '{claims.groups}', separator: '/' } }, groups).tags).toEqual({
      g: 'a/b/c',
    });
    // Code units, not locale: uppercase before lowercase, accented letters last.
    expect(tagsOf({ g: '{claims.groups}' }, { groups: ['b', 'É', 'a', 'B'] }).tags).toEqual({
      g: 'B:a:b:É',
    });
  });

  it('join applies inside longer text too', () => {
    expect(tagsOf({ g: 'teams-{claims.groups}' }, groups).tags).toEqual({ g: 'teams-a:b:c' });
  });

  it('join refuses a value containing the separator, single-valued or not (ambiguous)', () => {
    expect(tagsOf({ g: '{claims.groups}' }, { groups: ['a:b', 'c'] }).reasons).toEqual([
      expect.stringMatching(/^tag g: a value of claim groups contains the separator ":"/),
    ]);
    expect(tagsOf({ g: '{claims.groups}' }, { groups: ['a:b'] }).tags).toBeUndefined();
    expect(
      tagsOf({ g: { value: '{claims.groups}', separator: ' ' } }, { groups: ['a b', 'c'] }).tags,
    ).toBeUndefined();
    expect(
      tagsOf({ g: { value: '{claims.groups}', multiValue: 'reject' } }, { groups: ['a:b'] }).tags,
    ).toEqual({ g: 'a:b' });
  });

  it('first takes the first value in code-unit order', () => {
    expect(tagsOf({ g: { value: '{claims.groups}', multiValue: 'first' } }, groups).tags).toEqual({
      g: 'a',
    });
  });

  it('reject refuses more than one distinct value', () => {
    const spec = { g: { value: '{claims.groups}', multiValue: 'reject' } };
    expect(tagsOf(spec, groups).reasons).toEqual([
      'tag g: claim groups has 3 distinct values and multiValue is "reject"',
    ]);
    expect(tagsOf(spec, { groups: ['a', 'a'] }).tags).toEqual({ g: 'a' });
  });

  it('a missing claim omits an optional tag (and its transitive key) but fails a required one', () => {
    const spec = { team: '{claims.team}', cc: { value: '{claims.costCenter}', optional: true } };
    expect(tagsOf(spec, { team: ['platform'] }, ['team', 'cc'])).toEqual({
      tags: { team: 'platform' },
      transitive: ['team'],
      reasons: [],
    });
    expect(
      tagsOf(spec, { team: ['platform'], costCenter: ['42'] }, ['cc', 'team']).transitive,
    ).toEqual(['cc', 'team']);
    expect(tagsOf(spec, { costCenter: ['42'] }).reasons).toEqual([
      'tag team: claim team is missing',
    ]);
  });

  it('spells transitive keys as the emitted tag key', () => {
    expect(tagsOf({ Team: 'x' }, {}, ['team']).transitive).toEqual(['Team']);
  });

  it('accepts a value of exactly 256 characters and refuses 257, never truncating', () => {
    expect(tagsOf({ v: 'x-{claims.v}' }, { v: ['a'.repeat(254)] }).tags?.v).toHaveLength(256);
    expect(tagsOf({ v: 'x-{claims.v}' }, { v: ['a'.repeat(255)] })).toEqual({
      tags: undefined,
      transitive: undefined,
      reasons: ['tag v: tag value must be at most 256 characters, got 257'],
    });
    expect(
      tagsOf({ g: '{claims.groups}' }, { groups: ['a'.repeat(128), 'b'.repeat(127)] }).tags?.g,
    ).toHaveLength(256);
    expect(
      tagsOf({ g: '{claims.groups}' }, { groups: ['a'.repeat(128), 'b'.repeat(128)] }).tags,
    ).toBeUndefined();
  });

  it('emits 50 tags', () => {
    const spec = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`k${i}`, `{claims.c${i}}`]),
    );
    const claims = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, [`v${i}`]]));
    const { tags } = tagsOf(spec, claims);
    expect(Object.keys(tags ?? {})).toHaveLength(50);
    expect(tags?.k49).toBe('v49');
  });

  it('reports every failing tag', () => {
    expect(tagsOf({ a: '{claims.x}', b: '{claims.y}', c: 'ok' }, { y: ['a,b'] }).reasons).toEqual([
      'tag a: claim x is missing',
      'tag b: tag value has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+-@]',
    ]);
  });
});

describe('source identity', () => {
  const sourceOf = (sourceIdentity: string, claims: Record<string, readonly string[]>) =>
    only(run([allow('r', 1, [], { sourceIdentity })], identity(claims)));

  it('renders a valid value as <idp>.<value>', () => {
    expect(
      sourceOf('{claims.username}', { username: ['jane.doe@example.com'] }).grant?.sourceIdentity,
    ).toBe('okta.jane.doe@example.com');
  });

  it('without a template is <idp>.<subjectRef>: always set, one per person and IdP', () => {
    const bare = (idp: string, subject: string) =>
      run([allow('r', 1, [])], identity({}, { idp, subject })).grants[0]?.sourceIdentity;
    expect(bare('okta', 'a')).toBe(`okta.${subjectRefOf('okta', 'a')}`);
    expect(bare('okta', 'a')).toMatch(/^okta\.[0-9a-f]{16}$/);
    expect(bare('okta', 'b')).not.toBe(bare('okta', 'a'));
    expect(bare('entra', 'a')).toMatch(/^entra\./);
  });

  it.each<[string, Record<string, readonly string[]>, string]>([
    ['missing', {}, 'source identity: claim username is missing'],
    [
      'multi-valued',
      { username: ['a1', 'b2'] },
      'source identity: claim username has 2 values and this field takes one',
    ],
    [
      'too long with the prefix',
      { username: ['j'.repeat(60)] },
      'source identity: source identity must be 2-64 characters, got 65 (as "<idp>.<value>")',
    ],
    [
      'a space',
      { username: ['jane doe'] },
      'source identity: source identity has characters outside [A-Za-z0-9_+=,.@-] (as "<idp>.<value>")',
    ],
    [
      'accented',
      { username: ['josé'] },
      'source identity: source identity has characters outside [A-Za-z0-9_+=,.@-] (as "<idp>.<value>")',
    ],
    [
      'aws: prefixed',
      { username: ['aws:admin'] },
      'source identity: source identity has characters outside [A-Za-z0-9_+=,.@-] (as "<idp>.<value>")',
    ],
  ])('refuses, never alters, a %s value', (_, claims, reason) => {
    expect(sourceOf('{claims.username}', claims)).toEqual({ grant: undefined, reasons: [reason] });
  });

  it('accepts exactly 64 characters, prefix included', () => {
    expect(
      sourceOf('{claims.username}', { username: ['j'.repeat(59)] }).grant?.sourceIdentity,
    ).toHaveLength(64);
  });

  it('fails every grant of an identity whose IdP id is not one (nothing to namespace with)', () => {
    expect(run([allow('r', 1, [])], identity({}, { idp: 'Okta.evil' }))).toMatchObject({
      grants: [],
      problems: [{ reason: 'identity: its IdP id is not a valid IdP id' }],
    });
  });
});

describe('hostile claim values', () => {
  const evilRole = 'arn:aws:iam::999999999999:role/Evil';
  const hostile = [
    '</saml:AttributeValue><saml:AttributeValue>admin',
    ']]>',
    'a\u0000b',
    evilRole,
    `${role('Admin')},arn:aws:iam::999999999999:saml-provider/Evil`,
    '{claims.groups}',
    '\u202eevil',
    'x'.repeat(5000),
  ];
  const rules = [
    allow('Admin', 1, [], {
      sessionName: '{claims.v}',
      sessionTags: { v: { value: '{claims.v}', multiValue: 'reject' } },
      transitiveTagKeys: ['v'],
    }),
    allow('Audit', 2, [], { sourceIdentity: '{claims.v}' }),
  ];

  it.each(hostile)(
    '%j: literal where the charset allows it, otherwise a failed grant; never another role',
    (v) => {
      const result = run(rules, identity({ v: [v], groups: ['admins'] }));
      for (const g of result.grants) {
        expectAwsValid(g);
        expect([role('Admin'), role('Audit')]).toContain(g.roleArn);
        expect(g.roleArn).not.toContain('999999999999');
        for (const t of g.tags) expect(t.value).toBe(v);
      }
      // Only the colon-and-slash ARN fits the tag charset: the tag carries it verbatim (inert).
      expect(result.grants.some((g) => g.ruleId === 'Admin')).toBe(v === evilRole);
      expect(result.grants.some((g) => g.ruleId === 'Audit')).toBe(false);
      // Reasons name claims, never their values: problems go to the logs.
      for (const p of result.problems) expect(p.reason).not.toContain(v);
    },
  );
});

describe('rules that bypassed the schema', () => {
  it('fail closed instead of throwing', () => {
    const broken = [
      {
        id: 'bad-template',
        priority: 1,
        effect: 'allow',
        when: [],
        grant: {
          roleArn: role('A'),
          sessionName: '{claim.x}',
          sessionTags: {},
          transitiveTagKeys: [],
        },
      },
      {
        id: 'bad-pattern',
        priority: 2,
        effect: 'allow',
        when: [{ claim: 'g', op: 'matches', value: '(', ignoreCase: false }],
        grant: { roleArn: role('B'), sessionTags: {}, transitiveTagKeys: [] },
      },
      {
        id: 'bad-tags',
        priority: 3,
        effect: 'allow',
        when: [],
        grant: {
          roleArn: role('C'),
          sessionTags: { 'aws:x': 'a', T: 'a', t: 'b', u: 'x}y' },
          transitiveTagKeys: [],
        },
      },
      {
        id: 'bad-arn',
        priority: 4,
        effect: 'allow',
        when: [],
        grant: { roleArn: 'arn:aws:iam::1:role/x', sessionTags: {}, transitiveTagKeys: [] },
      },
      {
        id: 'bad-duration',
        priority: 5,
        effect: 'allow',
        when: [],
        grant: {
          roleArn: role('E'),
          sessionDurationSeconds: 60,
          sessionTags: {},
          transitiveTagKeys: [],
        },
      },
    ] as unknown as Rule[];
    const result = run(broken, identity({ g: ['('] }));
    expect(result.grants).toEqual([]);
    expect(result.problems.map((p) => [p.ruleId, p.reason])).toEqual([
      ['bad-template', expect.stringMatching(/^session name: template has an unknown placeholder/)],
      ['bad-tags', 'tag aws:x: tag key must not start with "aws:"'],
      ['bad-tags', 'tag t: tag keys are case-insensitive in AWS and this one is repeated'],
      ['bad-tags', expect.stringMatching(/^tag u: template has a lone "}" at 1/)],
      ['bad-arn', 'role ARN: not an IAM role ARN (arn:aws:iam::<account>:role/<name>)'],
      ['bad-duration', 'session duration: session duration must be 900-43200 seconds, got 60'],
    ]);
    expect(explainRun(broken, identity({ g: ['('] })).rules[1]?.conditions[0]?.reason).toMatch(
      /^pattern "\(" cannot be used \(RE2 refuses it: .*\): never holds$/,
    );
  });

  it('refuses more than 50 tags', () => {
    const sessionTags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const rule = {
      ...allow('many', 1, []),
      grant: { roleArn: role('M'), sessionTags, transitiveTagKeys: [] },
    } as unknown as Rule;
    expect(run([rule], identity({})).problems.map((p) => p.reason)).toEqual([
      '51 session tags configured, at most 50',
    ]);
  });
});

describe('invariants over many generated identities', () => {
  // A tiny deterministic generator (fast-check comes with a later issue).
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  const pick = <T>(xs: readonly T[]) => xs[next() % xs.length] as T;
  const atoms = [
    'eng',
    'ENG',
    'a:b',
    'ü',
    'x'.repeat(130),
    '',
    ' ',
    'aws:x',
    '<',
    'Ops',
    'é',
    '😀',
    'a,b',
  ];
  const value = () => Array.from({ length: next() % 4 }, () => pick(atoms)).join('');
  const rules = [
    allow('r1', 1, [{ claim: 'g', op: 'contains', value: 'eng', ignoreCase: true }], {
      sessionName: '{claims.n}',
      sessionTags: {
        team: '{claims.g}',
        n: { value: '{claims.n}', optional: true, multiValue: 'first' },
      },
      transitiveTagKeys: ['n', 'team'],
    }),
    allow('r2', 2, [{ claim: 'n', op: 'exists' }], {
      sourceIdentity: '{claims.n}',
    }),
    allow('r3', 3, [{ claim: 'g', op: 'matches', value: '[a-z]+' }], { roleArn: role('r1') }),
    deny(
      'd1',
      4,
      [{ claim: 'n', op: 'startsWith', value: '<', quantifier: 'any', ifMissing: 'noMatch' }],
      [role('r2')],
    ),
    deny('d2', 5, [
      { claim: 'g', op: 'equals', value: 'aws:x', quantifier: 'any', ifMissing: 'noMatch' },
    ]),
  ];
  const mapper = createMapper({ rules, defaults, accounts, regex });

  it('every issued grant holds to AWS rules, and explain agrees with mapGrants', () => {
    for (let i = 0; i < 500; i++) {
      const claims: Record<string, string[]> = {};
      if (next() % 5) claims.g = Array.from({ length: next() % 4 }, value);
      if (next() % 5) claims.n = Array.from({ length: 1 + (next() % 2) }, value);
      const who = identity(claims, { subject: value() });
      const result = mapper.mapGrants(who);
      for (const g of result.grants) expectAwsValid(g);
      if (result.denied) expect(result.grants).toEqual([]);
      const { rules: _, ...explained } = mapper.explain(who);
      expect(explained).toEqual(result);
      expect(explainRun(rules, who).grants).toEqual(result.grants);
    }
  });
});
