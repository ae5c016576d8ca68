/**
 * `matches` runs on RE2, in time linear in the value: the pattern below (the old "bounded
 * regex" check admitted it) took 13 s in V8's backtracking engine on the 42-character value
 * below through mapGrants, and 109 s through explain. There is no timing assertion: before the
 * fix this file simply does not finish within the test timeout.
 */
import { describe, expect, it } from 'vitest';
import { RuleSchema } from '../../../shared/config/index.js';
import { allow, deny, explainRun, identity, run } from './fixtures.js';

const CATASTROPHIC = '([a-z0-9]+[._-]?)+@example\\.com';
/** 41 characters the group matches in exponentially many ways, then one it cannot. */
const ADVERSARIAL = `${'a'.repeat(41)}!`;

describe('matches on the catastrophic-backtracking shape', () => {
  it('validates: RE2 has no backtracking to catastrophise', () => {
    expect(
      RuleSchema.safeParse({
        id: 'r',
        priority: 1,
        effect: 'allow',
        when: [{ claim: 'email', op: 'matches', value: CATASTROPHIC }],
        grant: { roleArn: 'arn:aws:iam::111122223333:role/R' },
      }).success,
    ).toBe(true);
  });

  it('mapGrants and explain evaluate it on the adversarial value, and still match good values', () => {
    const rules = [allow('r', 1, [{ claim: 'email', op: 'matches', value: CATASTROPHIC }])];
    const bad = identity({ email: [ADVERSARIAL] });
    expect(ADVERSARIAL).toHaveLength(42);
    expect(run(rules, bad).grants).toEqual([]);
    expect(explainRun(rules, bad).rules[0]?.conditions[0]).toMatchObject({ holds: false });
    expect(run(rules, identity({ email: ['jane.doe@example.com'] })).grants).toHaveLength(1);
  });

  it('a deny evaluates it too, case-folded', () => {
    const rules = [
      allow('r', 1, []),
      deny('d', 0, [{ claim: 'email', op: 'matches', value: CATASTROPHIC, quantifier: 'any' }]),
    ];
    expect(run(rules, identity({ email: [ADVERSARIAL, ADVERSARIAL.toUpperCase()] })).denied).toBe(
      false,
    );
    expect(explainRun(rules, identity({ email: [ADVERSARIAL] })).denied).toBe(false);
    expect(run(rules, identity({ email: ['Jane.Doe@EXAMPLE.com'] })).denied).toBe(true);
  });
});
