import type { GatewayConfig, Rule } from '../config/index.js';
import type { RegexEngine } from './regex.js';
import { needsRegexEngine } from './rule-set.js';

/** One pattern RE2 will not run, by its path in the config file. */
export interface PatternIssue {
  path: string;
  message: string;
}

const rulePatternIssues = (
  rules: readonly Rule[],
  at: string,
  regex: RegexEngine,
): PatternIssue[] =>
  rules.flatMap((rule, i) =>
    rule.when.flatMap((c, j) => {
      if (c.op !== 'matches') return [];
      const compiled = regex.compile(c.value, rule.effect === 'deny' || c.case === 'fold');
      return typeof compiled === 'string'
        ? [{ path: `${at}[${i}].when[${j}].value`, message: compiled }]
        : [];
    }),
  );

/**
 * Compiles every `matches` pattern of a validated config with RE2, as the mappers will: the
 * config schema checks pattern syntax without the engine (it runs at every cold start), so this
 * is where a pattern RE2 refuses (an unknown `\p{…}` class, too large a program) is refused
 * before it reaches a mapper, which would otherwise fail closed on it.
 * @example const issues = checkConfigPatterns(config, await loadRegexEngine());
 */
export const checkConfigPatterns = (
  config: Pick<GatewayConfig, 'gatewayRules' | 'idps'>,
  regex: RegexEngine,
): PatternIssue[] => [
  ...rulePatternIssues(config.gatewayRules, 'gatewayRules', regex),
  ...config.idps.flatMap((idp, i) => rulePatternIssues(idp.rules, `idps[${i}].rules`, regex)),
];

/** Whether a config has any `matches` pattern (so checking it needs the engine). */
export const hasConfigPatterns = (config: Pick<GatewayConfig, 'gatewayRules' | 'idps'>): boolean =>
  config.idps.some((idp) =>
    needsRegexEngine({ rules: idp.rules, gatewayRules: config.gatewayRules }),
  ) || needsRegexEngine({ rules: [], gatewayRules: config.gatewayRules });
