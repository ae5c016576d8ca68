/**
 * Properties of AWS's value rules (shared/aws-rules.ts), the session-name sanitiser and
 * the session-tag encoder (shared/mapping/session-tags.ts): each checker agrees with an
 * independent reading of AWS's documented rules (and is never looser); the sanitiser always yields
 * a valid RoleSessionName; the tag encoder never throws, never alters a value, refuses what it
 * cannot encode unambiguously, and whatever it emits passes AWS's rules.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  checkDuration,
  checkRoleArn,
  checkSessionName,
  checkSessionValues,
  checkSourceIdentity,
  checkTagKey,
  checkTagValue,
  MAX_SESSION_TAGS,
  parseRoleArn,
} from '../../../shared/aws-rules.js';
import type { SessionTagSpec } from '../../../shared/config/index.js';
import { type Identity, sanitizeSessionName } from '../../../shared/mapping/index.js';
import { compileSessionTags } from '../../../shared/mapping/session-tags.js';
import { claimValue, hostileString } from './arbitraries.js';
import { fcOptions } from './outcome.js';

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

// AWS's rules as documented (IAM API reference, "Tagging AWS STS sessions"), written with the `u`
// flag: quantifiers count code points. fedgate counts UTF-16 code units (`.length`), which is
// stricter for astral characters, so the checkers must never be looser than these, and must
// agree exactly on BMP-only strings.
const AWS = {
  sessionName: /^[\w+=,.@-]{2,64}$/u,
  tagKey: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u,
  tagValue: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u,
};
const isBmp = (s: string) => !/[\u{10000}-\u{10FFFF}]/u.test(s) && !/[\ud800-\udfff]/.test(s);
const startsWithAws = (s: string) => s.toLowerCase().startsWith('aws:');

/** Strings near the rules' edges: right charset, wrong length, one bad character, … */
const sessionish = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{0,70}$/),
  fc
    .tuple(fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{1,40}$/), hostileString)
    .map(([a, b]) => a + b.slice(0, 2)),
  hostileString,
);
const tagish = fc.oneof(
  fc.stringMatching(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,300}$/u),
  fc.string({ unit: 'grapheme', maxLength: 140 }),
  fc.constantFrom('aws:x', 'AWS:x', 'Aws:', 'aws', ' ', '\u00a0', '\u3000', '٣', '𝐀'.repeat(70)),
  hostileString,
);

