import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { ConfigError } from '../../../shared/config/index.js';
import { checkGatewayConfigFile } from '../../config-file.js';
import {
  COMMON_OPTIONS,
  type Command,
  TARGET_HELP,
  VAR_HELP,
  YES_HELP,
  YES_OPTION,
} from '../command.js';
import { readConfig, writeTableConfig } from '../config-source.js';
import { BACKUP_DIR, createTableGuard } from '../consent.js';
import { describeSave } from '../edits.js';
import { CliFailure, UsageError } from '../errors.js';
import { TARGET_OPTIONS } from '../target.js';
import { checkIdpTrust, variableNotes } from './validate.js';

const TABLE_OPTIONS = {
  table: TARGET_OPTIONS.table,
  endpoint: TARGET_OPTIONS.endpoint,
  region: TARGET_OPTIONS.region,
} as const;
const TABLE_HELP = TARGET_HELP.replace(/\n\s+--config FILE[^\n]*/, '');

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the attribute table as a gateway config file',
  help: `Usage: fedgate-admin export [--out FILE] [--format yaml|json] (--table NAME | --endpoint URL) [--json]

Reads every IdP (settings and rules), account profile and the defaults from the attribute table,
validates them as one gateway config, and writes it to FILE (or stdout). The format follows the
file's extension (.json: JSON, else YAML) unless --format says. SAML metadata referenced with
metadataFile when the config was applied comes back inline as metadataXml.

Options:
  --out FILE           where to write (default: stdout)
  --format yaml|json   default: from --out's extension, YAML on stdout (JSON with --json)
${TABLE_HELP}

Example:
  fedgate-admin export --endpoint http://127.0.0.1:8000 --out backup.yaml`,
  options: {
    ...COMMON_OPTIONS,
    ...TABLE_OPTIONS,
    out: { type: 'string' },
    format: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const format = ctx.values.format as string | undefined;
    if (format !== undefined && format !== 'yaml' && format !== 'json') {
      throw new UsageError('--format: yaml or json', ctx.command);
    }
    const out = ctx.values.out as string | undefined;
    const target = await ctx.openTarget({ allowFile: false });
    if (target.kind !== 'table') throw new UsageError('export reads a table', ctx.command);
    const config = await readConfig(target, {});
    const asJson =
      format === 'json' ||
      (format === undefined &&
        (out ? extname(out).toLowerCase() === '.json' : Boolean(ctx.values.json)));
    const header = `# fedgate gateway config exported from ${target.describe} at ${new Date().toISOString()}\n`;
    const text = asJson
      ? `${JSON.stringify(config, null, 2)}\n`
      : `${header}${stringifyYaml(config, { lineWidth: 0 })}`;
    const rules = config.idps.reduce((n, idp) => n + idp.rules.length, 0);
    const counts = `${config.idps.length} IdPs, ${rules} rules, ${config.accounts.length} accounts`;
    if (out === undefined) {
      // On stdout the config itself is the output (JSON with --json).
      return { json: config, text: text.trimEnd() };
    }
    try {
      await writeFile(ctx.resolvePath(out), text, 'utf8');
    } catch (err) {
      throw new CliFailure(
        'write_failed',
        `cannot write ${out}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    return {
      json: {
        out,
        format: asJson ? 'json' : 'yaml',
        idps: config.idps.length,
        rules,
        accounts: config.accounts.length,
      },
      text: `exported ${counts} from the ${target.describe} to ${out}`,
    };
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'apply a gateway config file to the attribute table (idempotent diff)',
  help: `Usage: fedgate-admin import <config file> [--dry-run] [--yes] [--var NAME=VALUE] (--table NAME | --endpoint URL) [--json]

Validates the config file (as validate does) and brings the attribute table to it, exactly as
\`cdk deploy\` does: puts the items that are new or changed, DELETES the IdPs, rules and account
profiles the file does not have, and leaves everything else (and the state table) alone. Running
it twice writes nothing the second time.

It prints the plan (every item it puts or deletes) before writing. A plan that deletes anything
needs your consent: --yes, or "yes" typed at the prompt when run at a terminal; otherwise (a
script, --json) nothing is written and the command exits 1 (confirmation_required). Before it
replaces or deletes stored items it writes a backup of the table's whole config to
${BACKUP_DIR}/<table>-<time>.json and names it; import that file to go back.

Options:
  --dry-run            print the plan, write nothing
${YES_HELP}
${VAR_HELP}
${TABLE_HELP}

Examples:
  fedgate-admin import gateway.yaml --table fedgate-attributes --dry-run
  fedgate-admin import gateway.yaml --table fedgate-attributes --yes`,
  options: {
    ...COMMON_OPTIONS,
    ...TABLE_OPTIONS,
    ...YES_OPTION,
    'dry-run': { type: 'boolean' },
    var: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: 1, names: '<config file>' },
  async run(ctx) {
    const file = ctx.positionals[0] as string;
    const target = await ctx.openTarget({ allowFile: false });
    if (target.kind !== 'table') throw new UsageError('import writes a table', ctx.command);
    const { config, issues, placeholders } = await checkGatewayConfigFile(
      ctx.resolvePath(file),
      ctx.vars,
      { idpCheck: checkIdpTrust },
    );
    if (!config) throw new ConfigError(`the gateway config file ${file}`, issues);
    const { notes } = variableNotes(placeholders, ctx);
    const guard = createTableGuard(ctx);
    const result = await writeTableConfig(target, config, {
      dryRun: Boolean(ctx.values['dry-run']),
      guard,
    });
    const saved = { kind: 'table' as const, table: target.tableName, ...result };
    const nothing = result.puts.length === 0 && result.deletes.length === 0;
    return {
      json: { file, ...saved, notes },
      text: [
        ...notes.map((n) => `note: ${n}`),
        describeSave(saved, { itemsShown: guard.shown }),
        ...(nothing ? [`the ${target.describe} already matches ${file}`] : []),
      ].join('\n'),
    };
  },
};
