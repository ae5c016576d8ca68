import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOUNDARY_STATEMENT,
  buildRevocationPolicy,
  checkRevocationPolicyGrammar,
  coversRevocation,
  INITIAL_REVOCATION_POLICY,
  MAX_MANAGED_POLICY_CHARACTERS,
  mergeRevocationPolicies,
  policySize,
  type Revocation,
  type RevocationPolicyDocument,
  type RevocationScope,
} from '../../../infra/admin/kill-switch.js';
import { explicitlyDenies, validateManagedPolicy } from '../../support/iam-policy-grammar.js';

const NOW = new Date('2026-03-01T12:00:00.400Z');
const HOUR = 3600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const subject = (...sourceIdentities: string[]): RevocationScope => ({
  kind: 'subject',
  sourceIdentities,
});
const revoke = (scope: RevocationScope, issuedBefore = NOW): Revocation => ({
  scope,
  issuedBefore,
});
const build = (revocations: Revocation[], start: unknown = INITIAL_REVOCATION_POLICY) =>
  revocations.reduce<unknown>(
    (doc, r) => buildRevocationPolicy(doc, r, NOW),
    start,
  ) as RevocationPolicyDocument;

describe('buildRevocationPolicy', () => {
  it('turns the initial document and one revocation into Deny * when the token is older', () => {
    expect(build([revoke(subject('okta.0123456789abcdef'))])).toEqual({
      Version: '2012-10-17',
      Statement: [
        BOUNDARY_STATEMENT,
        {
          Sid: 'RevokeSubjectsIssuedBefore20260301T120001Z',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            // Rounded up: the session issued at 12:00:00.300 is refused too.
            DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' },
            StringEquals: { 'aws:SourceIdentity': 'okta.0123456789abcdef' },
          },
        },
      ],
    });
  });

  it('writes an IdP as StringLike <idp>.* and all as the time alone', () => {
    const doc = build([revoke({ kind: 'idp', idp: 'entra' }), revoke({ kind: 'all' }, ago(HOUR))]);
    expect(doc.Statement.slice(1)).toEqual([
      {
        Sid: 'RevokeAllIssuedBefore20260301T110001Z',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T11:00:01Z' } },
      },
      {
        Sid: 'RevokeIdpsIssuedBefore20260301T120001Z',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' },
          StringLike: { 'aws:SourceIdentity': 'entra.*' },
        },
      },
    ]);
  });

  it('merges one scope: the later issuedBefore wins, an earlier one changes nothing', () => {
    const first = build([revoke(subject('okta.a1'), ago(2 * HOUR))]);
    const later = buildRevocationPolicy(first, revoke(subject('okta.a1'), ago(HOUR)), NOW);
    expect(later.Statement).toHaveLength(2);
    expect(JSON.stringify(later)).toContain('2026-03-01T11:00:01Z');
    expect(buildRevocationPolicy(later, revoke(subject('okta.a1'), ago(3 * HOUR)), NOW)).toEqual(
      later,
    );
  });

  it('puts subjects revoked at one moment into one statement, sorted', () => {
    const doc = build([revoke(subject('okta.b', 'okta.a')), revoke(subject('entra.c'))]);
    expect(doc.Statement).toHaveLength(2);
    expect(doc.Statement[1]?.Condition?.StringEquals).toEqual({
      'aws:SourceIdentity': ['entra.c', 'okta.a', 'okta.b'],
    });
  });

  it('drops revocations no live credential can concern: older than 12 h + 1 h margin', () => {
    const old = build([revoke(subject('okta.old'), ago(13 * HOUR + 1000))]);
    expect(old).toEqual(INITIAL_REVOCATION_POLICY);
    const kept = build([revoke(subject('okta.recent'), ago(13 * HOUR - 2000))]);
    expect(kept.Statement).toHaveLength(2);
    // Later, the same document loses it on the next write.
    const tomorrow = new Date(NOW.getTime() + 24 * HOUR);
    expect(mergeRevocationPolicies([kept], tomorrow)).toEqual(INITIAL_REVOCATION_POLICY);
  });

  it('drops what a broader revocation covers from as late a moment', () => {
    const doc = build([
      revoke(subject('okta.a', 'entra.b', 'custom-identity'), ago(HOUR)),
      revoke({ kind: 'idp', idp: 'okta' }),
    ]);
    // okta.a is covered by the IdP; entra.b and a SourceIdentity without an IdP prefix are not.
    expect(doc.Statement.map((s) => s.Condition?.StringEquals?.['aws:SourceIdentity'])).toEqual([
      undefined,
      undefined,
      ['custom-identity', 'entra.b'],
    ]);
    expect(build([revoke({ kind: 'all' })], doc).Statement).toHaveLength(2);
  });

  it('keeps a narrower revocation that is later than the broader one, even by a second', () => {
    const doc = build([revoke({ kind: 'all' }, ago(2 * HOUR)), revoke(subject('okta.a'))]);
    expect(doc.Statement).toHaveLength(3);
    const close = build([
      revoke({ kind: 'all' }, new Date('2026-03-01T11:00:00Z')),
      revoke({ kind: 'idp', idp: 'okta' }, new Date('2026-03-01T11:00:01Z')),
      revoke(subject('okta.a'), new Date('2026-03-01T11:00:02Z')),
    ]);
    expect(close.Statement).toHaveLength(4);
    const session = {
      sourceIdentity: 'okta.a',
      tokenIssueTime: new Date('2026-03-01T11:00:01.5Z'),
    };
    expect(explicitlyDenies(close, session)).toBe(true);
  });

  it.each<[string, Revocation]>([
    ['a SourceIdentity starting with aws:', revoke(subject('aws:okta'))],
    ['a SourceIdentity with a space', revoke(subject('okta a'))],
    ['a SourceIdentity of one character', revoke(subject('o'))],
    ['a SourceIdentity over 64 characters', revoke(subject(`okta.${'a'.repeat(60)}`))],
    ['no SourceIdentity', revoke(subject())],
    ['an IdP id with a wildcard', revoke({ kind: 'idp', idp: 'ok*' })],
    ['an IdP id in capitals', revoke({ kind: 'idp', idp: 'Okta' })],
    ['an invalid date', revoke({ kind: 'all' }, new Date(Number.NaN))],
    ['a moment an hour ahead', revoke({ kind: 'all' }, new Date(NOW.getTime() + HOUR))],
    ['an unknown scope', revoke({ kind: 'everyone' } as unknown as RevocationScope)],
  ])('refuses %s (revocation_invalid), writing nothing', (_, revocation) => {
    expect(() => buildRevocationPolicy(INITIAL_REVOCATION_POLICY, revocation, NOW)).toThrow(
      expect.objectContaining({ code: 'revocation_invalid' }),
    );
  });

  it.each([
    ['another Allow', { ...BOUNDARY_STATEMENT, Sid: 'Extra', Action: 's3:*' }],
    [
      'a Deny on another key',
      {
        Sid: 'X',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:PrincipalTag/team': 'x' },
          DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' },
        },
      },
    ],
    [
      'a Deny without a time',
      {
        Sid: 'X',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': 'okta.a' } },
      },
    ],
    [
      'a Deny limited to some actions',
      {
        Sid: 'X',
        Effect: 'Deny',
        Action: 's3:*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' } },
      },
    ],
  ])('refuses a current document holding %s (revocation_policy_unrecognized)', (_, extra) => {
    const current = { Version: '2012-10-17', Statement: [BOUNDARY_STATEMENT, extra] };
    expect(() => buildRevocationPolicy(current, revoke(subject('okta.a')), NOW)).toThrow(
      expect.objectContaining({ code: 'revocation_policy_unrecognized' }),
    );
  });

  it('refuses a current document without the boundary statement (it would deny everything)', () => {
    expect(() =>
      buildRevocationPolicy({ Version: '2012-10-17', Statement: [] }, revoke({ kind: 'all' }), NOW),
    ).toThrow(expect.objectContaining({ code: 'revocation_policy_unrecognized' }));
  });

  it('fits 200 people revoked at once (default SourceIdentity), refuses 300 (revocation_policy_too_large)', () => {
    const people = (n: number) =>
      Array.from({ length: n }, (_, i) => `okta.${i.toString(16).padStart(16, '0')}`);
    const fits = build([revoke(subject(...people(200)))]);
    expect(policySize(fits)).toBeLessThanOrEqual(MAX_MANAGED_POLICY_CHARACTERS);
    expect(validateManagedPolicy(fits)).toEqual([]);
    expect(() => build([revoke(subject(...people(300)))])).toThrow(
      expect.objectContaining({ code: 'revocation_policy_too_large' }),
    );
  });

  it('coversRevocation: nothing to write when the document already denies it', () => {
    const doc = build([revoke({ kind: 'idp', idp: 'okta' })]);
    expect(coversRevocation(doc, revoke(subject('okta.a'), ago(HOUR)), NOW)).toBe(true);
    expect(coversRevocation(doc, revoke(subject('entra.a'), ago(HOUR)), NOW)).toBe(false);
    expect(coversRevocation(doc, revoke({ kind: 'all' }, ago(HOUR)), NOW)).toBe(false);
  });
});

