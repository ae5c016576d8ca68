import { createClaimView } from './claims.js';
import { type Explanation, explainRuleSet } from './explain.js';
import { type CompiledRule, compileRuleSet, isRuleMatched, resolveMatches } from './rule-set.js';
import type {
  Grant,
  Identity,
  MapperConfig,
  MappingInput,
  MappingProblem,
  MappingResult,
} from './types.js';

/** One IdP's rules compiled once, evaluated per sign-in. */
export interface Mapper {
  /** Maps an identity to the grants it may assume (see README.md in this folder). */
  mapGrants(identity: Identity): MappingResult;
  /** Maps an identity and says, rule by rule, why: the admin CLI's `explain`. */
  explain(identity: Identity): Explanation;
}

/*
 * Evaluates a compiled rule set: conditions first (short-circuiting), then denies, then renders
 * only the grants that can still be issued, so no work (and no problem report) is spent on a role
 * a deny removes or an earlier rule already owns.
 */
const mapRuleSet = (rules: readonly CompiledRule[], identity: Identity): MappingResult => {
  const claims = createClaimView(identity);
  const matched = rules.filter((r) => isRuleMatched(r, claims));
  const { denyAll, deniedRoles, owners, deniedBy } = resolveMatches(matched);
  if (denyAll !== undefined) return { grants: [], denied: true, deniedBy, problems: [] };
  const grants: Grant[] = [];
  const problems: MappingProblem[] = [];
  for (const r of matched) {
    if (r.effect !== 'allow') continue;
    const { roleKey, roleArn } = r.grant;
    if (deniedRoles.has(roleKey) || owners.get(roleKey) !== r) continue;
    const outcome = r.grant.render(identity);
    if (outcome.ok) grants.push(outcome.grant);
    else
      for (const reason of outcome.problems) problems.push({ ruleId: r.rule.id, roleArn, reason });
  }
  return { grants, denied: false, deniedBy, problems };
};

/**
 * Compiles one IdP's rules once (sorting, regexes, templates, account aliases) for many
 * sign-ins. The caller keeps the mapper next to the rules it cached, so compiling costs once per
 * rule-set load; there is no module-level cache (no singletons in shared/).
 * @example
 * const mapper = createMapper({ rules: idp.rules, defaults: config.defaults, accounts: config.accounts });
 * const { grants, denied, problems } = mapper.mapGrants(identity);
 */
export const createMapper = (config: MapperConfig): Mapper => {
  const rules = compileRuleSet(config);
  return {
    mapGrants: (identity) => mapRuleSet(rules, identity),
    explain: (identity) => explainRuleSet(rules, identity),
  };
};

/**
 * Maps one identity with rules compiled for this call only: for one-off use (tests, the admin
 * CLI); a sign-in path keeps a {@link createMapper} instead.
 * @example mapGrants({ identity, rules, defaults: { sessionDurationSeconds: 3600, sessionName: '{subject}' } })
 */
export const mapGrants = (input: MappingInput): MappingResult =>
  mapRuleSet(compileRuleSet(input), input.identity);
