import type { AccountProfile, AllowRule, DenyRule, Rule } from '../config/index.js';
import type { ClaimView } from './claims.js';
import { type CompiledCondition, compileCondition } from './conditions.js';
import { type CompiledGrant, compileGrant, roleKeyOf } from './grant.js';
import type { MapperConfig } from './types.js';

/** An allow rule prepared once. */
export interface CompiledAllowRule {
  readonly effect: 'allow';
  readonly rule: AllowRule;
  readonly conditions: readonly CompiledCondition[];
  readonly grant: CompiledGrant;
}

/** A deny rule prepared once; `roleKeys` absent: it denies every role. */
export interface CompiledDenyRule {
  readonly effect: 'deny';
  readonly rule: DenyRule;
  readonly conditions: readonly CompiledCondition[];
  readonly roleKeys: ReadonlySet<string> | undefined;
}

/** A rule prepared once: conditions compiled, grant templates parsed. */
export type CompiledRule = CompiledAllowRule | CompiledDenyRule;

/** Code-unit order for rule ids: the same on every machine (no locale). */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compiles a rule set into evaluation order: ascending `priority`, ties broken by rule id.
 * Everything that does not depend on the identity (regexes, templates, aliases) is done here, once.
 */
export const compileRuleSet = (config: MapperConfig): readonly CompiledRule[] => {
  const accounts = new Map<string, AccountProfile>((config.accounts ?? []).map((a) => [a.id, a]));
  const ordered = [...config.rules].sort(
    (a: Rule, b: Rule) => a.priority - b.priority || byCodeUnit(a.id, b.id),
  );
  return ordered.map((rule): CompiledRule => {
    const conditions = rule.when.map(compileCondition);
    if (rule.effect === 'allow') {
      return {
        effect: 'allow',
        rule,
        conditions,
        grant: compileGrant(rule, config.defaults, accounts),
      };
    }
    return {
      effect: 'deny',
      rule,
      conditions,
      roleKeys: rule.roleArns ? new Set(rule.roleArns.map((arn) => roleKeyOf(arn))) : undefined,
    };
  });
};

/** Whether every condition holds (an empty `when` always holds); stops at the first that fails. */
export const isRuleMatched = (rule: CompiledRule, claims: ClaimView): boolean =>
  rule.conditions.every((c) => c.test(claims));

/** How the matching rules combine: which deny wins, which allow owns each role. */
export interface Resolution {
  /** The first matching deny rule without `roleArns`, if any: nothing is granted. */
  denyAll: CompiledDenyRule | undefined;
  /** Role key → the first matching deny rule naming it. */
  deniedRoles: ReadonlyMap<string, CompiledDenyRule>;
  /** Role key → the first matching allow rule granting it; later ones are shadowed. */
  owners: ReadonlyMap<string, CompiledAllowRule>;
  /** Every matching deny rule, in evaluation order. */
  deniedBy: readonly string[];
}

/**
 * Combines the matching rules (in evaluation order). Deny wins regardless of priority. Of two
 * allow rules for one role the first in evaluation order owns it, even if its grant then fails:
 * falling through to a later rule would hand out a grant with other tags than the one meant.
 */
export const resolveMatches = (matched: readonly CompiledRule[]): Resolution => {
  let denyAll: CompiledDenyRule | undefined;
  const deniedRoles = new Map<string, CompiledDenyRule>();
  const owners = new Map<string, CompiledAllowRule>();
  const deniedBy: string[] = [];
  for (const r of matched) {
    if (r.effect === 'deny') {
      deniedBy.push(r.rule.id);
      if (r.roleKeys === undefined) denyAll ??= r;
      else for (const key of r.roleKeys) if (!deniedRoles.has(key)) deniedRoles.set(key, r);
    } else if (!owners.has(r.grant.roleKey)) {
      owners.set(r.grant.roleKey, r);
    }
  }
  return { denyAll, deniedRoles, owners, deniedBy };
};