describe('checkRevocationPolicyGrammar (run on every document before it is returned)', () => {
  const deny = (overrides: Record<string, unknown>) =>
    ({
      Version: '2012-10-17',
      Statement: [
        BOUNDARY_STATEMENT,
        {
          Sid: 'RevokeAll',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' } },
          ...overrides,
        },
      ],
    }) as RevocationPolicyDocument;

  it('passes what the builder writes', () => {
    const doc = build([revoke({ kind: 'all' }), revoke(subject('okta.a'))]);
    expect(checkRevocationPolicyGrammar(doc)).toBe(doc);
  });

  it.each([
    ['a Sid with a dash', deny({ Sid: 'Revoke-All' })],
    ['a Sid used twice', deny({ Sid: BOUNDARY_STATEMENT.Sid })],
    [
      'an operator on the wrong key',
      deny({ Condition: { DateLessThan: { 'aws:SourceIdentity': 'x' } } }),
    ],
    [
      'an operator IAM does not have',
      deny({ Condition: { StringMatches: { 'aws:SourceIdentity': 'x' } } }),
    ],
    [
      'a date that is not ISO 8601',
      deny({ Condition: { DateLessThan: { 'aws:TokenIssueTime': 'March 1' } } }),
    ],
  ])('refuses %s (revocation_policy_invalid)', (_, doc) => {
    // IAM's grammar (the independent validator) agrees: each is invalid.
    expect(validateManagedPolicy(doc)).not.toEqual([]);
    expect(() => checkRevocationPolicyGrammar(doc)).toThrow(
      expect.objectContaining({ code: 'revocation_policy_invalid' }),
    );
  });
});

