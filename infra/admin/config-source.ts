import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import {
  BatchGetItemCommand,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { Document, parseDocument } from 'yaml';
import { ConfigError, type GatewayConfig, parseGatewayConfig } from '../../shared/config/index.js';
import {
  ATTRIBUTE_ITEM_PROJECTION,
  unmarshalAttributeItem,
} from '../../shared/store/attribute-item.js';
import {
  ATTRIBUTE_KEY_PREFIXES,
  type AttributeItemDiff,
  applyConfig,
  createDynamoAttributeStore,
  type DynamoPort,
  describeKey,
  diffItems,
  toItems,
} from '../../shared/store/index.js';
import { scanAll } from '../../shared/store/paginate.js';
import { loadGatewayConfigFile } from '../config-file.js';
import type { FileTarget, TableTarget, Target } from './target.js';

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
 * every IdP (settings and rules), the gateway-wide deny rules, the account profiles and the defaults, each item re-validated by
 * the attribute store on the way out. An empty table gives a document with no IdPs.
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
  return {
    version: 1,
    defaults: await store.getDefaults(),
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

/** What the table diff says, by item key (never by content). */
export interface TableChanges {
  puts: { key: string; kind: string }[];
  deletes: { key: string }[];
}

/** The diff as printable keys. */
export const describeDiff = (diff: AttributeItemDiff): TableChanges => ({
  puts: diff.puts.map((item) => ({ key: describeKey(item), kind: item.kind })),
  deletes: diff.deletes.map((key) => ({ key: describeKey(key) })),
});

/**
 * What {@link applyConfig} would write and delete, without writing.
 * @throws a GatewayError when the table cannot be read.
 */
export const planTableConfig = async (
  target: TableTarget,
  config: GatewayConfig,
): Promise<AttributeItemDiff> => {
  const current = await scanAll(target.client, {
    TableName: target.tableName,
    ConsistentRead: true,
    ProjectionExpression: ATTRIBUTE_ITEM_PROJECTION,
  });
  return diffItems(current.map(unmarshalAttributeItem), toItems(config));
};

/** Brings the table to the config (or only plans it when `dryRun`). */
export const writeTableConfig = async (
  target: TableTarget,
  config: GatewayConfig,
  dryRun: boolean,
): Promise<TableChanges> =>
  describeDiff(
    dryRun
      ? await planTableConfig(target, config)
      : await applyConfig(target.client, target.tableName, config),
  );

/** An editable config: a YAML document (comments kept) over a file, or over a table's content. */
export interface ConfigSource {
  target: Target;
  /** The document to edit with `getIn` / `setIn` / `addIn` / `deleteIn`. */
  doc: Document;
  /** Its plain form (re-read after each edit). */
  plain(): Record<string, unknown>;
}

/** The outcome of {@link saveSource}. */
export type SaveResult =
  | { kind: 'file'; path: string; written: boolean }
  | ({ kind: 'table'; table: string; applied: boolean } & TableChanges);

const isJsonFile = (path: string) => extname(path).toLowerCase() === '.json';

/**
 * Opens a target for editing. A file keeps its comments and layout (YAML) or is rewritten as
 * JSON (`.json`); a table becomes a document of its whole config.
 * @throws ConfigError for an unreadable or unparsable file.
 */
export const openSource = async (target: Target): Promise<ConfigSource> => {
  let doc: Document;
  if (target.kind === 'file') {
    let text: string;
    try {
      text = await readFile(target.path, 'utf8');
    } catch (err) {
      throw new ConfigError(`the ${target.describe}`, [
        { path: '', message: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? 'error'}` },
      ]);
    }
    doc = parseDocument(text, { uniqueKeys: true });
    const problem = doc.errors[0];
    if (problem) {
      throw new ConfigError(`the ${target.describe}`, [
        { path: '', message: problem.message.split('\n')[0] ?? 'unparsable' },
      ]);
    }
    if (doc.contents === null) doc.contents = doc.createNode({ version: 1, idps: [] });
  } else {
    doc = new Document(await readTableDocument(target));
  }
  return {
    target,
    doc,
    plain: () => {
      const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (js === null || typeof js !== 'object' || Array.isArray(js)) {
        throw new ConfigError(`the ${target.describe}`, [
          { path: '', message: 'is not a mapping (want a gateway config object)' },
        ]);
      }
      return js as Record<string, unknown>;
    },
  };
};

/**
 * Validates the edited config as a whole and writes it, or with `dryRun` only validates (and
 * for a table, plans) it. A file is written to a temporary sibling, validated with the same loader
 * the runner and the CDK app use (so `metadataFile` and `${NAME}` work as there), then renamed
 * over the original: a failed edit leaves the file untouched.
 * @throws ConfigError naming paths when the edited config is invalid (nothing is written).
 */
export const saveSource = async (
  source: ConfigSource,
  { dryRun, vars }: { dryRun: boolean; vars: ConfigVars },
): Promise<SaveResult> => {
  const { target } = source;
  if (target.kind === 'table') {
    const config = parseGatewayConfig(source.plain());
    const changes = await writeTableConfig(target, config, dryRun);
    return { kind: 'table', table: target.tableName, applied: !dryRun, ...changes };
  }
  return saveFile(source, target, dryRun, vars);
};

const saveFile = async (
  source: ConfigSource,
  target: FileTarget,
  dryRun: boolean,
  vars: ConfigVars,
): Promise<SaveResult> => {
  const text = isJsonFile(target.path)
    ? `${JSON.stringify(source.plain(), null, 2)}\n`
    : source.doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  const temp = join(
    dirname(target.path),
    `.${basename(target.path)}.${randomBytes(4).toString('hex')}.tmp`,
  );
  await writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
  try {
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
    return { kind: 'file', path: target.path, written: false };
  }
  await rename(temp, target.path);
  return { kind: 'file', path: target.path, written: true };
};
