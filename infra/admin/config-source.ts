import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  BatchGetItemCommand,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { Document, parseDocument } from 'yaml';
import { ConfigError, type GatewayConfig, parseGatewayConfig } from '../../shared/config/index.js';
import {
  checkConfigPatterns,
  hasConfigPatterns,
  loadRegexEngine,
} from '../../shared/mapping/index.js';
import {
  ATTRIBUTE_ITEM_PROJECTION,
  marshalAttributeItem,
  marshalAttributeKey,
  unmarshalAttributeItem,
} from '../../shared/store/attribute-item.js';
import { writeAll } from '../../shared/store/batch.js';
import {
  ATTRIBUTE_KEY_PREFIXES,
  type AttributeItemDiff,
  createDynamoAttributeStore,
  type DynamoPort,
  describeKey,
  diffItems,
  toItems,
} from '../../shared/store/index.js';
import { scanAll } from '../../shared/store/paginate.js';
import { loadGatewayConfigFile, readConfigText } from '../config-file.js';
import { CliFailure } from './errors.js';
import type { FileTarget, TableTarget, Target } from './target.js';
import { editYamlText, type YamlEdit } from './yaml-edit.js';

/** Variables for `${NAME}` in config files (`--var NAME=VALUE`). */
export type ConfigVars = Readonly<Record<string, string>>;

/**
 * A client whose reads are all strongly consistent. The attribute store reads eventually
 * consistently (right for a sign-in), but an edit reads the whole config, changes it and writes
 * it back through applyConfig, which deletes what the desired config lacks: a stale read just
 * after another edit would silently delete that edit's items.
 */
