import * as z from '../zod.js';
import { foldValue, isBlankValue } from './fold.js';
import { checkPatternSyntax } from './pattern-syntax.js';

/**
 * The condition of a mapping rule, as written and as the engine reads it. Allow and deny rules
 * read conditions differently (shared/mapping/README.md §2): a deny must not be escaped by the
 * shape of a claim, an allow must not be gained by it, so each effect has its own schema that
 * accepts only the conditions that hold to that, and turns what it accepts into one explicit
 * form (every field spelled out). Old forms keep their meaning in allow rules; in deny rules
 * they are refused with a message that shows the new form.
 */

/** Claim names: short aliases (`groups`) or full URIs (Entra's claim URIs). */
export const ClaimNameSchema = z.string().check(z.minLength(1), z.maxLength(256));

/** Operators that compare the claim's values with `value`. */
export const VALUE_OPS = ['equals', 'startsWith', 'matches'] as const;
/** Operators on the claim's presence (no `value`). */
export const PRESENCE_OPS = ['exists', 'absent'] as const;
/** Operators of earlier versions, read (allow) or refused with a rewrite (deny, `notEquals`). */
const LEGACY_OPS = ['contains', 'notEquals'] as const;

/** Which of a claim's values must satisfy a value test. */
export const QuantifierSchema = z.enum(['any', 'all', 'exactlyOne']);
/** How values are compared: as sent, or folded (shared/config/fold.ts). */
export const CaseModeSchema = z.enum(['exact', 'fold']);
/** Deny only: whether a condition on a missing claim holds (`match`, fail closed) or not. */
export const IfMissingSchema = z.enum(['match', 'noMatch']);

const MAX_VALUE_LENGTH = 1024;

/** A condition as written in a config file or a table item (either effect, any version). */
export const ConditionInputSchema = z.strictObject({
  claim: ClaimNameSchema.check(z.describe('The claim (after claim aliases) the condition reads.')),
  op: z
    .enum([...VALUE_OPS, ...PRESENCE_OPS, ...LEGACY_OPS])
    .check(
      z.describe(
        'equals / startsWith / matches (a full-match RE2 pattern) compare values with `value`; exists (allow only) and absent (deny only) test whether the claim was sent. contains (= equals with quantifier any) and notEquals are earlier forms.',
      ),
    ),
  value: z.optional(
    z
      .string()
      .check(
        z.maxLength(MAX_VALUE_LENGTH),
        z.describe('What equals/startsWith compare with, or the RE2 pattern of matches.'),
      ),
  ),
  quantifier: z.optional(
    QuantifierSchema.check(
      z.describe(
        "Which of the claim's values must satisfy the test: any (some value), all (every value, at least one), exactlyOne (exactly one distinct value, and it does). Deny rules: any only, and required.",
      ),
    ),
  ),
  case: z.optional(
    CaseModeSchema.check(
      z.describe(
        'exact (allow default) compares the text as sent; fold compares Unicode-folded values (NFKC, case-folded, trimmed). Deny rules always fold.',
      ),
    ),
  ),
  ifMissing: z.optional(
    IfMissingSchema.check(
      z.describe(
        'Deny rules only: match (default) makes the condition hold when the claim is missing (fail closed); noMatch does not, which lets a person escape the deny by not sending the claim.',
      ),
    ),
  ),
  ignoreCase: z.optional(
    z.boolean().check(z.describe('Earlier form of case (allow rules only): true = fold.')),
  ),
});
type ConditionInput = z.output<typeof ConditionInputSchema>;

/** A condition on the claim's values, every field explicit. */
export interface ValueCondition {
  claim: string;
  op: (typeof VALUE_OPS)[number];
  value: string;
  quantifier: z.output<typeof QuantifierSchema>;
  case: z.output<typeof CaseModeSchema>;
  /** Deny rules only (always set there): whether the condition holds on a missing claim. */
  ifMissing?: z.output<typeof IfMissingSchema>;
}

