import {
  type AccountProfile,
  type GatewayDefaults,
  type Rule,
  RuleSchema,
} from '../../../shared/config/index.js';
import {
  explain,
  type Identity,
  type MappingResult,
  mapGrants,
} from '../../../shared/mapping/index.js';

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

type When = { claim: string; op: string; value: string; ignoreCase?: boolean }[];

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
  opts: { defaults?: GatewayDefaults } = {},
): MappingResult =>
  mapGrants({ identity: who, rules, defaults: opts.defaults ?? defaults, accounts });

export const explainRun = (rules: readonly Rule[], who: Identity) =>
  explain({ identity: who, rules, defaults, accounts });

/** A single grant's outcome: the grant, or the problems' reasons. */
export const only = (result: MappingResult) => ({
  grant: result.grants[0],
  reasons: result.problems.map((p) => p.reason),
});
