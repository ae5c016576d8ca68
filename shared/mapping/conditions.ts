import { type Condition, foldValue, isValueCondition } from '../config/index.js';
import type { CaseMode, ClaimView } from './claims.js';
import type { CompiledPattern, RegexEngine } from './regex.js';

/** Claim values longer than this (after normalisation) are never tested against a pattern. */
export const MAX_MATCHED_VALUE_LENGTH = 1024;

/** Which side of a rule a condition is on: the two read a condition differently. */
export type Effect = 'allow' | 'deny';

type Quantifier = 'any' | 'all' | 'exactlyOne';

/** One condition's verdict, with a reason a person can read (names and config values only). */
export interface ConditionExplanation {
  claim: string;
  op: Condition['op'];
  /** The compared value or pattern (value ops). */
  value?: string;
  /** Value ops: which values must satisfy the test. */
  quantifier?: Quantifier;
  /** Value ops: exact or fold. */
  case?: CaseMode;
  /** Whether the claim was missing (not sent, no value, or blank values only). */
  missing: boolean;
  holds: boolean;
  reason: string;
}

/** A condition prepared once: its pattern compiled, its comparison value folded. */
export interface CompiledCondition {
  readonly condition: Condition;
  /** The verdict alone: the fast path of `mapGrants`. */
  test(claims: ClaimView): boolean;
  /** The same verdict (from `test`) plus its reason: the path of `explain`. */
  explain(claims: ClaimView): ConditionExplanation;
}

const q = JSON.stringify;

const QUANTIFIER_TEXT: Record<Quantifier, string> = {
  any: 'any value',
  all: 'every value',
  exactlyOne: 'exactly one value',
};

/**
 * Prepares a condition for one side of a rule (shared/mapping/README.md §2). Values are a set
 * after normalisation (blank values dropped; folded in `fold` mode); a claim with none left is
 * missing.
 * - **allow**: a missing claim satisfies nothing; `exists` holds when the claim is present;
 *   `equals` / `startsWith` / `matches` hold per the quantifier (`any`: some value satisfies;
 *   `all`: every value does; `exactlyOne`: there is exactly one distinct value and it does).
 * - **deny**: always `any` value and always folded, whatever the rule says, so that the engine
 *   stays monotone even for a rule that bypassed the schema; a missing claim makes a value
 *   condition hold unless `ifMissing: noMatch`; `absent` holds when the claim is missing. What
 *   cannot be evaluated (a pattern that does not compile, a value too long to test, `exists`)
 *   holds: a deny fails closed.
 *
 * `matches` runs on the RE2 `regex` engine: full-value match, case-insensitive in fold mode
 * (on the folded value, so the engine's own case folding never decides).
 * @throws TypeError when the condition is `matches` and no `regex` engine was given.
 * @example compileCondition({ claim: 'groups', op: 'equals', value: 'aws-admins', quantifier: 'any', case: 'exact' }, 'allow')
 */
