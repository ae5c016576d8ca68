import { parseRoleArn } from '../aws-rules.js';
import type { AccountProfile, AllowRule, DenyRule, Rule } from '../config/index.js';
import type { ClaimView } from './claims.js';
import { type CompiledCondition, compileCondition } from './conditions.js';
import { type CompiledGrant, compileGrant, roleKeyOf } from './grant.js';
import type { MapperConfig } from './types.js';

/** An allow rule prepared once. */
export interface CompiledAllowRule {
  readonly effect: 'allow';
  readonly scope: 'idp';
  readonly ref: string;
  readonly rule: AllowRule;
  readonly conditions: readonly CompiledCondition[];
  readonly grant: CompiledGrant;
}

/**
 * Where a rule comes from: the IdP's own rules, the gateway-wide deny rules, or an account profile
 * marked `disabled` (a deny of every role the rules name in it).
 */
export type RuleScope = 'idp' | 'gateway' | 'account';

/** A deny rule prepared once; `roleKeys` absent: it denies every role. */
export interface CompiledDenyRule {
  readonly effect: 'deny';
  readonly scope: RuleScope;
  /**
   * How results name it: the rule id, `gateway:<id>` for a gateway rule, `account:<id>` for a
   * disabled account (rule ids have no `:`).
   */
  readonly ref: string;
  readonly rule: DenyRule;
  readonly conditions: readonly CompiledCondition[];
  readonly roleKeys: ReadonlySet<string> | undefined;
}

/** A rule prepared once: conditions compiled, grant templates parsed. */
export type CompiledRule = CompiledAllowRule | CompiledDenyRule;

/** Code-unit order for rule ids: the same on every machine (no locale). */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const evaluationOrder = <R extends Rule>(rules: readonly R[]): R[] =>
  [...rules].sort((a, b) => a.priority - b.priority || byCodeUnit(a.id, b.id));

const hasMatches = (rules: readonly Rule[]) =>
  rules.some((r) => r.when.some((c) => c.op === 'matches'));

/** Whether a rule set needs a regex engine (it has a `matches` condition). */
export const needsRegexEngine = (config: Pick<MapperConfig, 'rules' | 'gatewayRules'>): boolean =>
  hasMatches(config.rules) || hasMatches(config.gatewayRules ?? []);

/**
 * Compiles a rule set into evaluation order: the gateway-wide deny rules first, then the IdP's
 * rules, each by ascending `priority`, ties broken by rule id. (Only denies come from the gateway,
 * and a deny wins whatever its priority, so the order decides only which deny is named first.)
 * Everything that does not depend on the identity (patterns, templates, aliases) is done here, once.
 * @throws TypeError when a rule has a `matches` condition and `config.regex` is not given.
 */
export const compileRuleSet = (config: MapperConfig): readonly CompiledRule[] => {
  const accounts = new Map<string, AccountProfile>((config.accounts ?? []).map((a) => [a.id, a]));
  const compileDeny = (rule: DenyRule, scope: RuleScope): CompiledDenyRule => ({
    effect: 'deny',
    scope,
    ref: scope === 'idp' ? rule.id : `${scope}:${rule.id}`,
    rule,
    conditions: rule.when.map((c) => compileCondition(c, 'deny', config.regex)),
    roleKeys: rule.roleArns ? new Set(rule.roleArns.map((arn) => roleKeyOf(arn))) : undefined,
  });
  const gateway = evaluationOrder(config.gatewayRules ?? []).map((rule) =>
    // Gateway rules are deny rules by schema; one that bypassed it still only denies.
    compileDeny({ ...rule, effect: 'deny' } as DenyRule, 'gateway'),
  );
  const own = evaluationOrder(config.rules).map((rule): CompiledRule => {
    if (rule.effect === 'allow') {
      return {
        effect: 'allow',
        scope: 'idp',
        ref: rule.id,
        rule,
        conditions: rule.when.map((c) => compileCondition(c, 'allow', config.regex)),
        grant: compileGrant(rule, config.defaults, accounts),
      };
    }
    return compileDeny(rule, 'idp');
  });
  // A disabled account: one deny per account naming every role the allow rules grant in it.
  const disabled = new Map<string, string[]>();
  for (const r of own) {
    if (r.effect !== 'allow') continue;
    const accountId = parseRoleArn(r.rule.grant.roleArn)?.accountId;
    if (accountId !== undefined && accounts.get(accountId)?.disabled === true) {
      disabled.set(accountId, [...(disabled.get(accountId) ?? []), r.rule.grant.roleArn]);
    }
  }
  const accountDenies = [...disabled].map(([accountId, roleArns]) =>
    compileDeny(
      { id: accountId, priority: 0, effect: 'deny', when: [], roleArns } as DenyRule,
      'account',
    ),
  );
  return [...gateway, ...accountDenies, ...own];
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
  /** Every matching deny rule (`gateway:<id>` for a gateway rule), in evaluation order. */
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
      deniedBy.push(r.ref);
      if (r.roleKeys === undefined) denyAll ??= r;
      else for (const key of r.roleKeys) if (!deniedRoles.has(key)) deniedRoles.set(key, r);
    } else if (!owners.has(r.grant.roleKey)) {
      owners.set(r.grant.roleKey, r);
    }
  }
  return { denyAll, deniedRoles, owners, deniedBy };
};