describe('AWS value rules (aws-rules.ts)', () => {
  it('checkSessionName and checkSourceIdentity match the documented charset and lengths', () => {
    fc.assert(
      fc.property(sessionish, (s) => {
        const aws = AWS.sessionName.test(s);
        expect(checkSessionName(s) === undefined).toBe(aws);
        expect(checkSourceIdentity(s) === undefined).toBe(aws && !startsWithAws(s));
      }),
      fcOptions(4000),
    );
  });

  it('checkTagKey and checkTagValue are never looser than AWS, and equal on BMP strings', () => {
    fc.assert(
      fc.property(tagish, (s) => {
        const keyOk = checkTagKey(s) === undefined;
        const valueOk = checkTagValue(s) === undefined;
        const awsKey = AWS.tagKey.test(s) && !startsWithAws(s);
        const awsValue = AWS.tagValue.test(s);
        if (keyOk) expect(awsKey).toBe(true);
        if (valueOk) expect(awsValue).toBe(true);
        if (isBmp(s)) {
          expect(keyOk).toBe(awsKey);
          expect(valueOk).toBe(awsValue);
        }
      }),
      fcOptions(4000),
    );
  });

  it('checkDuration accepts exactly the whole seconds 900..43200', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -10, max: 50_000 }),
          fc.double({ noDefaultInfinity: false }),
          fc.constantFrom(899, 900, 43_200, 43_201, 900.5, Number.NaN, -0),
        ),
        (n) => {
          expect(checkDuration(n) === undefined).toBe(
            Number.isInteger(n) && n >= 900 && n <= 43_200,
          );
        },
      ),
      fcOptions(3000),
    );
  });

  it('checkRoleArn accepts only federatable IAM role ARNs, which parseRoleArn takes apart', () => {
    const part = fc.oneof(
      fc.constantFrom('Admin', 'ops/Admin', 'AWSReservedSSO_Admin_0123', 'a,b', 'a b', 'ü', ''),
      fc.stringMatching(/^[\w+=,.@/-]{0,20}$/),
      hostileString.map((s) => s.slice(0, 10)),
    );
    const arn = fc
      .tuple(
        fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'AWS'),
        fc.constantFrom('iam', 'sts', 'IAM'),
        fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constantFrom('', '1234', '1234567890123')),
        fc.constantFrom('role/', 'user/', 'saml-provider/', 'assumed-role/', 'role'),
        part,
      )
      .map(([p, svc, acct, kind, rest]) => `arn:${p}:${svc}::${acct}:${kind}${rest}`);
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(arn, hostileString), (s) => {
        const ok = checkRoleArn(s) === undefined;
        const parts = parseRoleArn(s);
        expect(parts !== undefined).toBe(ok);
        if (!parts) return;
        accepted++;
        expect(s).toMatch(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\//);
        expect(s).not.toContain(',');
        expect(parts.name.startsWith('AWSReservedSSO_')).toBe(false);
        expect(parts.name).toMatch(/^[\w+=,.@-]{1,64}$/);
        expect(
          `arn:${parts.partition}:iam::${parts.accountId}:role${parts.path}${parts.name}`,
        ).toBe(s);
      }),
      fcOptions(3000),
    );
    // Not vacuous: some generated ARNs are federatable roles and were taken apart.
    expect(accepted).toBeGreaterThan(0);
  });

  it('checkSessionValues is empty exactly when every single rule holds', () => {
    const tag = fc.record({ key: tagish, value: tagish });
    fc.assert(
      fc.property(
        sessionish,
        fc.option(sessionish, { nil: undefined }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.oneof(
          fc.array(tag, { maxLength: 4 }),
          fc
            .integer({ min: 49, max: 52 })
            .map((n) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }))),
        ),
        fc.array(fc.oneof(tagish, fc.constantFrom('k0', 'K0')), { maxLength: 3 }),
        (sessionName, sourceIdentity, durationSeconds, tags, transitiveTagKeys) => {
          const problems = checkSessionValues({
            sessionName,
            sourceIdentity,
            durationSeconds,
            tags,
            transitiveTagKeys,
          });
          const keys = tags.map((t) => t.key);
          const folded = keys.map((k) => k.toLowerCase());
          const each =
            checkSessionName(sessionName) === undefined &&
            (sourceIdentity === undefined || checkSourceIdentity(sourceIdentity) === undefined) &&
            checkDuration(durationSeconds) === undefined &&
            tags.length <= MAX_SESSION_TAGS &&
            tags.every(
              (t) => checkTagKey(t.key) === undefined && checkTagValue(t.value) === undefined,
            ) &&
            new Set(folded).size === keys.length &&
            transitiveTagKeys.every((k) => keys.includes(k)) &&
            new Set(transitiveTagKeys.map((k) => k.toLowerCase())).size ===
              transitiveTagKeys.length;
          expect(problems.length === 0).toBe(each);
          // Problems name fields, never values (they are logged).
          for (const p of problems) expect(p).toMatch(/^[A-Za-z]+(\[\d+\])?(\.[a-z]+)?: /);
        },
      ),
      fcOptions(3000),
    );
  });
});

describe('sanitizeSessionName (session-name.ts)', () => {
  it('always yields a valid RoleSessionName, deterministically', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, sessionish), hostileString, (rendered, subject) => {
        const name = sanitizeSessionName(rendered, subject);
        expect(checkSessionName(name)).toBeUndefined();
        expect(AWS.sessionName.test(name)).toBe(true);
        expect(sanitizeSessionName(rendered, subject)).toBe(name);
      }),
      fcOptions(4000),
    );
  });

  it('leaves an already valid name untouched', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_+=,.@-]{2,64}$/),
        hostileString,
        (valid, subject) => {
          expect(sanitizeSessionName(valid, subject)).toBe(valid);
        },
      ),
      fcOptions(2000),
    );
  });
});

// ------------------------------------------------------------------------- session-tag encoder
const who = (claims: Record<string, readonly string[]>, subject = '00u1fedgateJANE'): Identity => ({
  idp: 'okta',
  issuer: 'http://www.okta.com/exk1',
  subject,
  claims,
});
const SEPARATORS = [':', '/', '+', '=', '.', '_', '-', '@', ' '] as const;
const values = fc.array(claimValue, { minLength: 1, maxLength: 5 });
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const distinctSorted = (vs: readonly string[]) => [...new Set(vs)].sort(byCodeUnit);

