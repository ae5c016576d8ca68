/**
 * Properties of the mapping engine (shared/mapping) over generated rule sets and hostile claims:
 * it never throws; every grant it issues holds to AWS's rules (session name, source identity,
 * tags, duration), namespaced by the IdP; it never issues a role the rules do not name, nor one
 * whose rule does not match (by an independent reading of the README's condition semantics for
 * allow and deny rules); a deny always wins.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkSessionValues, MAX_SESSION_TAGS, parseRoleArn } from '../../../shared/aws-rules.js';
import {
  type Condition,
  foldValue,
  isBlankValue,
  isValueCondition,
  type Rule,
  RuleSchema,
} from '../../../shared/config/index.js';
import {
  createMapper,
  type Grant,
  type Identity,
  loadRegexEngine,
  mapGrants,
} from '../../../shared/mapping/index.js';
import {
  BENIGN_VALUES,
  CLAIM_NAMES,
  HOSTILE_ATOMS,
  hostileClaims,
  hostileString,
} from './arbitraries.js';
import { fcOptions } from './outcome.js';

const regex = await loadRegexEngine();

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const accounts = [{ id: '111122223333', alias: 'prod' }];

/** Role ARNs: `role/Admin` and `role/ops/admin` are one IAM role (name unique ignoring case). */
const ROLES = [
  'arn:aws:iam::111122223333:role/Admin',
  'arn:aws:iam::111122223333:role/ops/admin',
  'arn:aws:iam::111122223333:role/Dev',
  'arn:aws:iam::444455556666:role/ReadOnly',
  'arn:aws-cn:iam::111122223333:role/Dev',
] as const;
const roleKey = (arn: string) => {
  const p = parseRoleArn(arn);
  return p ? `${p.partition}:${p.accountId}:${p.name.toLowerCase()}` : `?${arn}`;
};

const TEMPLATES = [
  '{subject}',
  '{claims.email}',
  '{claims.n}',
  '{claims.groups}',
  'team-{claims.groups}',
  '{claims.dept}/{claims.n}',
  '{claims.email}@{idp}',
  '{issuer}',
  'static',
  '{claims.__proto__}',
  '{claims.constructor}',
  'x{{y}}',
] as const;
const TAG_KEYS = ['team', 'dept', 'cost-center', 'Email', 'n', 'ünï', 'k:1/2', 'k'.repeat(128)];
const CONDITION_VALUES = [...BENIGN_VALUES, 'ENG', 'aws-', 'j', 'é', '', ...HOSTILE_ATOMS];

const PATTERNS = ['[a-z]+', '.*', 'aws-.*', 'e.g', '(?:eng|ops)', '\\p{L}+', '[^:]*'];

