/**
 * The mapping domain: pure functions from a verified Identity and one IdP's rules to the Grants
 * it may assume. No AWS SDK, no I/O. The semantics are documented in ./README.md.
 */
export * from './aws-rules.js';
export { type ConditionExplanation, MAX_MATCHED_VALUE_LENGTH } from './conditions.js';
export * from './engine.js';
export {
  type AllowOutcome,
  type AllowRuleExplanation,
  type DenyOutcome,
  type DenyRuleExplanation,
  type Explanation,
  explain,
  type RuleExplanation,
} from './explain.js';
export { buildGrantId } from './grant.js';
export * from './mapper-cache.js';
export * from './session-name.js';
export * from './types.js';