describe('buildRevocationPolicy: properties', () => {
  const idp = fc.constantFrom('okta', 'entra', 'google-ws');
  const ref = fc.stringMatching(/^[0-9a-f]{16}$/);
  const sourceIdentity = fc.oneof(
    fc.tuple(idp, ref).map(([i, r]) => `${i}.${r}`),
    fc
      .stringMatching(/^[A-Za-z0-9_+=,.@-]{2,64}$/)
      .filter((s) => !s.toLowerCase().startsWith('aws:')),
  );
  const scope: fc.Arbitrary<RevocationScope> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.array(sourceIdentity, { minLength: 1, maxLength: 3 }).map((s) => subject(...s)),
    },
    { weight: 2, arbitrary: idp.map((i) => ({ kind: 'idp' as const, idp: i })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'all' as const }) },
  );
  // Within the 13 hours that matter, and a few older ones that must go.
  const revocation = fc
    .record({ scope, msAgo: fc.integer({ min: 0, max: 15 * HOUR }) })
    .map(({ scope: s, msAgo }) => revoke(s, ago(msAgo)));
  const revocations = fc.array(revocation, { minLength: 1, maxLength: 8 });

  /** The sessions a revocation concerns: one per SourceIdentity (or IdP, or anyone). */
  const sessionsOf = (r: Revocation, issuedAt: Date) => {
    if (r.scope.kind === 'subject') {
      return r.scope.sourceIdentities.map((sourceIdentity) => ({
        sourceIdentity,
        tokenIssueTime: issuedAt,
      }));
    }
    if (r.scope.kind === 'idp')
      return [{ sourceIdentity: `${r.scope.idp}.ffffffffffffffff`, tokenIssueTime: issuedAt }];
    return [{ sourceIdentity: 'anyone', tokenIssueTime: issuedAt }, { tokenIssueTime: issuedAt }];
  };
  const stillMatters = (r: Revocation) => r.issuedBefore.getTime() > NOW.getTime() - 13 * HOUR;

  it('always denies every scope it was given, for sessions issued before the moment (IAM evaluation)', () => {
    fc.assert(
      fc.property(revocations, (rs) => {
        const doc = build(rs);
        for (const r of rs.filter(stillMatters)) {
          const before = new Date(r.issuedBefore.getTime() - 1);
          for (const session of sessionsOf(r, before)) {
            expect(explicitlyDenies(doc, session), JSON.stringify({ r, session })).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never denies a session issued after every revocation', () => {
    fc.assert(
      fc.property(revocations, sourceIdentity, (rs, si) => {
        const doc = build(rs);
        const fresh = new Date(NOW.getTime() + 2000);
        expect(explicitlyDenies(doc, { sourceIdentity: si, tokenIssueTime: fresh })).toBe(false);
        expect(explicitlyDenies(doc, { tokenIssueTime: fresh })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps to IAM's grammar and size, or refuses", () => {
    fc.assert(
      fc.property(revocations, (rs) => {
        expect(validateManagedPolicy(build(rs))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same revocations in any order give the same document', () => {
    fc.assert(
      fc.property(revocations, fc.integer(), (rs, seed) => {
        const shuffled = [...rs].sort(
          (a, b) =>
            ((JSON.stringify(a).length * 31 + seed) % 7) -
            ((JSON.stringify(b).length * 31 + seed) % 7),
        );
        expect(JSON.stringify(build(shuffled))).toBe(JSON.stringify(build(rs)));
        expect(JSON.stringify(build(rs))).toBe(JSON.stringify(build(rs)));
      }),
      { numRuns: 200 },
    );
  });

  it('is idempotent: applying a revocation twice changes nothing the second time', () => {
    fc.assert(
      fc.property(revocations, revocation, (rs, r) => {
        const once = build([...rs, r]);
        expect(buildRevocationPolicy(once, r, NOW)).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });

  it("merging concurrent writers' versions keeps every revocation of each", () => {
    fc.assert(
      fc.property(revocations, revocations, (a, b) => {
        const merged = mergeRevocationPolicies([build(a), build(b)], NOW);
        for (const r of [...a, ...b].filter(stillMatters)) {
          const before = new Date(r.issuedBefore.getTime() - 1);
          for (const session of sessionsOf(r, before)) {
            expect(explicitlyDenies(merged, session)).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
