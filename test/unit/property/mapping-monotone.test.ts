/**
 * The authorization invariants of SECURITY.md §8, over generated rules (every op, quantifier and
 * case mode valid for the effect, through the real schema) and generated claims:
 *
 * (D) a deny that matches claims C still matches after duplicating values, re-ordering them,
 *     re-casing them, padding them with white space, adding values to a present claim, adding
 *     claims the rule does not read, removing a claim entirely or sending it empty (the last two
 *     except with `ifMissing: noMatch`, the documented escape);
 * (A) an allow that does not match C still does not match after duplicating, re-ordering,
 *     removing a claim, adding claims it does not read, or adding to a present claim values that
 *     satisfy none of its value tests; `fold` conditions ignore re-casing, and an `exact` one
 *     matches a re-cased value only if it is exactly the configured text;
 * (M) through mapGrants: the denied roles only grow under the (D) transformations;
 * (N) two IdPs never produce the same source identity, session name or subject tag, whatever
 *     the subjects and claims each sends.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  AllowRuleSchema,
  type Condition,
  type DenyRule,
  DenyRuleSchema,
  foldValue,
  isBlankValue,
  isValueCondition,
  type Rule,
} from '../../../shared/config/index.js';
import { type Identity, loadRegexEngine, mapGrants } from '../../../shared/mapping/index.js';
import { hostileString } from './arbitraries.js';
import { fcOptions } from './outcome.js';

vi.setConfig({ testTimeout: 120_000 });

const regex = await loadRegexEngine();
const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const ROLE = 'arn:aws:iam::111122223333:role/Target';
const CLAIMS = ['employeeType', 'groups', 'dept', 'mfa'] as const;
/** Values close to each other by case, white space and prefix, so rules match often. */
const WORDS = [
  'contractor',
  'Contractor',
  'CONTRACTOR',
  'employee',
  'aws-admins',
  'AWS-Dev',
  'straße',
  'STRASSE',
  'ext-1',
  'ſtop',
  '\u212Aey',
  'key',
  'e',
  '',
];
const PATTERNS = ['contr.*', 'aws-[a-z]+', '[a-z0-9-]+', 'ext-[0-9]+', '.*s.*', 'key|stop'];

const word = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: hostileString },
);
const claims = fc
  .array(fc.tuple(fc.constantFrom(...CLAIMS), fc.array(word, { maxLength: 3 })), { maxLength: 4 })
  .map((entries) => Object.fromEntries(entries) as Record<string, string[]>);

const valueCondition = (quantifiers: readonly string[], cases: readonly (string | undefined)[]) =>
  fc.record({
    claim: fc.constantFrom(...CLAIMS),
    op: fc.constantFrom('equals', 'startsWith', 'matches'),
    word: fc.constantFrom(...WORDS.filter((w) => w !== '')),
    pattern: fc.constantFrom(...PATTERNS),
    quantifier: fc.constantFrom(...quantifiers),
    case: fc.constantFrom(...cases),
  });

const denyRule = (noMatch: boolean) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: valueCondition(['any'], [undefined, 'fold']) },
        {
          weight: 1,
          arbitrary: fc.record({ claim: fc.constantFrom(...CLAIMS), op: fc.constant('absent') }),
        },
      ),
      { minLength: 1, maxLength: 2 },
    )
    .chain((when) =>
      fc.tuple(
        fc.constant(when),
        fc.array(fc.boolean(), { minLength: when.length, maxLength: when.length }),
      ),
    )
    .map(([when, missing]) =>
      DenyRuleSchema.parse({
        id: 'd',
        priority: 0,
        effect: 'deny',
        roleArns: [ROLE],
        when: when.map((c, i) =>
          c.op === 'absent'
            ? c
            : {
                claim: c.claim,
                op: c.op,
                value: c.op === 'matches' ? c.pattern : c.word,
                quantifier: 'any',
                ...(c.case ? { case: c.case } : {}),
                ...(noMatch && missing[i] ? { ifMissing: 'noMatch' } : {}),
              },
        ),
      }),
    );

const allowRule = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: valueCondition(['any', 'all', 'exactlyOne'], ['exact', 'fold']) },
      {
        weight: 1,
        arbitrary: fc.record({ claim: fc.constantFrom(...CLAIMS), op: fc.constant('exists') }),
      },
    ),
    { minLength: 1, maxLength: 2 },
  )
  .map((when) =>
    AllowRuleSchema.parse({
      id: 'a',
      priority: 1,
      effect: 'allow',
      grant: { roleArn: ROLE },
      when: when.map((c) =>
        c.op === 'exists'
          ? c
          : {
              claim: c.claim,
              op: c.op,
              value: c.op === 'matches' ? c.pattern : c.word,
              quantifier: c.quantifier,
              case: c.case,
            },
      ),
    }),
  );

