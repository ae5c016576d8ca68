import type { Condition } from '../config/index.js';
import type { ClaimView } from './claims.js';

/** Claim values longer than this are never tested against a `matches` pattern. */
export const MAX_MATCHED_VALUE_LENGTH = 1024;

/** One condition's verdict, with a reason a person can read (names and config values only). */
export interface ConditionExplanation {
  claim: string;
  op: Condition['op'];
  value: string;
  ignoreCase: boolean;
  holds: boolean;
  reason: string;
}

/** A condition prepared once: its pattern compiled, its comparison value case-folded. */
export interface CompiledCondition {
  readonly condition: Condition;
  /** The verdict alone: the fast path of `mapGrants`. */
  test(claims: ClaimView): boolean;
  /** The same verdict (from `test`) plus its reason: the path of `explain`. */
  explain(claims: ClaimView): ConditionExplanation;
}

const q = JSON.stringify;

/**
 * Anchors a `matches` pattern so it must match the whole value: `^(?:a|b)$`, not `^a|b$`. The
 * group keeps an alternation inside the anchors. No `g` flag: `test` must not carry `lastIndex`.
 */
const compilePattern = (pattern: string, ignoreCase: boolean): RegExp | string => {
  try {
    return new RegExp(`^(?:${pattern})$`, ignoreCase ? 'ui' : 'u');
  } catch (err) {
    // Fail closed: a pattern that bypassed the schema and does not compile matches nothing.
    return (err as Error).message;
  }
};

/**
 * Prepares a condition for evaluation. Semantics (claims looked up by exact name; a claim with
 * no values counts as missing; a missing claim satisfies no operator, not even `notEquals`):
 * - `equals`: the claim has exactly one value and it equals `value` (multi-valued: use `contains`);
 * - `notEquals`: the claim is present and none of its values equals `value`;
 * - `contains`: some value equals `value`;
 * - `startsWith`: some value starts with `value`;
 * - `matches`: some value of at most 1,024 characters fully matches the pattern (`^(?:…)$`, `u`).
 *
 * `ignoreCase` compares `toLowerCase()` of both sides (the `i` flag for `matches`).
 * @example compileCondition({ claim: 'groups', op: 'contains', value: 'aws-admins', ignoreCase: false })
 */
export const compileCondition = (condition: Condition): CompiledCondition => {
  const { claim, op, ignoreCase } = condition;
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  const expected = fold(condition.value);
  const caseNote = ignoreCase ? ' (ignoring case)' : '';
  const pattern = op === 'matches' ? compilePattern(condition.value, ignoreCase) : undefined;
  const shown = pattern instanceof RegExp ? String(pattern) : q(condition.value);

  const test = (claims: ClaimView): boolean => {
    const values = claims.values(claim);
    if (values === undefined) return false;
    switch (op) {
      case 'equals':
        return values.length === 1 && fold(values[0] as string) === expected;
      case 'notEquals':
        return !claims.has(claim, expected, ignoreCase);
      case 'contains':
        return claims.has(claim, expected, ignoreCase);
      case 'startsWith':
        return values.some((v) => fold(v).startsWith(expected));
      case 'matches':
        return (
          pattern instanceof RegExp &&
          values.some((v) => v.length <= MAX_MATCHED_VALUE_LENGTH && pattern.test(v))
        );
    }
  };

  const describe = (claims: ClaimView, holds: boolean): string => {
    const values = claims.values(claim);
    if (values === undefined) {
      return op === 'notEquals'
        ? `claim ${claim} is missing (a missing claim never satisfies notEquals)`
        : `claim ${claim} is missing`;
    }
    switch (op) {
      case 'equals':
        if (values.length > 1) {
          return `claim ${claim} is multi-valued (${values.length} values): equals needs exactly one, use contains`;
        }
        return holds
          ? `claim ${claim} equals ${q(condition.value)}${caseNote}`
          : `claim ${claim} does not equal ${q(condition.value)}${caseNote}`;
      case 'notEquals':
        return holds
          ? `claim ${claim} has no value equal to ${q(condition.value)}${caseNote}`
          : `claim ${claim} has a value equal to ${q(condition.value)}${caseNote}`;
      case 'contains':
        return holds
          ? `claim ${claim} has a value equal to ${q(condition.value)}${caseNote}`
          : `claim ${claim} has no value equal to ${q(condition.value)}${caseNote}`;
      case 'startsWith':
        return holds
          ? `claim ${claim} has a value starting with ${q(condition.value)}${caseNote}`
          : `claim ${claim} has no value starting with ${q(condition.value)}${caseNote}`;
      case 'matches': {
        if (typeof pattern === 'string') {
          return `pattern ${q(condition.value)} is not a valid regular expression (${pattern})`;
        }
        if (holds) return `claim ${claim} has a value matching ${shown}`;
        const long = values.filter((v) => v.length > MAX_MATCHED_VALUE_LENGTH).length;
        const skipped =
          long > 0
            ? ` (${long} of ${values.length} values longer than ${MAX_MATCHED_VALUE_LENGTH} characters, never matched)`
            : '';
        return `claim ${claim} has no value matching ${shown}${skipped}`;
      }
    }
  };

  return {
    condition,
    test,
    explain: (claims) => {
      const holds = test(claims);
      return {
        claim,
        op,
        value: condition.value,
        ignoreCase,
        holds,
        reason: describe(claims, holds),
      };
    },
  };
};
