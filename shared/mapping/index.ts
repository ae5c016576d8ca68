/**
 * The mapping domain: pure functions from a verified Identity and one IdP's rules (plus the
 * gateway-wide deny rules) to the Grants it may assume. No AWS SDK, no I/O (the RE2 engine is
 * imported on demand). The semantics are documented in ./README.md.
 */
export {
  type ConditionExplanation,
  type Effect,
  MAX_MATCHED_VALUE_LENGTH,
} from './conditions.js';
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
export { checkConfigPatterns, hasConfigPatterns, type PatternIssue } from './pattern-check.js';
export {
  type CompiledPattern,
  loadRegexEngine,
  MAX_PROGRAM_SIZE,
  type RegexEngine,
} from './regex.js';
export { needsRegexEngine, type RuleScope } from './rule-set.js';
export * from './session-name.js';
export { hashSubject, subjectRefOf } from './subject-ref.js';
export * from './types.js';