/** Conditions an allow rule may have: every op, quantifier and case mode the schema accepts. */
const allowCondition = fc.oneof(
  fc.record(
    {
      claim: fc.constantFrom(...CLAIM_NAMES),
      op: fc.constantFrom('equals', 'contains', 'startsWith'),
      value: fc.oneof(fc.constantFrom(...CONDITION_VALUES), hostileString),
      quantifier: fc.constantFrom('any', 'all', 'exactlyOne'),
      case: fc.constantFrom('exact', 'fold'),
      ignoreCase: fc.boolean(),
    },
    { requiredKeys: ['claim', 'op', 'value'] },
  ),
  fc.record(
    {
      claim: fc.constantFrom(...CLAIM_NAMES),
      op: fc.constant('matches'),
      value: fc.constantFrom(...PATTERNS),
      quantifier: fc.constantFrom('any', 'all', 'exactlyOne'),
      case: fc.constantFrom('exact', 'fold'),
    },
    { requiredKeys: ['claim', 'op', 'value'] },
  ),
  fc.record({ claim: fc.constantFrom(...CLAIM_NAMES), op: fc.constant('exists') }),
);
/** Conditions a deny rule may have: value ops with quantifier any, absent. */
const denyCondition = fc.oneof(
  fc.record(
    {
      claim: fc.constantFrom(...CLAIM_NAMES),
      op: fc.constantFrom('equals', 'startsWith'),
      value: fc.oneof(fc.constantFrom(...CONDITION_VALUES), hostileString),
      quantifier: fc.constant('any'),
      ifMissing: fc.constantFrom('match', 'noMatch'),
    },
    { requiredKeys: ['claim', 'op', 'value', 'quantifier'] },
  ),
  fc.record(
    {
      claim: fc.constantFrom(...CLAIM_NAMES),
      op: fc.constant('matches'),
      value: fc.constantFrom(...PATTERNS),
      quantifier: fc.constant('any'),
      ifMissing: fc.constantFrom('match', 'noMatch'),
    },
    { requiredKeys: ['claim', 'op', 'value', 'quantifier'] },
  ),
  fc.record({ claim: fc.constantFrom(...CLAIM_NAMES), op: fc.constant('absent') }),
);
const tagSpec = fc.oneof(
  fc.constantFrom(...TEMPLATES),
  fc.record({
    value: fc.constantFrom(...TEMPLATES),
    multiValue: fc.constantFrom('join', 'first', 'reject'),
    separator: fc.constantFrom(':', '/', '+', '=', '.', '_', '-', '@', ' '),
    optional: fc.boolean(),
  }),
);
const ruleId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,8}$/);
const priority = fc.integer({ min: 0, max: 20 });
const allowRule = fc
  .record({
    id: ruleId,
    priority,
    when: fc.array(allowCondition, { maxLength: 1 }),
    roleArn: fc.constantFrom(...ROLES),
    sessionName: fc.option(fc.constantFrom(...TEMPLATES), { nil: undefined, freq: 1 }),
    sourceIdentity: fc.option(fc.constantFrom(...TEMPLATES), { nil: undefined, freq: 1 }),
    tags: fc.dictionary(fc.constantFrom(...TAG_KEYS), tagSpec, { maxKeys: 3 }),
    transitive: fc.array(fc.constantFrom(...TAG_KEYS), { maxLength: 2 }),
    duration: fc.option(fc.integer({ min: 900, max: 43_200 }), { nil: undefined }),
  })
  .map((r) => ({
    id: r.id,
    priority: r.priority,
    effect: 'allow',
    when: r.when,
    grant: {
      roleArn: r.roleArn,
      ...(r.sessionName ? { sessionName: r.sessionName } : {}),
      ...(r.sourceIdentity ? { sourceIdentity: r.sourceIdentity } : {}),
      sessionTags: r.tags,
      transitiveTagKeys: r.transitive.filter((k) => Object.hasOwn(r.tags, k)),
      ...(r.duration ? { sessionDurationSeconds: r.duration } : {}),
    },
  }));
const denyRule = fc
  .record({
    id: ruleId,
    priority,
    when: fc.array(denyCondition, { maxLength: 2 }),
    roleArns: fc.option(fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 2 }), {
      nil: undefined,
    }),
  })
  .map((r) => ({
    id: r.id,
    priority: r.priority,
    effect: 'deny',
    when: r.when,
    ...(r.roleArns ? { roleArns: r.roleArns } : {}),
  }));

/** Rule sets that pass the config schema (as every stored rule does). */
const ruleSet = fc
  .array(fc.oneof({ weight: 3, arbitrary: allowRule }, { weight: 1, arbitrary: denyRule }), {
    maxLength: 6,
  })
  .map((raw) =>
    raw.flatMap((r) => {
      const parsed = RuleSchema.safeParse(r);
      return parsed.success ? [parsed.data] : [];
    }),
  )
  // Rule ids are unique within an IdP (the gateway config schema checks it).
  .map((rules) => rules.filter((r, i) => rules.findIndex((o) => o.id === r.id) === i));

const identity = fc
  .record({
    subject: fc.oneof(fc.constant('00u1fedgateJANE'), hostileString),
    claims: hostileClaims,
  })
  .map(
    ({ subject, claims }): Identity => ({
      idp: 'okta',
      issuer: 'http://www.okta.com/exk1',
      subject,
      claims,
    }),
  );

/** A claim's values as a condition sees them: a set, blank values dropped, folded if asked. */
const valuesOf = (claims: Identity['claims'], name: string, fold: boolean): string[] => {
  const raw = Object.hasOwn(claims, name) ? (claims[name] ?? []) : [];
  const out = new Set<string>();
  for (const v of raw) {
    if (isBlankValue(v)) continue;
    const n = fold ? foldValue(v) : v;
    if (n !== '') out.add(n);
  }
  return [...out];
};