export const compileCondition = (
  condition: Condition,
  effect: Effect,
  regex?: RegexEngine,
): CompiledCondition => {
  const { claim, op } = condition;
  const isDeny = effect === 'deny';

  if (!isValueCondition(condition)) {
    const test = (claims: ClaimView): boolean => {
      const present = claims.valueSet(claim, 'fold') !== undefined;
      if (op === 'absent') return isDeny ? !present : false;
      if (op === 'exists') return isDeny ? true : present;
      // An operator this version does not know (a rule that bypassed the schema): fail closed.
      return isDeny;
    };
    return {
      condition,
      test,
      explain: (claims) => {
        const missing = claims.valueSet(claim, 'fold') === undefined;
        const holds = test(claims);
        const reason =
          op !== 'absent' && op !== 'exists'
            ? `unknown operator ${q(op)}: ${isDeny ? 'this deny holds (fail closed)' : 'never holds'}`
            : op === 'absent' && !isDeny
              ? 'absent cannot grant (not sending a claim would gain the allow): never holds'
              : op === 'exists' && isDeny
                ? 'exists cannot deny monotonically: holds (fail closed)'
                : missing
                  ? `claim ${claim} is missing`
                  : `claim ${claim} is present`;
        return { claim, op, missing, holds, reason };
      },
    };
  }

  const valueOp = condition.op;
  // Read defensively: a rule that bypassed the schema may lack or misspell these. A deny is
  // always any + fold; an allow falls back to exact case and the strictest quantifier.
  const caseMode: CaseMode = isDeny || condition.case === 'fold' ? 'fold' : 'exact';
  const quantifier: Quantifier = isDeny
    ? 'any'
    : condition.quantifier === 'any' || condition.quantifier === 'all'
      ? condition.quantifier
      : 'exactlyOne';
  const holdsWhenMissing = isDeny && condition.ifMissing !== 'noMatch';
  const valid = typeof condition.value === 'string' && condition.value !== '';
  const expected = !valid ? '' : caseMode === 'fold' ? foldValue(condition.value) : condition.value;

  let pattern: CompiledPattern | string | undefined;
  if (valueOp === 'matches') {
    if (regex === undefined) {
      throw new TypeError(
        'matches conditions need a regex engine: pass regex: await loadRegexEngine()',
      );
    }
    pattern = valid
      ? regex.compile(condition.value, caseMode === 'fold')
      : 'the condition has no pattern';
  }

  /** `undefined`: this value cannot be tested (a deny counts it as satisfying: fail closed). */
  const satisfies = (v: string): boolean | undefined => {
    if (!valid) return undefined;
    switch (valueOp) {
      case 'equals':
        return v === expected;
      case 'startsWith':
        return v.startsWith(expected);
      case 'matches':
        if (typeof pattern !== 'object' || v.length > MAX_MATCHED_VALUE_LENGTH) return undefined;
        return pattern.fullMatch(v);
    }
  };
  const counts = (v: string): boolean => satisfies(v) ?? isDeny;

  const test = (claims: ClaimView): boolean => {
    const values = claims.valueSet(claim, caseMode);
    if (values === undefined) return holdsWhenMissing;
    if (valueOp === 'equals' && valid) {
      // The values are a set: a thousand equals rules against a 200-value groups claim cost a
      // thousand lookups, not 200,000 comparisons.
      const has = values.has(expected);
      return quantifier === 'any' ? has : values.size === 1 && has;
    }
    switch (quantifier) {
      case 'any':
        for (const v of values) if (counts(v)) return true;
        return false;
      case 'all':
        for (const v of values) if (!counts(v)) return false;
        return true;
      case 'exactlyOne': {
        if (values.size !== 1) return false;
        const [only] = values;
        return counts(only as string);
      }
    }
  };

  const opText =
    valueOp === 'equals'
      ? `equal to ${q(condition.value)}`
      : valueOp === 'startsWith'
        ? `starting with ${q(condition.value)}`
        : `matching ${q(condition.value)}`;
  const modeText = `${QUANTIFIER_TEXT[quantifier]}, ${caseMode === 'fold' ? 'ignoring case' : 'exact case'}`;

  const describe = (values: ReadonlySet<string> | undefined, holds: boolean): string => {
    if (!valid) {
      return `the condition has no value to compare with: ${isDeny ? 'this deny holds (fail closed)' : 'never holds'}`;
    }
    if (typeof pattern === 'string') {
      return `pattern ${q(condition.value)} cannot be used (${pattern}): ${isDeny ? 'this deny holds (fail closed)' : 'never holds'}`;
    }
    if (values === undefined) {
      if (!isDeny)
        return `claim ${claim} is missing: an allow condition never holds on a missing claim`;
      return holdsWhenMissing
        ? `claim ${claim} is missing: this deny holds (fail closed)`
        : `claim ${claim} is missing: this deny does not hold (ifMissing: noMatch)`;
    }
    const long =
      valueOp === 'matches'
        ? [...values].filter((v) => v.length > MAX_MATCHED_VALUE_LENGTH).length
        : 0;
    const longNote =
      long > 0
        ? `; ${long} of ${values.size} values longer than ${MAX_MATCHED_VALUE_LENGTH} characters ${isDeny ? 'count as matching (fail closed)' : 'never match'}`
        : '';
    const n = values.size;
    const plural = `${n} distinct value${n === 1 ? '' : 's'}`;
    switch (quantifier) {
      case 'any':
        return `claim ${claim} has ${holds ? 'a' : 'no'} value ${opText} (${modeText})${longNote}`;
      case 'all':
        return holds
          ? `claim ${claim}: every one of its ${plural} is ${opText} (${modeText})${longNote}`
          : `claim ${claim}: not every one of its ${plural} is ${opText} (${modeText})${longNote}`;
      case 'exactlyOne':
        if (n !== 1) return `claim ${claim} has ${plural}: exactlyOne needs exactly one`;
        return `claim ${claim} has one value, ${holds ? '' : 'not '}${opText} (${modeText})${longNote}`;
    }
  };

  return {
    condition,
    test,
    explain: (claims) => {
      const values = claims.valueSet(claim, caseMode);
      const holds = test(claims);
      return {
        claim,
        op,
        value: condition.value,
        quantifier,
        case: caseMode,
        missing: values === undefined,
        holds,
        reason: describe(values, holds),
      };
    },
  };
};