/** A condition on the claim's presence. */
export interface PresenceCondition {
  claim: string;
  op: (typeof PRESENCE_OPS)[number];
}

/** A condition as the engine reads it. */
export type Condition = ValueCondition | PresenceCondition;

/** Whether a condition compares values (as opposed to testing presence). */
export const isValueCondition = (c: Condition): c is ValueCondition =>
  (VALUE_OPS as readonly string[]).includes(c.op);

type Ctx = { issues: z.core.$ZodRawIssue[] };
const fail = (ctx: Ctx, input: unknown, path: string, message: string) => {
  ctx.issues.push({ code: 'custom', message, input, path: [path] });
  return z.NEVER;
};

/** `{ claim: employeeType, op: equals, value: contractor, quantifier: any }`, for messages. */
const show = (fields: Record<string, string | undefined>): string =>
  `{ ${Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${/^[\w.@:/-]+$/.test(v as string) ? v : JSON.stringify(v)}`)
    .join(', ')} }`;

/** Checks shared by both effects on a value condition's `value`. */
const checkValue = (c: ConditionInput, fold: boolean, ctx: Ctx): boolean => {
  if (c.value === undefined) {
    fail(ctx, c, 'value', `${c.op} needs a value`);
    return false;
  }
  if (isBlankValue(c.value) || (fold && foldValue(c.value) === '')) {
    // Blank claim values count as not sent, so a blank value could never be compared with one.
    fail(ctx, c, 'value', 'the value is empty or white space only, which no claim value can be');
    return false;
  }
  if (fold && /^\s|\s$/u.test(c.value)) {
    // Folding trims claim values: `startsWith: "admin "` would be read as `admin` (and match
    // `administrators`), a pattern ending in a space would never match anything.
    fail(
      ctx,
      c,
      'value',
      `folded claim values have no surrounding white space: write ${JSON.stringify(c.value.trim())}`,
    );
    return false;
  }
  if (c.op === 'matches') {
    const why = checkPatternSyntax(c.value, fold);
    if (why) {
      fail(ctx, c, 'value', why);
      return false;
    }
  }
  return true;
};

const DENY_RULE_HINT =
  'deny conditions now match any value, ignoring case, and hold when the claim is missing';

/**
 * A deny rule's condition: only conditions that adding values, duplicating, re-ordering or
 * re-casing them, or removing the claim can never turn from holding into not holding.
 * - value ops with `quantifier: any` (required, so that a rule written for the old semantics is
 *   never read with the new ones silently); `all` / `exactlyOne` refused (adding a value would
 *   escape them);
 * - `case` fold only (an exact comparison is escaped by re-casing);
 * - `ifMissing` `match` (default: a missing claim makes the condition hold) or `noMatch`
 *   (an escape, which `lintGatewayConfig` warns about);
 * - `absent` allowed, `exists` refused (not sending the claim would escape it);
 * - `contains`, `notEquals` and `ignoreCase` refused with the new form in the message.
 */
export const DenyConditionSchema = z.pipe(
  ConditionInputSchema,
  z.transform((c, ctx): Condition => {
    const claim = c.claim;
    if (c.op === 'notEquals') {
      return fail(
        ctx,
        c,
        'op',
        `notEquals is gone: a deny on "no value equals X" is escaped by adding X to the claim. Deny on the value you refuse, e.g. ${show({ claim, op: 'equals', value: c.value, quantifier: 'any' })}, or grant only with an allow rule that requires the value you accept`,
      );
    }
    if (c.op === 'exists') {
      return fail(
        ctx,
        c,
        'op',
        `a deny on exists is escaped by not sending the claim; a deny on a value already holds when the claim is missing: write ${show({ claim, op: 'equals', value: c.value ?? '<value>', quantifier: 'any' })}`,
      );
    }
    if (c.op === 'absent') {
      for (const key of ['value', 'quantifier', 'case', 'ifMissing', 'ignoreCase'] as const) {
        if (c[key] !== undefined) return fail(ctx, c, key, `absent takes no ${key}`);
      }
      return { claim, op: 'absent' };
    }
    const op = c.op === 'contains' ? 'equals' : c.op;
    const rewrite = `${DENY_RULE_HINT}: write ${show({ claim, op, value: c.value, quantifier: 'any' })}`;
    if (c.op === 'contains') return fail(ctx, c, 'op', `contains is gone; ${rewrite}`);
    if (c.ignoreCase !== undefined) {
      return fail(
        ctx,
        c,
        'ignoreCase',
        `ignoreCase is gone (deny rules always fold case); ${rewrite}`,
      );
    }
    if (c.quantifier === undefined) return fail(ctx, c, 'quantifier', rewrite);
    if (c.quantifier !== 'any') {
      return fail(
        ctx,
        c,
        'quantifier',
        `a deny with quantifier ${c.quantifier} is escaped by adding a value to the claim; ${rewrite}`,
      );
    }
    if (c.case === 'exact') {
      return fail(
        ctx,
        c,
        'case',
        `a deny comparing exact case is escaped by re-casing the value; ${rewrite}`,
      );
    }
    if (!checkValue(c, true, ctx)) return z.NEVER;
    return {
      claim,
      op,
      value: c.value as string,
      quantifier: 'any',
      case: 'fold',
      ifMissing: c.ifMissing ?? 'match',
    };
  }),
);

/**
 * An allow rule's condition: a missing claim never satisfies it.
 * - value ops with quantifier `any`, `all` or `exactlyOne`; without one, `equals` means
 *   `exactlyOne` (its meaning before quantifiers) and `startsWith` / `matches` mean `any`;
 * - `case` exact (default: identifiers are compared as sent) or fold; `ignoreCase: true` is read
 *   as fold;
 * - `exists` allowed, `absent` refused (not sending the claim would gain the allow);
 * - `contains` is read as equals + any; `notEquals` and `ifMissing` are refused.
 */
export const AllowConditionSchema = z.pipe(
  ConditionInputSchema,
  z.transform((c, ctx): Condition => {
    const claim = c.claim;
    if (c.ifMissing !== undefined) {
      return fail(
        ctx,
        c,
        'ifMissing',
        'allow conditions never hold on a missing claim; ifMissing is for deny rules',
      );
    }
    if (c.op === 'notEquals') {
      return fail(
        ctx,
        c,
        'op',
        `notEquals is gone: an allow on "no value equals X" is gained by not sending X. Refuse X with a deny rule, ${show({ claim, op: 'equals', value: c.value, quantifier: 'any' })}, and allow on what you accept, e.g. ${show({ claim, op: 'exists' })}`,
      );
    }
    if (c.op === 'absent') {
      return fail(
        ctx,
        c,
        'op',
        'an allow on absent is gained by not sending the claim; allow on a value the IdP sends',
      );
    }
    if (c.op === 'exists') {
      for (const key of ['value', 'quantifier', 'case', 'ignoreCase'] as const) {
        if (c[key] !== undefined) return fail(ctx, c, key, `exists takes no ${key}`);
      }
      return { claim, op: 'exists' };
    }
    if (c.ignoreCase !== undefined && c.case !== undefined) {
      return fail(ctx, c, 'ignoreCase', 'give case (exact or fold), not ignoreCase as well');
    }
    const caseMode = c.case ?? (c.ignoreCase ? 'fold' : 'exact');
    if (c.op === 'contains' && c.quantifier !== undefined && c.quantifier !== 'any') {
      return fail(
        ctx,
        c,
        'quantifier',
        `contains is equals with quantifier any; write ${show({ claim, op: 'equals', value: c.value, quantifier: c.quantifier })}`,
      );
    }
    const op = c.op === 'contains' ? 'equals' : c.op;
    const quantifier =
      c.quantifier ?? (c.op === 'contains' ? 'any' : op === 'equals' ? 'exactlyOne' : 'any');
    if (!checkValue(c, caseMode === 'fold', ctx)) return z.NEVER;
    return { claim, op, value: c.value as string, quantifier, case: caseMode };
  }),
);
