import { parse as parseYaml } from 'yaml';
import { ConfigError, formatPath, RuleSchema } from '../../../shared/config/index.js';
import {
  COMMON_OPTIONS,
  type Command,
  type CommandContext,
  TARGET_HELP,
  VAR_HELP,
  YES_HELP,
  YES_OPTION,
} from '../command.js';
import { type ConfigSource, openSource, saveSource } from '../config-source.js';
import { createTableGuard } from '../consent.js';
import { describeSave, findIdp, idpEntries } from '../edits.js';
import { CliFailure, UsageError } from '../errors.js';
import { readTextRef } from '../fetch-text.js';
import { TARGET_OPTIONS } from '../target.js';

type RawRule = Record<string, unknown>;

const rulesOf = (source: ConfigSource, index: number): RawRule[] => {
  const rules = idpEntries(source)[index]?.rules;
  return Array.isArray(rules) ? (rules as RawRule[]) : [];
};

const openIdp = async (ctx: CommandContext) => {
  const idpId = ctx.required('idp');
  const target = await ctx.openTarget();
  const source = await openSource(target);
  const index = findIdp(source, idpId);
  if (index < 0) {
    const known = idpEntries(source).map((i) => String(i.id));
    throw new CliFailure(
      'unknown_idp',
      `no IdP "${idpId}" in the ${target.describe}${known.length ? ` (it has: ${known.join(', ')})` : ''}`,
    );
  }
  return { idpId, target, source, index };
};

const byEvaluationOrder = (a: RawRule, b: RawRule) => {
  const pa = Number(a.priority);
  const pb = Number(b.priority);
  if (pa !== pb) return pa - pb;
  return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
};

const describeCondition = (c: unknown): string => {
  const {
    claim,
    op,
    value,
    quantifier,
    case: caseMode,
    ifMissing,
    ignoreCase,
  } = (c ?? {}) as Record<string, unknown>;
  const modes = [
    quantifier !== undefined ? String(quantifier) : undefined,
    caseMode === 'fold' || ignoreCase ? 'ignore case' : undefined,
    ifMissing === 'noMatch' ? 'not when missing' : undefined,
  ].filter((m) => m !== undefined);
  return `${String(claim)} ${String(op)}${value !== undefined ? ` ${JSON.stringify(value)}` : ''}${modes.length > 0 ? ` (${modes.join(', ')})` : ''}`;
};

/** One line per rule: priority, id, effect, role(s), conditions. */
export const formatRule = (rule: RawRule): string => {
  const grant = (rule.grant ?? {}) as Record<string, unknown>;
  const target =
    rule.effect === 'allow'
      ? String(grant.roleArn)
      : Array.isArray(rule.roleArns)
        ? (rule.roleArns as string[]).join(', ')
        : 'every role';
  const when = Array.isArray(rule.when) ? rule.when : [];
  return `${String(rule.priority).padStart(6)}  ${String(rule.id).padEnd(24)} ${String(rule.effect).padEnd(5)} ${target}\n${' '.repeat(8)}when ${when.length === 0 ? '(always)' : when.map(describeCondition).join(' AND ')}`;
};

export const rulesListCommand: Command = {
  name: 'rules list',
  summary: "list an IdP's rules in evaluation order",
  help: `Usage: fedgate-admin rules list --idp ID (--config FILE | --table NAME | --endpoint URL) [--json]

Lists the IdP's rules in evaluation order (priority, then id): effect, role(s), conditions.

${TARGET_HELP}

Example:
  fedgate-admin rules list --idp demo-okta --config infra/local/demo-config.yaml`,
  options: { ...COMMON_OPTIONS, ...TARGET_OPTIONS, idp: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const { idpId, source, index, target } = await openIdp(ctx);
    const rules = [...rulesOf(source, index)].sort(byEvaluationOrder);
    return {
      json: { idp: idpId, rules },
      text:
        rules.length === 0
          ? `IdP "${idpId}" has no rules in the ${target.describe}: nobody gets a role.`
          : [
              `IdP "${idpId}": ${rules.length} rules in the ${target.describe}`,
              ...rules.map(formatRule),
            ].join('\n'),
    };
  },
};

/** Reads the rule of `rules add` and validates it alone, naming paths. */
const readRule = async (ctx: CommandContext): Promise<RawRule> => {
  const inline = ctx.values.rule as string | undefined;
  const file = ctx.values.file as string | undefined;
  if ((inline === undefined) === (file === undefined)) {
    throw new UsageError('give exactly one of --rule JSON and --file FILE', ctx.command);
  }
  const text = inline ?? (await readTextRef(ctx.io, file as string, ctx.resolvePath, 'rule file'));
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError('the rule', [
      { path: '', message: (err as Error).message.split('\n')[0] ?? 'unparsable' },
    ]);
  }
  const result = RuleSchema.safeParse(doc);
  if (!result.success) {
    throw new ConfigError(
      'the rule',
      result.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: 'unknown key' }))
          : [{ path: formatPath(i.path), message: i.message }],
      ),
    );
  }
  // The rule as written (not the schema's output): config files stay as terse as their authors made them.
  return doc as RawRule;
};

