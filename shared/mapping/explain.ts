import type { AllowRule } from '../config/index.js';
import { createClaimView, readClaim } from './claims.js';
import type { ConditionExplanation } from './conditions.js';
import { type CompiledRule, compileRuleSet, type RuleScope, resolveMatches } from './rule-set.js';
import type { TagFitNote } from './session-tags.js';
import { compileTemplate } from './template.js';
import type {
  ClaimSource,
  Grant,
  Identity,
  MappingInput,
  MappingProblem,
  MappingResult,
} from './types.js';

/**
 * What became of an allow rule: `not-matched` (a condition failed), `granted`, `failed` (matched,
 * but a value broke AWS's rules or a claim was missing), `denied` (a deny rule removed the role)
 * or `shadowed` (an earlier rule already grants the same role).
 */
export type AllowOutcome = 'not-matched' | 'granted' | 'failed' | 'denied' | 'shadowed';

/** What became of a deny rule: `not-matched`, `denies-all` or `denies-roles`. */
export type DenyOutcome = 'not-matched' | 'denies-all' | 'denies-roles';

interface RuleExplanationBase {
  ruleId: string;
  /** `idp` (the IdP's own rules) or `gateway` (the gateway-wide deny rules). */
  scope: RuleScope;
  priority: number;
  description?: string;
  /** Every condition held (an empty `when` always holds). */
  matched: boolean;
  /** Every condition, each evaluated (no short-circuit) so all reasons show. */
  conditions: readonly ConditionExplanation[];
}

/** One allow rule, explained. */
export interface AllowRuleExplanation extends RuleExplanationBase {
  effect: 'allow';
  roleArn: string;
  outcome: AllowOutcome;
  /** For a matched rule, the grant as it would be minted, even if denied or shadowed. */
  grant?: Grant;
  /** For a matched rule, every reason its grant cannot be minted. */
  problems: readonly string[];
  /** For a matched rule, what each tag's budget policy kept, dropped (and why) and spread. */
  tagFit?: readonly TagFitNote[];
  /**
   * For a matched rule of an identity the directory was joined to: where each session tag's
   * values came from, by the tag's key in the rule (the sources of the claims its template reads
   * that have values; a tag of literals or `{idp}` only has none and is left out).
   */
  tagSources?: Readonly<Record<string, readonly ClaimSource[]>>;
  /** The deny rule that removed this role (`gateway:<id>` for a gateway rule). */
  deniedBy?: string;
  /** The earlier rule that grants the same role. */
  shadowedBy?: string;
}

/** One deny rule, explained. */
export interface DenyRuleExplanation extends RuleExplanationBase {
  effect: 'deny';
  /** Absent: the rule denies every role. */
  roleArns?: readonly string[];
  outcome: DenyOutcome;
}

/** One rule, explained. */
export type RuleExplanation = AllowRuleExplanation | DenyRuleExplanation;

/** The mapping result together with the per-rule reasons, rules in evaluation order. */
export interface Explanation extends MappingResult {
  rules: readonly RuleExplanation[];
}

/** The sources of each session tag's claims (see {@link AllowRuleExplanation.tagSources}). */
const tagSourcesOf = (
  grant: AllowRule['grant'],
  identity: Identity,
): Record<string, ClaimSource[]> | undefined => {
  const provenance = identity.provenance;
  // Only an identity the directory was joined to has more than one source.
  if (provenance === undefined) return undefined;
  const out: Record<string, ClaimSource[]> = {};
  for (const [key, spec] of Object.entries(grant.sessionTags)) {
    const sources = new Set<ClaimSource>();
    for (const part of compileTemplate(typeof spec === 'string' ? spec : spec.value).parts) {
      if (part.kind !== 'claim' || readClaim(identity, part.claim) === undefined) continue;
      sources.add(
        Object.hasOwn(provenance, part.claim) ? (provenance[part.claim] as ClaimSource) : 'token',
      );
    }
    if (sources.size > 0) out[key] = [...sources];
  }
  return out;
};

/**
 * Explains a compiled rule set for an identity (gateway rules first, then the IdP's). The final `grants`, `denied`, `deniedBy` and
 * `problems` are the same as `mapGrants` returns; reasons name claims and config values only,
 * never a claim's values, so an explanation can be logged.
 */
export const explainRuleSet = (rules: readonly CompiledRule[], identity: Identity): Explanation => {
  const claims = createClaimView(identity);
  const evaluated = rules.map((rule) => {
    const conditions = rule.conditions.map((c) => c.explain(claims));
    return { rule, conditions, matched: conditions.every((c) => c.holds) };
  });
  const { denyAll, deniedRoles, owners, deniedBy } = resolveMatches(
    evaluated.filter((e) => e.matched).map((e) => e.rule),
  );

  const grants: Grant[] = [];
  const problems: MappingProblem[] = [];
  const explained = evaluated.map(({ rule: r, conditions, matched }): RuleExplanation => {
    const base = {
      ruleId: r.rule.id,
      scope: r.scope,
      priority: r.rule.priority,
      ...(r.rule.description !== undefined ? { description: r.rule.description } : {}),
      matched,
      conditions,
    };
    if (r.effect === 'deny') {
      return {
        ...base,
        effect: 'deny',
        ...(r.rule.roleArns ? { roleArns: r.rule.roleArns } : {}),
        outcome: !matched ? 'not-matched' : r.roleKeys ? 'denies-roles' : 'denies-all',
      };
    }
    const head = { ...base, effect: 'allow' as const, roleArn: r.grant.roleArn };
    if (!matched) return { ...head, outcome: 'not-matched', problems: [] };
    const rendered = r.grant.render(identity);
    const tagSources = tagSourcesOf(r.rule.grant, identity);
    const fit = {
      ...(rendered.fitNotes.length > 0 ? { tagFit: rendered.fitNotes } : {}),
      ...(tagSources ? { tagSources } : {}),
    };
    const minted = rendered.ok
      ? { grant: rendered.grant, problems: [], ...fit }
      : { problems: rendered.problems, ...fit };
    const denier = denyAll ?? deniedRoles.get(r.grant.roleKey);
    if (denier !== undefined) {
      return { ...head, ...minted, outcome: 'denied', deniedBy: denier.ref };
    }
    const owner = owners.get(r.grant.roleKey);
    if (owner !== r && owner !== undefined) {
      return { ...head, ...minted, outcome: 'shadowed', shadowedBy: owner.rule.id };
    }
    if (rendered.ok) grants.push(rendered.grant);
    else {
      for (const reason of rendered.problems) {
        problems.push({ ruleId: r.rule.id, roleArn: r.grant.roleArn, reason });
      }
    }
    return { ...head, ...minted, outcome: rendered.ok ? 'granted' : 'failed' };
  });

  return { grants, denied: denyAll !== undefined, deniedBy, problems, rules: explained };
};

/**
 * Explains, rule by rule in evaluation order, which grants an identity gets and why: each
 * condition with whether it holds and a reason, each matched allow rule's grant or the reasons it
 * cannot be minted, and which deny or earlier rule overrode it.
 * @example
 * const { rules, grants } = explain({ identity, rules: idp.rules, defaults: config.defaults });
 * // rules[0]: { ruleId: 'admins', matched: false, conditions: [{ holds: false,
 * //   reason: 'claim groups has no value equal to "aws-admins"' }], outcome: 'not-matched' }
 */
export const explain = (input: MappingInput): Explanation =>
  explainRuleSet(compileRuleSet(input), input.identity);
