/**
 * SECURITY.md §8's authorization invariants with directory-sourced values (shared/mapping/
 * directory.ts), over generated deny and allow rules (through the real schemas), token claims,
 * directory values and merge policies:
 *
 * (S) which source wins (`prefer` token, directory or union) never changes whether a deny
 *     matches: denies read the union of both sources;
 * (D) a matching deny stays matching when either source's values are duplicated, re-ordered,
 *     re-cased, padded or added to, and when the token drops a claim the directory does not
 *     supply (fail closed, as without a directory);
 * (X) a token claim named `directory.*` (a spoofed directory value) never changes a deny's or
 *     an allow's outcome;
 * (O) an allow that does not match does not match after the directory's values are duplicated or
 *     re-ordered, or the token's `directory.*` claims are spoofed.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  AllowRuleSchema,
  type DenyRule,
  DenyRuleSchema,
  isBlankValue,
  type Rule,
} from '../../../shared/config/index.js';
import {
  applyDirectory,
  type ClaimMerge,
  type DirectoryFacts,
  type Identity,
  mapGrants,
} from '../../../shared/mapping/index.js';
import { hostileString } from './arbitraries.js';
import { fcOptions } from './outcome.js';

vi.setConfig({ testTimeout: 120_000 });

const defaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
const ROLE = 'arn:aws:iam::111122223333:role/Target';
const TOKEN = ['dept', 'groups'] as const;
const DIRECTORY = ['directory.dept', 'directory.groups', 'directory.group.clearance'] as const;
const READ = [...TOKEN, ...DIRECTORY] as const;
const WORDS = [
  'sales',
  'Sales',
  'SALES',
  'eng',
  'aws-admins',
  'AWS-Admins',
  'secret',
  'straße',
  'STRASSE',
  'x',
];

const word = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: hostileString },
);
type Values = Record<string, readonly string[]>;
const valuesOf = (names: readonly string[]) =>
  fc
    .array(fc.tuple(fc.constantFrom(...names), fc.array(word, { maxLength: 3 })), { maxLength: 3 })
    .map((e) => Object.fromEntries(e) as Values);
const prefer = fc.constantFrom<ClaimMerge['prefer']>('token', 'directory', 'union');
const mergesOf = fc.tuple(prefer, prefer, fc.boolean(), fc.boolean()).map(([p1, p2, m1, m2]) => ({
  ...(m1 ? { dept: { from: 'directory.dept', prefer: p1 } } : {}),
  ...(m2 ? { groups: { from: 'directory.groups', prefer: p2 } } : {}),
}));

const denyRule = fc
  .array(
    fc.record({
      claim: fc.constantFrom(...READ),
      op: fc.constantFrom('equals', 'startsWith'),
      value: fc.constantFrom(...WORDS),
    }),
    { minLength: 1, maxLength: 2 },
  )
  .map((when) =>
    DenyRuleSchema.parse({
      id: 'd',
      priority: 0,
      effect: 'deny',
      roleArns: [ROLE],
      when: when.map((c) => ({ ...c, quantifier: 'any' })),
    }),
  );

const allowRule = fc
  .array(
    fc.record({
      claim: fc.constantFrom(...READ),
      op: fc.constantFrom('equals', 'startsWith'),
      value: fc.constantFrom(...WORDS),
      quantifier: fc.constantFrom('any', 'all', 'exactlyOne'),
      case: fc.constantFrom('exact', 'fold'),
    }),
    { minLength: 1, maxLength: 2 },
  )
  .map((when) =>
    AllowRuleSchema.parse({
      id: 'a',
      priority: 1,
      effect: 'allow',
      grant: { roleArn: ROLE },
      when,
    }),
  );

const facts = (values: Values): DirectoryFacts => ({
  values,
  sources: Object.fromEntries(Object.keys(values).map((k) => [k, 'directory:scim' as const])),
  shortNames: new Map(),
});
const joined = (token: Values, directory: Values, merges: Record<string, ClaimMerge>): Identity =>
  applyDirectory(
    { idp: 'okta', issuer: 'https://idp.example', subject: '00u1', claims: token },
    facts(directory),
    merges,
  );
const denies = (
  rule: DenyRule,
  token: Values,
  directory: Values,
  merges: Record<string, ClaimMerge>,
) =>
  mapGrants({
    identity: joined(token, directory, merges),
    rules: [],
    gatewayRules: [rule],
    defaults,
  }).deniedBy.length > 0;
const allows = (rule: Rule, token: Values, directory: Values, merges: Record<string, ClaimMerge>) =>
  mapGrants({ identity: joined(token, directory, merges), rules: [rule], defaults }).grants.length >
  0;

const mapValues = (c: Values, f: (vs: readonly string[]) => string[]) =>
  Object.fromEntries(Object.entries(c).map(([k, vs]) => [k, f(vs)]));
const present = (c: Values, name: string) =>
  Object.hasOwn(c, name) && (c[name]?.some((v) => !isBlankValue(v)) ?? false);

type Transform = (c: Values) => Values;
const transforms = fc.oneof(
  fc.constant<Transform>((c) => mapValues(c, (vs) => [...vs, ...vs])),
  fc.constant<Transform>((c) => mapValues(c, (vs) => [...vs].reverse())),
  fc.constant<Transform>((c) => mapValues(c, (vs) => vs.map((v) => v.toUpperCase()))),
  fc.constant<Transform>((c) => mapValues(c, (vs) => vs.map((v) => v.toLowerCase()))),
  fc.constantFrom(' ', '\u00A0').map(
    (pad): Transform =>
      (c) =>
        mapValues(c, (vs) => vs.map((v) => `${pad}${v}${pad}`)),
  ),
  fc.tuple(fc.constantFrom(...READ), word).map(
    ([name, extra]): Transform =>
      (c) =>
        present(c, name) ? { ...c, [name]: [...(c[name] ?? []), extra] } : c,
  ),
);
const side = fc.constantFrom<'token' | 'directory'>('token', 'directory');

describe('directory-sourced values keep the deny invariants', () => {
  it('(S) the preferred source never changes whether a deny matches', () => {
    fc.assert(
      fc.property(
        denyRule,
        valuesOf(TOKEN),
        valuesOf(DIRECTORY),
        prefer,
        prefer,
        (rule, t, d, p1, p2) => {
          const outcomes = (['token', 'directory', 'union'] as const).map((p) =>
            denies(rule, t, d, {
              dept: { from: 'directory.dept', prefer: p },
              groups: { from: 'directory.groups', prefer: p === 'union' ? p2 : p1 },
            }),
          );
          expect(new Set(outcomes).size).toBe(1);
        },
      ),
      fcOptions(2000),
    );
  });

  it('(D) a matching deny stays matching when either source is duplicated, re-ordered, re-cased, padded or added to', () => {
    fc.assert(
      fc.property(
        denyRule,
        valuesOf(TOKEN),
        valuesOf(DIRECTORY),
        mergesOf,
        fc.array(fc.tuple(side, transforms), { minLength: 1, maxLength: 3 }),
        (rule, t, d, merges, ts) => {
          fc.pre(denies(rule, t, d, merges));
          let [t2, d2] = [t, d];
          for (const [s, f] of ts) {
            if (s === 'token') t2 = f(t2);
            else d2 = f(d2);
          }
          expect(denies(rule, t2, d2, merges)).toBe(true);
        },
      ),
      fcOptions(3000),
    );
  });

  it('(D) a matching deny stays matching when the token drops a claim the directory does not supply', () => {
    fc.assert(
      fc.property(
        denyRule,
        valuesOf(TOKEN),
        valuesOf(DIRECTORY),
        mergesOf,
        fc.constantFrom(...TOKEN),
        (rule, t, d, merges, name) => {
          fc.pre(denies(rule, t, d, merges));
          const from = (merges as Record<string, ClaimMerge>)[name]?.from;
          fc.pre(from === undefined || !present(d, from));
          const dropped = Object.fromEntries(Object.entries(t).filter(([k]) => k !== name));
          expect(denies(rule, dropped, d, merges)).toBe(true);
        },
      ),
      fcOptions(2000),
    );
  });

  it('(X) a token claim named directory.* never changes a deny or an allow', () => {
    fc.assert(
      fc.property(
        denyRule,
        allowRule,
        valuesOf(TOKEN),
        valuesOf(DIRECTORY),
        mergesOf,
        valuesOf(DIRECTORY),
        (deny, allow, t, d, merges, spoof) => {
          const spoofed = { ...t, ...spoof };
          expect(denies(deny, spoofed, d, merges)).toBe(denies(deny, t, d, merges));
          expect(allows(allow, spoofed, d, merges)).toBe(allows(allow, t, d, merges));
        },
      ),
      fcOptions(2000),
    );
  });

  it('(X) without a directory join, a token claim named directory.* reads as missing', () => {
    fc.assert(
      fc.property(allowRule, valuesOf(DIRECTORY), (allow, spoof) => {
        const identity = {
          idp: 'okta',
          issuer: 'https://idp.example',
          subject: '00u1',
          claims: spoof,
        };
        const onDirectory = allow.when.every((c) => c.claim.startsWith('directory.'));
        fc.pre(onDirectory);
        expect(mapGrants({ identity, rules: [allow], defaults }).grants).toEqual([]);
      }),
      fcOptions(1000),
    );
  });

  it('(O) a non-matching allow stays non-matching when the directory values are duplicated or re-ordered', () => {
    fc.assert(
      fc.property(
        allowRule,
        valuesOf(TOKEN),
        valuesOf(DIRECTORY),
        mergesOf,
        fc.constantFrom<Transform>(
          (c) => mapValues(c, (vs) => [...vs, ...vs]),
          (c) => mapValues(c, (vs) => [...vs].reverse()),
        ),
        (rule, t, d, merges, f) => {
          fc.pre(!allows(rule, t, d, merges));
          expect(allows(rule, t, f(d), merges)).toBe(false);
        },
      ),
      fcOptions(2000),
    );
  });
});