export const rulesAddCommand: Command = {
  name: 'rules add',
  summary: 'add (or with --replace, replace) a rule of an IdP',
  help: `Usage: fedgate-admin rules add --idp ID (--rule JSON | --file FILE) [--replace] [--dry-run] [--yes] (target) [--json]

Adds one rule (JSON or YAML, in the config file's rule format) to the IdP. The rule is validated
alone, then the whole config again before anything is written. A rule id that exists is refused
unless --replace. In a file only the new (or replaced) rule's lines change: comments and layout
elsewhere stay as they are. In a table, a --replace that changes the rule's priority deletes the
old item (its key holds the priority): that needs --yes, or "yes" at the prompt.

Options:
  --idp ID             the IdP
  --rule JSON          the rule, inline
  --file FILE          the rule, from a file (JSON or YAML)
  --replace            replace the rule with the same id
  --dry-run            validate (and for a table, plan) without writing
${YES_HELP}
${TARGET_HELP}
${VAR_HELP}

Example:
  fedgate-admin rules add --idp okta --config gateway.yaml --rule '{"id":"admins","priority":10,
    "effect":"allow","when":[{"claim":"groups","op":"contains","value":"aws-admins"}],
    "grant":{"roleArn":"arn:aws:iam::111111111111:role/Admin","sessionTags":{"team":"{claims.team}"}}}'`,
  options: {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    idp: { type: 'string' },
    rule: { type: 'string' },
    file: { type: 'string' },
    replace: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    ...YES_OPTION,
    var: { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const rule = await readRule(ctx);
    const { idpId, source, index, target } = await openIdp(ctx);
    const existing = rulesOf(source, index).findIndex((r) => r.id === rule.id);
    if (existing >= 0 && !ctx.values.replace) {
      throw new CliFailure(
        'rule_exists',
        `IdP "${idpId}" already has a rule "${String(rule.id)}" (--replace replaces it)`,
      );
    }
    if (existing >= 0) {
      source.edit({ op: 'set', path: ['idps', index, 'rules', existing], value: rule });
    } else source.edit({ op: 'append', path: ['idps', index, 'rules'], value: rule });
    const guard = createTableGuard(ctx);
    const saved = await saveSource(source, {
      dryRun: Boolean(ctx.values['dry-run']),
      vars: ctx.vars,
      guard,
    });
    const action = existing >= 0 ? 'replaced' : 'added';
    return {
      json: { idp: idpId, rule: rule.id, action, saved },
      text: [
        `rule "${String(rule.id)}" ${action} in IdP "${idpId}" (${target.describe})`,
        formatRule(rule),
        describeSave(saved, { itemsShown: guard.shown }),
      ].join('\n'),
    };
  },
};

export const rulesRemoveCommand: Command = {
  name: 'rules remove',
  summary: 'remove a rule of an IdP',
  help: `Usage: fedgate-admin rules remove --idp ID --rule-id RULE [--dry-run] [--yes] (target) [--json]

Removes the IdP's rule with that id; the rest of the config is validated again before writing.
In a file only the rule's lines go (with the comment lines directly above it). In a table the
delete needs --yes, or "yes" at the prompt, and a backup of the table is written first.

Options:
  --idp ID             the IdP
  --rule-id RULE       the rule's id
  --dry-run            validate (and for a table, plan) without writing
${YES_HELP}
${TARGET_HELP}
${VAR_HELP}

Example:
  fedgate-admin rules remove --idp okta --rule-id admins --endpoint http://127.0.0.1:8000`,
  options: {
    ...COMMON_OPTIONS,
    ...TARGET_OPTIONS,
    idp: { type: 'string' },
    'rule-id': { type: 'string' },
    'dry-run': { type: 'boolean' },
    ...YES_OPTION,
    var: { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const ruleId = ctx.required('rule-id');
    const { idpId, source, index, target } = await openIdp(ctx);
    const at = rulesOf(source, index).findIndex((r) => r.id === ruleId);
    if (at < 0) {
      throw new CliFailure(
        'unknown_rule',
        `IdP "${idpId}" has no rule "${ruleId}" in the ${target.describe}`,
      );
    }
    source.edit({ op: 'remove', path: ['idps', index, 'rules', at] });
    const guard = createTableGuard(ctx);
    const saved = await saveSource(source, {
      dryRun: Boolean(ctx.values['dry-run']),
      vars: ctx.vars,
      guard,
    });
    return {
      json: { idp: idpId, rule: ruleId, action: 'removed', saved },
      text: [
        `rule "${ruleId}" removed from IdP "${idpId}" (${target.describe})`,
        describeSave(saved, { itemsShown: guard.shown }),
      ].join('\n'),
    };
  },
};