const who = (c: Record<string, readonly string[]>, idp = 'okta', subject = '00u1'): Identity => ({
  idp,
  issuer: 'https://idp.example',
  subject,
  claims: c,
});
const denyMatches = (rule: DenyRule, c: Record<string, readonly string[]>) =>
  mapGrants({ identity: who(c), rules: [], gatewayRules: [rule], defaults, regex }).deniedBy
    .length > 0;
const allowMatches = (rule: Rule, c: Record<string, readonly string[]>) =>
  mapGrants({ identity: who(c), rules: [rule], defaults, regex }).grants.length > 0;

const isPresent = (c: Record<string, readonly string[]>, name: string) =>
  Object.hasOwn(c, name) && (c[name]?.some((v) => !isBlankValue(v)) ?? false);
const read = (rule: Rule) => new Set(rule.when.map((c) => c.claim));
const mapValues = (c: Record<string, readonly string[]>, f: (vs: readonly string[]) => string[]) =>
  Object.fromEntries(Object.entries(c).map(([k, vs]) => [k, f(vs)]));

const picks = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 });
const recase = (s: string, p: readonly number[]) =>
  [...s]
    .map((ch, i) =>
      p[i % p.length] === 1 ? ch.toUpperCase() : p[i % p.length] === 2 ? ch.toLowerCase() : ch,
    )
    .join('');

/** Transformations that must never turn a matching deny into a non-matching one. */
type Transform = {
  name: string;
  apply: (c: Record<string, readonly string[]>, rule: Rule) => Record<string, readonly string[]>;
};
const denyTransforms = fc.oneof(
  fc.constant<Transform>({ name: 'duplicate', apply: (c) => mapValues(c, (vs) => [...vs, ...vs]) }),
  fc.constant<Transform>({
    name: 'reverse',
    apply: (c) => mapValues(c, (vs) => [...vs].reverse()),
  }),
  picks.map(
    (p): Transform => ({
      name: 're-case',
      apply: (c) => mapValues(c, (vs) => vs.map((v) => recase(v, p))),
    }),
  ),
  fc.constantFrom(' ', '\t', '\u00A0', '\u3000').map(
    (pad): Transform => ({
      name: 'pad',
      apply: (c) => mapValues(c, (vs) => vs.map((v) => `${pad}${v}${pad}`)),
    }),
  ),
  fc.tuple(fc.constantFrom(...CLAIMS), word).map(
    ([name, extra]): Transform => ({
      name: 'add a value to a present claim',
      // Present: it has a non-blank value (a claim sent empty or blank is missing, README §2).
      apply: (c) => (isPresent(c, name) ? { ...c, [name]: [...(c[name] ?? []), extra] } : c),
    }),
  ),
  fc.tuple(fc.constantFrom(...CLAIMS, 'other', 'x-extra'), fc.array(word, { maxLength: 2 })).map(
    ([name, vs]): Transform => ({
      name: 'add a claim the rule does not read',
      apply: (c, rule) =>
        read(rule).has(name) || Object.hasOwn(c, name) ? c : { ...c, [name]: vs },
    }),
  ),
);
/** Removing or blanking a claim: an escape only where the rule says ifMissing: noMatch. */
const removals = fc.oneof(
  fc.constantFrom(...CLAIMS).map(
    (name): Transform => ({
      name: 'remove a claim',
      apply: (c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== name)),
    }),
  ),
  fc
    .tuple(fc.constantFrom(...CLAIMS), fc.constantFrom<string[][]>([], [''], ['  '], ['\u200B']))
    .map(
      ([name, empty]): Transform => ({
        name: 'send a claim empty',
        apply: (c) => ({ ...c, [name]: empty }),
      }),
    ),
);