export const withConsistentReads = (client: DynamoPort): DynamoPort => ({
  send: ((command: unknown, ...rest: unknown[]) => {
    if (
      command instanceof QueryCommand ||
      command instanceof ScanCommand ||
      command instanceof GetItemCommand
    ) {
      command.input.ConsistentRead = true;
    } else if (command instanceof BatchGetItemCommand) {
      for (const table of Object.values(command.input.RequestItems ?? {})) {
        table.ConsistentRead = true;
      }
    }
    return (client.send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as DynamoPort['send'],
});

/**
 * The whole gateway config held in a table, as a plain document (not yet validated as a whole):
 * every IdP (settings and rules), the gateway-wide deny rules and settings, the account profiles,
 * the SPA clients and the defaults, each item re-validated by the attribute store on the way out. An empty table gives a document with no IdPs.
 * @throws server_error / temporarily_unavailable (GatewayError) from the store.
 */
export const readTableDocument = async (target: TableTarget): Promise<Record<string, unknown>> => {
  const client = withConsistentReads(target.client);
  const store = createDynamoAttributeStore({ client, tableName: target.tableName });
  const summaries = await store.listIdps();
  const idps = [];
  for (const { id } of summaries) idps.push(await store.getIdp(id));
  const accountItems = await scanAll(client, {
    TableName: target.tableName,
    ConsistentRead: true,
    FilterExpression: 'begins_with(pk, :account)',
    ExpressionAttributeValues: { ':account': { S: ATTRIBUTE_KEY_PREFIXES.account } },
    ProjectionExpression: 'pk',
  });
  const accountIds = accountItems
    .map((item) => item.pk?.S?.slice(ATTRIBUTE_KEY_PREFIXES.account.length) ?? '')
    .sort();
  // The SPA clients (GATEWAY / SPA#<id>), validated with the whole document by the caller.
  const spaItems = await scanAll(client, {
    TableName: target.tableName,
    ConsistentRead: true,
    FilterExpression: 'pk = :gateway AND begins_with(sk, :spa)',
    ExpressionAttributeValues: {
      ':gateway': { S: ATTRIBUTE_KEY_PREFIXES.gateway },
      ':spa': { S: 'SPA#' },
    },
    ProjectionExpression: 'sk, doc',
  });
  const spaClients = spaItems
    .sort((a, b) => ((a.sk?.S ?? '') < (b.sk?.S ?? '') ? -1 : 1))
    .map((item) => {
      try {
        return JSON.parse(item.doc?.S ?? 'null') as unknown;
      } catch {
        return null;
      }
    });
  const gatewayRules = await store.getGatewayRules();
  const { portal, support } = await store.getSettings();
  return {
    version: 1,
    defaults: await store.getDefaults(),
    // The gateway-wide settings item: without them an export (or a backup) would reset the
    // portal's regions and the support contact when imported.
    portal,
    ...(support !== undefined ? { support } : {}),
    ...(gatewayRules.length > 0 ? { gatewayRules } : {}),
    accounts: await store.getAccounts(accountIds),
    idps: idps.filter((idp) => idp !== undefined),
    ...(spaClients.length > 0 ? { spaClients } : {}),
  };
};

/**
 * Reads and validates the whole config of a target.
 * @throws ConfigError naming paths; a GatewayError when the table cannot be read.
 */
export const readConfig = async (target: Target, vars: ConfigVars): Promise<GatewayConfig> => {
  if (target.kind === 'file') return loadGatewayConfigFile(target.path, vars);
  const doc = await readTableDocument(target);
  if ((doc.idps as unknown[]).length === 0) {
    throw new ConfigError(`the ${target.describe}`, [
      { path: 'idps', message: 'the table holds no IdPs (import a config or an IdP first)' },
    ]);
  }
  return parseGatewayConfig(doc);
};

/** What a table write puts and deletes, by item key (never by content). */
export interface TableChanges {
  /** `new`: no item has this key yet; `changed`: it replaces the stored item. */
  puts: { key: string; kind: string; change: 'new' | 'changed' }[];
  deletes: { key: string }[];
}

/** What bringing a table to a config takes. */
export interface TablePlan {
  diff: AttributeItemDiff;
  changes: TableChanges;
  /** The write replaces or deletes a stored item: a backup is taken first. */
  touchesExisting: boolean;
}

/**
 * What {@link applyConfig} would write and delete, without writing: the same diff, computed
 * from a strongly consistent scan.
 * @throws a GatewayError when the table cannot be read.
 */
export const planTableConfig = async (
  target: TableTarget,
  config: GatewayConfig,
): Promise<TablePlan> => {
  const current = (
    await scanAll(target.client, {
      TableName: target.tableName,
      ConsistentRead: true,
      ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
    })
  ).map(unmarshalAttributeItem);
  const diff = diffItems(current, toItems(config));
  const stored = new Set(current.map(describeKey));
  const puts = diff.puts.map((item) => ({
    key: describeKey(item),
    kind: item.kind,
    change: stored.has(describeKey(item)) ? ('changed' as const) : ('new' as const),
  }));
  return {
    diff,
    changes: { puts, deletes: diff.deletes.map((key) => ({ key: describeKey(key) })) },
    touchesExisting: diff.deletes.length > 0 || puts.some((p) => p.change === 'changed'),
  };
};

/** What a table write asks for before it changes anything (see infra/admin/consent.ts). */
export interface TableWriteGuard {
  /** Before anything is written: shows the plan. */
  showPlan(plan: TablePlan, target: TableTarget): void;
  /** Before a write that deletes items: resolves to go on, throws to stop (nothing written). */
  confirmDeletes(plan: TablePlan, target: TableTarget): Promise<void>;
  /** Before a write that replaces or deletes stored items: saves the table, returns where. */
  backup(target: TableTarget): Promise<string>;
}

/** The outcome of a table write. */
export interface TableWriteResult extends TableChanges {
  applied: boolean;
  /** The backup of the table taken before the write, when it replaced or deleted items. */
  backup?: string;
}

/**
 * Brings the table to the config: plans the diff, shows it, asks the guard's consent when it
 * deletes anything, takes a backup when it replaces or deletes stored items, then writes exactly
 * the plan (puts first, then deletes). With `dryRun` it only plans. An empty plan writes nothing.
 * @throws whatever the guard throws (nothing written); a GatewayError from DynamoDB.
 */
export const writeTableConfig = async (
  target: TableTarget,
  config: GatewayConfig,
  { dryRun, guard }: { dryRun: boolean; guard: TableWriteGuard },
): Promise<TableWriteResult> => {
  const plan = await planTableConfig(target, config);
  const { diff, changes } = plan;
  if (dryRun) return { ...changes, applied: false };
  if (diff.puts.length === 0 && diff.deletes.length === 0) return { ...changes, applied: true };
  guard.showPlan(plan, target);
  if (diff.deletes.length > 0) await guard.confirmDeletes(plan, target);
  const backup = plan.touchesExisting ? await guard.backup(target) : undefined;
  // The plan the operator saw, not a fresh diff: an item created since is never deleted unseen.
  // Puts before deletes: a renamed rule exists twice for a moment rather than not at all.
  await writeAll(target.client, target.tableName, [
    ...diff.puts.map((item) => ({ PutRequest: { Item: marshalAttributeItem(item) } })),
    ...diff.deletes.map((key) => ({ DeleteRequest: { Key: marshalAttributeKey(key) } })),
  ]);
  return { ...changes, applied: true, ...(backup !== undefined ? { backup } : {}) };
};

/**
 * Writes the table's whole config (as `export` would, unvalidated as a whole) to a new file in
 * `dir`, named `<table>-<UTC time>.json`; never over an existing file.
 * @returns the file's path.
 * @throws CliFailure backup_failed (then nothing is written to the table).
 */
export const writeTableBackup = async (target: TableTarget, dir: string): Promise<string> => {
  const doc = await readTableDocument(target);
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CliFailure(
      'backup_failed',
      `cannot create ${dir} for the backup: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  for (let n = 0; ; n++) {
    const path = join(dir, `${target.tableName}-${stamp}${n > 0 ? `-${n}` : ''}.json`);
    try {
      await writeFile(path, text, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
      return path;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' || n >= 99) {
        throw new CliFailure(
          'backup_failed',
          `cannot write the backup ${path}: ${code ?? 'error'}`,
        );
      }
    }
  }
};

/** An editable config: a file (edited in place, see yaml-edit.ts) or a table's content. */
export interface ConfigSource {
  target: Target;
  /** The config as edited so far, as plain data (not validated). */
  plain(): Record<string, unknown>;
  /** Applies one edit; a `set` equal to the current value and a `remove` of nothing change nothing. */
  edit(edit: YamlEdit): void;
}

/** The outcome of {@link saveSource}. */
export type SaveResult =
  | {
      kind: 'file';
      path: string;
      /** The edits changed the config (else nothing is written, not even the file's mtime). */
      changed: boolean;
      written: boolean;
      /** The file could not be edited in place and was rendered whole (comments kept). */
      reformatted: boolean;
    }
  | ({ kind: 'table'; table: string } & TableWriteResult);

const isJsonFile = (path: string) => extname(path).toLowerCase() === '.json';

interface FileSource extends ConfigSource {
  target: FileTarget;
  original: string;
  /** The text to write and whether the config changed. */
  render(): { text: string; changed: boolean; reformatted: boolean };
}

const asMapping = (js: unknown, target: Target): Record<string, unknown> => {
  if (js === null || typeof js !== 'object' || Array.isArray(js)) {
    throw new ConfigError(`the ${target.describe}`, [
      { path: '', message: 'is not a mapping (want a gateway config object)' },
    ]);
  }
  return js as Record<string, unknown>;
};

/** Applies an edit to a yaml Document through its own API (the model the text must match). */
const editDocument = (doc: Document, edit: YamlEdit): void => {
  if (edit.op === 'remove') {
    doc.deleteIn(edit.path);
    return;
  }
  if (edit.op === 'set') {
    doc.setIn(edit.path, doc.createNode(edit.value));
    return;
  }
  const node = doc.createNode(edit.value);
  if (doc.hasIn(edit.path)) doc.addIn(edit.path, node);
  else doc.setIn(edit.path, doc.createNode([edit.value]));
};

const JSON_INDENT = /^\{\r?\n([ \t]+)"/;

const openFileSource = async (target: FileTarget): Promise<FileSource> => {
  const original = await readConfigText(target.path, `the ${target.describe}`);
  const doc: Document = parseDocument(original, { uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    throw new ConfigError(`the ${target.describe}`, [{ path: '', message: problem.message }]);
  }
  const empty = doc.contents === null;
  if (empty) doc.contents = doc.createNode({ version: 1, idps: [] });
  const before = asMapping(doc.toJS({ maxAliasCount: 100 }), target);
  let text = original;
  let inPlace = !empty && !isJsonFile(target.path);
  const plain = () => asMapping(doc.toJS({ maxAliasCount: 100 }), target);
  return {
    target,
    original,
    plain,
    edit(edit) {
      const was = plain();
      editDocument(doc, edit);
      if (isDeepStrictEqual(was, plain())) return;
      if (inPlace) {
        const next = editYamlText(text, edit);
        if (next === undefined) inPlace = false;
        else text = next;
      }
    },
    render() {
      const now = plain();
      const changed = !isDeepStrictEqual(before, now);
      if (!changed) return { text: original, changed, reformatted: false };
      if (isJsonFile(target.path)) {
        // JSON has no comments to keep: the file's own indentation, one key per line.
        const indent = JSON_INDENT.exec(original)?.[1] ?? '  ';
        return { text: `${JSON.stringify(now, null, indent)}\n`, changed, reformatted: false };
      }
      if (inPlace) return { text, changed, reformatted: false };
      return {
        text: doc.toString({ lineWidth: 0, flowCollectionPadding: true }),
        changed,
        reformatted: !empty,
      };
    },
  };
};

/**
 * Opens a target for editing. A YAML file is edited in place: only the lines of the edited
 * nodes change (yaml-edit.ts); a `.json` file is rewritten as JSON in its own indentation; a
 * table becomes a document of its whole config.
 * @throws ConfigError for an unreadable or unparsable file.
 */
export const openSource = async (target: Target): Promise<ConfigSource> => {
  if (target.kind === 'file') return openFileSource(target);
  const doc = new Document(await readTableDocument(target));
  return {
    target,
    plain: () => asMapping(doc.toJS({ maxAliasCount: 100 }), target),
    edit: (edit) => editDocument(doc, edit),
  };
};

/**
 * Validates the edited config as a whole and writes it, or with `dryRun` only validates (and
 * for a table, plans) it. A file is written to a temporary sibling, validated with the same
 * loader the runner and the CDK app use (so `metadataFile` and `${NAME}` work as there), then
 * renamed over the original: a failed edit leaves the file untouched, and edits that change
 * nothing write nothing. A table is written through {@link writeTableConfig} and its guard.
 * @throws ConfigError naming paths when the edited config is invalid, a `matches` pattern RE2
 * refuses included (nothing is written).
 */
export const saveSource = async (
  source: ConfigSource,
  { dryRun, vars, guard }: { dryRun: boolean; vars: ConfigVars; guard: TableWriteGuard },
): Promise<SaveResult> => {
  const { target } = source;
  if (target.kind === 'table') {
    const config = parseGatewayConfig(source.plain());
    // As the file loader does: a pattern RE2 will not run is refused here, not stored for the
    // mappers to fail closed on (a deny that holds for everyone, an allow that never does).
    if (hasConfigPatterns(config)) {
      const issues = checkConfigPatterns(config, await loadRegexEngine());
      if (issues.length > 0) throw new ConfigError('the edited config', issues);
    }
    const result = await writeTableConfig(target, config, { dryRun, guard });
    return { kind: 'table', table: target.tableName, ...result };
  }
  return saveFile(source as FileSource, dryRun, vars);
};

const saveFile = async (
  source: FileSource,
  dryRun: boolean,
  vars: ConfigVars,
): Promise<SaveResult> => {
  const { target } = source;
  const { text, changed, reformatted } = source.render();
  const result = { kind: 'file' as const, path: target.path, changed, reformatted };
  if (!changed) {
    // Nothing to write; the file must still be a valid config for the command to succeed.
    await loadGatewayConfigFile(target.path, vars);
    return { ...result, written: false };
  }
  const temp = join(
    dirname(target.path),
    `.${basename(target.path)}.${randomBytes(4).toString('hex')}.tmp`,
  );
  await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
  try {
    // The edited file keeps the original's permissions.
    await chmod(temp, (await stat(target.path)).mode & 0o777);
    await loadGatewayConfigFile(temp, vars);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (err instanceof ConfigError) {
      throw new ConfigError(`the edited ${target.describe} (not written)`, err.issues);
    }
    throw err;
  }
  if (dryRun) {
    await unlink(temp);
    return { ...result, written: false };
  }
  await rename(temp, target.path);
  return { ...result, written: true };
};