describe('the session-tag encoder (session-tags.ts)', () => {
  it('join: emitted values decode back to exactly the distinct claim values (no ambiguity)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEPARATORS), values, values, (separator, a, b) => {
        const compiled = compileSessionTags(
          { team: { value: '{claims.g}', multiValue: 'join', separator, optional: false } },
          [],
        );
        const render = (vs: readonly string[]) => compiled.render(who({ g: vs }));
        const ra = render(a);
        const rb = render(b);
        for (const [vs, r] of [
          [a, ra],
          [b, rb],
        ] as const) {
          if (vs.some((v) => v.includes(separator))) {
            // A value holding the separator would make the join ambiguous: refused.
            expect(r.tags).toEqual([]);
            expect(r.problems.length).toBeGreaterThan(0);
          } else if (r.problems.length === 0) {
            expect(r.tags).toHaveLength(1);
            expect((r.tags[0] as { value: string }).value.split(separator)).toEqual(
              distinctSorted(vs),
            );
          }
        }
        // Two different sets of values never share an encoding.
        if (ra.tags.length === 1 && rb.tags.length === 1) {
          const same = ra.tags[0]?.value === rb.tags[0]?.value;
          expect(same).toBe(
            JSON.stringify(distinctSorted(a)) === JSON.stringify(distinctSorted(b)),
          );
        }
      }),
      fcOptions(3000),
    );
  });

  it('first and reject: the value is a claim value, never altered; reject refuses several', () => {
    fc.assert(
      fc.property(fc.constantFrom('first', 'reject'), values, (multiValue, vs) => {
        const r = compileSessionTags(
          { dept: { value: '{claims.d}', multiValue, separator: ':', optional: false } },
          ['dept'],
        ).render(who({ d: vs }));
        const distinct = distinctSorted(vs);
        if (multiValue === 'reject' && distinct.length > 1) {
          expect(r.tags).toEqual([]);
          return;
        }
        const expected = distinct[0] as string;
        if (checkTagValue(expected) === undefined) {
          expect(r.tags).toEqual([{ key: 'dept', value: expected }]);
          expect(r.transitiveTagKeys).toEqual(['dept']);
          expect(r.problems).toEqual([]);
        } else {
          // Never truncated or substituted: refused.
          expect(r.tags).toEqual([]);
          expect(r.transitiveTagKeys).toEqual([]);
          expect(r.problems.length).toBe(1);
        }
      }),
      fcOptions(3000),
    );
  });

  it('any tag specs and claims: never throws; a clean render holds to AWS rules', () => {
    const template = fc.oneof(
      fc.constantFrom(
        '{claims.g}',
        'x-{claims.g}-{claims.d}',
        '{subject}',
        '{idp}',
        'lit',
        '{{x}}',
      ),
      hostileString,
    );
    const spec: fc.Arbitrary<SessionTagSpec> = fc.oneof(
      template,
      fc.record({
        value: template,
        multiValue: fc.constantFrom('join', 'first', 'reject'),
        separator: fc.constantFrom(...SEPARATORS),
        optional: fc.boolean(),
      }),
    );
    const specs = fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom('team', 'Team', 'dept', 'aws:x'), tagish), spec, {
        maxKeys: 5,
      }),
      fc
        .integer({ min: 48, max: 53 })
        .map((n) =>
          Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, '{claims.d}'])),
        ),
    );
    let clean = 0;
    let cleanWithTags = 0;
    fc.assert(
      fc.property(
        specs,
        fc.array(fc.oneof(fc.constantFrom('team', 'TEAM', 'k0'), tagish), { maxLength: 3 }),
        fc.record({ g: fc.array(claimValue, { maxLength: 3 }), d: values }),
        hostileString,
        (tagSpecs, transitive, claims, subject) => {
          const compiled = compileSessionTags(tagSpecs, transitive);
          const r = compiled.render(who(claims, subject));
          if (compiled.problems.length > 0 || r.problems.length > 0) return;
          clean++;
          if (r.tags.length > 0) cleanWithTags++;
          expect(
            checkSessionValues({
              sessionName: 'ok',
              durationSeconds: 3600,
              tags: r.tags,
              transitiveTagKeys: r.transitiveTagKeys,
            }),
          ).toEqual([]);
        },
      ),
      fcOptions(3000),
    );
    // Not vacuous: many renders are clean, and many of those carry tags.
    const { numRuns } = fcOptions(3000);
    expect(clean).toBeGreaterThan(numRuns / 20);
    expect(cleanWithTags).toBeGreaterThan(numRuns / 40);
  });
});