/** The README's condition semantics, read independently of shared/mapping/conditions.ts. */
const holds = (c: Condition, claims: Identity['claims'], effect: 'allow' | 'deny'): boolean => {
  const deny = effect === 'deny';
  if (!isValueCondition(c)) {
    const present = valuesOf(claims, c.claim, true).length > 0;
    return c.op === 'exists' ? !deny && present : deny && !present;
  }
  const fold = deny || c.case === 'fold';
  const values = valuesOf(claims, c.claim, fold);
  if (values.length === 0) return deny && c.ifMissing !== 'noMatch';
  const want = fold ? foldValue(c.value) : c.value;
  const one = (v: string): boolean => {
    if (c.op === 'equals') return v === want;
    if (c.op === 'startsWith') return v.startsWith(want);
    // V8's engine here, RE2 in the code under test: the generated patterns mean the same in both.
    if (v.length > 1024) return deny;
    return new RegExp(`^(?:${c.value})$`, fold ? 'iu' : 'u').test(v);
  };
  const quantifier = deny ? 'any' : c.quantifier;
  if (quantifier === 'any') return values.some(one);
  if (quantifier === 'all') return values.every(one);
  return values.length === 1 && one(values[0] as string);
};
const matches = (rule: Rule, claims: Identity['claims']) =>
  rule.when.every((c) => holds(c, claims, rule.effect));

/** AWS's rules on one issued grant (ARCHITECTURE.md §6), plus what checkSessionValues checks. */
const expectAwsValid = (g: Grant) => {
  expect(checkSessionValues(g)).toEqual([]);
  expect(g.sessionName).toMatch(/^[A-Za-z0-9_+=,.@-]{2,64}$/);
  expect(g.sessionName.startsWith('okta.')).toBe(true);
  // Always set, always namespaced by the IdP.
  expect(g.sourceIdentity).toMatch(/^okta\.[A-Za-z0-9_+=,.@-]{1,59}$/);
  expect(g.tags.length).toBeLessThanOrEqual(MAX_SESSION_TAGS);
  for (const t of g.tags) {
    expect(t.key).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u);
    expect(t.value).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u);
    expect(t.key.toLowerCase().startsWith('aws:')).toBe(false);
  }
  expect(new Set(g.tags.map((t) => t.key.toLowerCase())).size).toBe(g.tags.length);
  for (const k of g.transitiveTagKeys) expect(g.tags.map((t) => t.key)).toContain(k);
  expect(Number.isInteger(g.durationSeconds)).toBe(true);
  expect(g.durationSeconds).toBeGreaterThanOrEqual(900);
  expect(g.durationSeconds).toBeLessThanOrEqual(43_200);
};

describe('mapGrants over generated rule sets and hostile claims', () => {
  it('issues only AWS-valid grants, for roles and matching rules of the rule set', () => {
    fc.assert(
      fc.property(ruleSet, identity, (rules, who) => {
        const result = createMapper({ rules, defaults, accounts, regex }).mapGrants(who);
        const allows = rules.filter((r) => r.effect === 'allow');
        const seen = new Set<string>();
        for (const g of result.grants) {
          expectAwsValid(g);
          // The role comes from the rule that issued it, and that rule matched.
          const rule = allows.find((r) => r.id === g.ruleId);
          expect(rule?.grant.roleArn).toBe(g.roleArn);
          expect(matches(rule as Rule, who.claims)).toBe(true);
          // One grant per IAM role.
          expect(seen.has(roleKey(g.roleArn))).toBe(false);
          seen.add(roleKey(g.roleArn));
        }
        // A deny always wins: a matching deny-all leaves nothing, a matching role deny removes it.
        const denies = rules.filter((r) => r.effect === 'deny' && matches(r, who.claims));
        if (denies.some((r) => r.effect === 'deny' && r.roleArns === undefined)) {
          expect(result.grants).toEqual([]);
          expect(result.denied).toBe(true);
        } else {
          expect(result.denied).toBe(false);
        }
        const deniedKeys = new Set(
          denies.flatMap((r) => (r.effect === 'deny' ? (r.roleArns ?? []) : [])).map(roleKey),
        );
        for (const g of result.grants) expect(deniedKeys.has(roleKey(g.roleArn))).toBe(false);
        expect(result.deniedBy).toEqual(
          [...denies]
            .sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
            .map((r) => r.id),
        );
        // Problems and reasons never carry a claim's value (they are logged).
        for (const p of result.problems) {
          for (const values of Object.values(who.claims)) {
            for (const v of values) if (v.length >= 12) expect(p.reason).not.toContain(v);
          }
        }
      }),
      fcOptions(2500),
    );
  });

  it('a deny rule added at any priority always wins', () => {
    fc.assert(
      fc.property(
        ruleSet,
        identity,
        priority,
        fc.option(fc.constantFrom(...ROLES), { nil: undefined }),
        (rules, who, at, denied) => {
          const before = mapGrants({ identity: who, rules, defaults, accounts, regex });
          const deny = RuleSchema.parse({
            id: 'zz-added-deny',
            priority: at,
            effect: 'deny',
            when: [],
            ...(denied ? { roleArns: [denied] } : {}),
          });
          const after = mapGrants({
            identity: who,
            rules: [...rules, deny],
            defaults,
            accounts,
            regex,
          });
          if (denied === undefined) {
            expect(after.grants).toEqual([]);
            expect(after.denied).toBe(true);
          } else {
            // Exactly that IAM role (in any spelling) is gone; every other grant is unchanged.
            expect(after.grants).toEqual(
              before.grants.filter((g) => roleKey(g.roleArn) !== roleKey(denied)),
            );
          }
        },
      ),
      fcOptions(1500),
    );
  });

  it('grants are a pure function of the claims: same input, same result', () => {
    fc.assert(
      fc.property(ruleSet, identity, (rules, who) => {
        const mapper = createMapper({ rules, defaults, accounts, regex });
        const first = mapper.mapGrants(who);
        expect(mapper.mapGrants(structuredClone(who))).toEqual(first);
        expect(
          mapGrants({ identity: who, rules: [...rules].reverse(), defaults, accounts, regex }),
        ).toEqual(first);
      }),
      fcOptions(800),
    );
  });
});