describe('(D) a matching deny stays matching', () => {
  it('under duplication, re-ordering, re-casing, padding, added values and unread claims', () => {
    fc.assert(
      fc.property(
        denyRule(true),
        claims,
        fc.array(denyTransforms, { minLength: 1, maxLength: 3 }),
        (rule, c, ts) => {
          fc.pre(denyMatches(rule, c));
          const after = ts.reduce(
            (acc, t) => t.apply(acc, rule),
            c as Record<string, readonly string[]>,
          );
          expect(denyMatches(rule, after)).toBe(true);
        },
      ),
      fcOptions(3000),
    );
  });

  it('when a claim is removed or sent empty (ifMissing defaults to match)', () => {
    fc.assert(
      fc.property(
        denyRule(false),
        claims,
        fc.array(fc.oneof(removals, denyTransforms), { minLength: 1, maxLength: 3 }),
        (rule, c, ts) => {
          fc.pre(denyMatches(rule, c));
          const after = ts.reduce(
            (acc, t) => t.apply(acc, rule),
            c as Record<string, readonly string[]>,
          );
          expect(denyMatches(rule, after)).toBe(true);
        },
      ),
      fcOptions(3000),
    );
  });
});

/** Whether a value satisfies any of the rule's value tests, in that test's own mode. */
const satisfiesSome = (rule: Rule, v: string) =>
  rule.when.some((c: Condition) => {
    if (!isValueCondition(c) || isBlankValue(v)) return false;
    const fold = c.case === 'fold';
    const x = fold ? foldValue(v) : v;
    const want = fold ? foldValue(c.value) : c.value;
    if (c.op === 'equals') return x === want;
    if (c.op === 'startsWith') return x.startsWith(want);
    return x.length <= 1024 && new RegExp(`^(?:${c.value})$`, fold ? 'iu' : 'u').test(x);
  });

describe('(A) a non-matching allow stays non-matching', () => {
  const allowTransforms = fc.oneof(
    fc.constant<Transform>({
      name: 'duplicate',
      apply: (c) => mapValues(c, (vs) => [...vs, ...vs]),
    }),
    fc.constant<Transform>({
      name: 'reverse',
      apply: (c) => mapValues(c, (vs) => [...vs].reverse()),
    }),
    fc.constantFrom(...CLAIMS).map(
      (name): Transform => ({
        name: 'remove a claim',
        apply: (c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== name)),
      }),
    ),
    fc.tuple(fc.constantFrom(...CLAIMS, 'other'), fc.array(word, { maxLength: 2 })).map(
      ([name, vs]): Transform => ({
        name: 'add a claim the rule does not read',
        apply: (c, rule) =>
          read(rule).has(name) || Object.hasOwn(c, name) ? c : { ...c, [name]: vs },
      }),
    ),
    fc.tuple(fc.constantFrom(...CLAIMS), word).map(
      ([name, extra]): Transform => ({
        name: 'add a value satisfying none of its tests',
        apply: (c, rule) =>
          isPresent(c, name) && !satisfiesSome(rule, extra)
            ? { ...c, [name]: [...(c[name] ?? []), extra] }
            : c,
      }),
    ),
  );

  it('under duplication, re-ordering, removal, unread claims and non-satisfying values', () => {
    fc.assert(
      fc.property(
        allowRule,
        claims,
        fc.array(allowTransforms, { minLength: 1, maxLength: 3 }),
        (rule, c, ts) => {
          fc.pre(!allowMatches(rule, c));
          const after = ts.reduce(
            (acc, t) => t.apply(acc, rule),
            c as Record<string, readonly string[]>,
          );
          expect(allowMatches(rule, after)).toBe(false);
        },
      ),
      fcOptions(3000),
    );
  });

  it('fold conditions ignore re-casing; an exact one matches a re-cased value only if it is the configured text', () => {
    fc.assert(
      fc.property(allowRule, claims, picks, (rule, c, p) => {
        const recased = mapValues(c, (vs) => vs.map((v) => recase(v, p)));
        if (rule.when.every((x) => !isValueCondition(x) || x.case === 'fold')) {
          expect(allowMatches(rule, recased)).toBe(allowMatches(rule, c));
        }
      }),
      fcOptions(3000),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...WORDS.filter((w) => w !== '')),
        picks,
        fc.constantFrom('equals', 'startsWith'),
        (value, p, op) => {
          const rule = AllowRuleSchema.parse({
            id: 'a',
            priority: 1,
            effect: 'allow',
            grant: { roleArn: ROLE },
            when: [{ claim: 'dept', op, value, quantifier: 'any', case: 'exact' }],
          });
          const recased = recase(value, p);
          expect(allowMatches(rule, { dept: [recased] })).toBe(recased === value);
        },
      ),
      fcOptions(2000),
    );
  });
});

