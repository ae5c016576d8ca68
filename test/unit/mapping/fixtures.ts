import {
  type AccountProfile,
  type DenyRule,
  type GatewayDefaults,
  type Rule,
  RuleSchema,
} from '../../../shared/config/index.js';
import {
  explain,
  type Identity,
  loadRegexEngine,
  type MappingResult,
  mapGrants,
} from '../../../shared/mapping/index.js';

/** The RE2 engine, loaded once for every mapping test (the flows load it per rule set). */
export const regex = await loadRegexEngine();

/** Shared builders for the mapping tests: every rule goes through the real schema. */
export const defaults: GatewayDefaults = { sessionDurationSeconds: 3600, sessionName: '{subject}' };
export const accounts: AccountProfile[] = [{ id: '111122223333', alias: 'prod' }];

export const role = (name: string, account = '111122223333') =>
  `arn:aws:iam::${account}:role/${name}`;

export const identity = (
  claims: Record<string, readonly string[]>,
  over: Partial<Identity> = {},
): Identity => ({
  idp: 'okta',
  issuer: 'http://www.okta.com/exk1',
  subject: '00u1abcd',
  claims,
  ...over,
});

/** A condition as a config file writes it (any version: the schema decides). */
export type Cond = {
  claim: string;
  op: string;
  value?: string;
  quantifier?: string;
  case?: string;
  ifMissing?: string;
  ignoreCase?: boolean;
};
type When = Cond[];

export const allow = (
  id: string,
  priority: number,
  when: When,
  grant: Record<string, unknown> = {},
): Rule =>
  RuleSchema.parse({
    id,
    priority,
    effect: 'allow',
    when,
    grant: { roleArn: role(id.replace(/[^\w+=,.@-]/g, '-')), ...grant },
  });

export const deny = (id: string, priority: number, when: When, roleArns?: string[]): Rule =>
  RuleSchema.parse({ id, priority, effect: 'deny', when, ...(roleArns ? { roleArns } : {}) });

/** Maps with the shared defaults and accounts. */
export const run = (
  rules: readonly Rule[],
  who: Identity,
  opts: { defaults?: GatewayDefaults; gatewayRules?: readonly DenyRule[] } = {},
): MappingResult =>
  mapGrants({
    identity: who,
    rules,
    gatewayRules: opts.gatewayRules ?? [],
    defaults: opts.defaults ?? defaults,
    accounts,
    regex,
  });

export const explainRun = (
  rules: readonly Rule[],
  who: Identity,
  opts: { gatewayRules?: readonly DenyRule[] } = {},
) =>
  explain({
    identity: who,
    rules,
    gatewayRules: opts.gatewayRules ?? [],
    defaults,
    accounts,
    regex,
  });

/** A single grant's outcome: the grant, or the problems' reasons. */
export const only = (result: MappingResult) => ({
  grant: result.grants[0],
  reasons: result.problems.map((p) => p.reason),
});