// Rules that bypassed the schema (a hand-edited table item): the engine rechecks everything.
const rawRule = fc
  .record({
    id: fc.oneof(ruleId, hostileString),
    priority: fc.integer({ min: -5, max: 20 }),
    when: fc.array(allowCondition, { maxLength: 2 }),
    roleArn: fc.oneof(fc.constantFrom(...ROLES), hostileString),
    sessionName: fc.option(fc.oneof(fc.constantFrom(...TEMPLATES), hostileString), {
      nil: undefined,
    }),
    sourceIdentity: fc.option(fc.oneof(fc.constantFrom(...TEMPLATES), hostileString), {
      nil: undefined,
    }),
    tags: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom(...TAG_KEYS, 'TEAM', 'aws:x'), hostileString),
        tagSpec,
        {
          maxKeys: 6,
        },
      ),
      fc
        .integer({ min: 45, max: 55 })
        .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
    ),
    transitive: fc.array(fc.oneof(fc.constantFrom(...TAG_KEYS), hostileString), { maxLength: 3 }),
    duration: fc.option(
      fc.oneof(fc.integer({ min: -1, max: 50_000 }), fc.constantFrom(899, 43_201, 1.5, Number.NaN)),
      { nil: undefined },
    ),
  })
  .map(
    (r) =>
      ({
        id: r.id,
        priority: r.priority,
        effect: 'allow',
        when: r.when,
        grant: {
          roleArn: r.roleArn,
          sessionName: r.sessionName,
          sourceIdentity: r.sourceIdentity,
          sessionTags: r.tags,
          transitiveTagKeys: r.transitive,
          sessionDurationSeconds: r.duration,
        },
      }) as unknown as Rule,
  );

describe('mapGrants over rules that bypassed the schema', () => {
  it('never throws and still issues only AWS-valid grants for federatable roles', () => {
    fc.assert(
      fc.property(
        fc.array(rawRule, { maxLength: 4 }),
        identity,
        fc.constantFrom('{subject}', '{claims.n}', 'x', '{bad'),
        (rules, who, sessionName) => {
          const result = mapGrants({
            identity: who,
            rules,
            defaults: { sessionDurationSeconds: 3600, sessionName },
            accounts,
            regex,
          });
          for (const g of result.grants) {
            expectAwsValid(g);
            expect(parseRoleArn(g.roleArn)).toBeDefined();
            expect(rules.some((r) => r.effect === 'allow' && r.grant.roleArn === g.roleArn)).toBe(
              true,
            );
          }
        },
      ),
      fcOptions(2000),
    );
  });
});