describe('(M) through mapGrants, denied roles only grow', () => {
  const ROLES = ['arn:aws:iam::111122223333:role/A', 'arn:aws:iam::111122223333:role/B', ROLE];
  const ruleSet = fc
    .tuple(
      fc.array(denyRule(false), { maxLength: 3 }),
      fc.array(fc.subarray(ROLES, { minLength: 1 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    )
    .map(([denies, roleSets, gateway]) =>
      denies.map((d, i) => ({
        rule: {
          ...d,
          id: `d${i}`,
          priority: i,
          ...(i === 2 ? {} : { roleArns: roleSets[i] }),
        } as DenyRule,
        gateway: gateway[i] ?? false,
      })),
    );
  const allows = ROLES.map((roleArn, i) =>
    AllowRuleSchema.parse({
      id: `a${i}`,
      priority: 10 + i,
      effect: 'allow',
      when: [],
      grant: { roleArn },
    }),
  );
  const deniedOf = (
    set: { rule: DenyRule; gateway: boolean }[],
    c: Record<string, readonly string[]>,
  ) => {
    const result = mapGrants({
      identity: who(c),
      rules: [...allows, ...set.filter((x) => !x.gateway).map((x) => x.rule)],
      gatewayRules: set.filter((x) => x.gateway).map((x) => x.rule),
      defaults,
      regex,
    });
    const granted = new Set(result.grants.map((g) => g.roleArn));
    return {
      denied: result.denied,
      roles: ROLES.filter((r) => !granted.has(r)),
      by: result.deniedBy,
    };
  };

  it('for IdP and gateway denies together, under every (D) transformation', () => {
    fc.assert(
      fc.property(
        ruleSet,
        claims,
        fc.array(fc.oneof(removals, denyTransforms), { minLength: 1, maxLength: 3 }),
        (set, c, ts) => {
          const all = set.map((x) => x.rule as Rule);
          const union = { ...all[0], when: all.flatMap((r) => r.when) } as Rule;
          const before = deniedOf(set, c);
          const after = deniedOf(
            set,
            ts.reduce((acc, t) => t.apply(acc, union), c as Record<string, readonly string[]>),
          );
          if (before.denied) expect(after.denied).toBe(true);
          for (const r of before.roles) expect(after.roles).toContain(r);
          for (const id of before.by) expect(after.by).toContain(id);
        },
      ),
      fcOptions(2000),
    );
  });
});

describe('(N) per-IdP namespacing', () => {
  const idpId = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/);
  const subject = fc.oneof(
    fc.constantFrom('00u1', 'alice', 'okta.alice', 'a.b'),
    hostileString.filter((s) => s !== ''),
  );
  const TEMPLATES = [
    undefined,
    '{subject}',
    '{claims.dept}',
    '{idp}.{claims.dept}',
    'x{claims.groups}',
  ];
  const rules = fc
    .tuple(
      fc.constantFrom(...TEMPLATES),
      fc.constantFrom(...TEMPLATES),
      fc.constantFrom(...TEMPLATES),
    )
    .map(([sourceIdentity, sessionName, tag]) => [
      AllowRuleSchema.parse({
        id: 'r',
        priority: 1,
        effect: 'allow',
        when: [],
        grant: {
          roleArn: ROLE,
          ...(sourceIdentity ? { sourceIdentity } : {}),
          ...(sessionName ? { sessionName } : {}),
          sessionTags: {
            who: {
              value: `{subject}${tag && tag !== '{subject}' ? tag : ''}`,
              multiValue: 'reject',
            },
          },
        },
      }),
    ]);

  it('two IdPs never share a source identity, session name or subject tag', () => {
    fc.assert(
      fc.property(
        rules,
        idpId,
        idpId,
        subject,
        subject,
        claims,
        claims,
        (rs, a, b, sa, sb, ca, cb) => {
          fc.pre(a !== b);
          const ga = mapGrants({ identity: who(ca, a, sa), rules: rs, defaults, regex }).grants[0];
          const gb = mapGrants({ identity: who(cb, b, sb), rules: rs, defaults, regex }).grants[0];
          for (const [g, idp] of [
            [ga, a],
            [gb, b],
          ] as const) {
            if (!g) continue;
            expect(g.sourceIdentity?.startsWith(`${idp}.`)).toBe(true);
            expect(g.sessionName.startsWith(`${idp}.`)).toBe(true);
            for (const t of g.tags) expect(t.value.startsWith(`${idp}.`)).toBe(true);
          }
          if (ga && gb) {
            expect(ga.sourceIdentity).not.toBe(gb.sourceIdentity);
            expect(ga.sessionName).not.toBe(gb.sessionName);
            expect(ga.tags[0]?.value).not.toBe(gb.tags[0]?.value);
          }
        },
      ),
      fcOptions(3000),
    );
  });
});
