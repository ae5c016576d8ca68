import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdpConfig } from '../../../shared/config/index.js';
import {
  type DirectoryStore,
  RESERVED_DIRECTORY_NAMES,
  scimAttributesOf,
  transitiveGroups,
} from '../../../shared/directory/index.js';
import type { OperatorAttributes } from '../../../shared/directory/types.js';
import { createDynamoDirectoryStore } from '../../../shared/store/index.js';
import { COMMON_OPTIONS, type Command, type CommandContext } from '../command.js';
import { readConfig } from '../config-source.js';
import { BACKUP_DIR } from '../consent.js';
import { CliFailure, UsageError } from '../errors.js';
import { TARGET_OPTIONS } from '../target.js';

/** Operator attribute names: what `directory.<name>` rules read. */
const NAME = /^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,63}$/;
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const MAX_VALUES = 50;
const MAX_VALUE_LENGTH = 256;

const TABLE_HELP = `Where (the attribute table; directories are never in a config file):
  --table NAME         default: $ATTRIBUTE_TABLE_NAME; with a loopback --endpoint:
                       fedgate-attributes, the local runner's table
  --endpoint URL       a DynamoDB endpoint, e.g. the local runner's http://127.0.0.1:PORT
  --region REGION      default: the AWS SDK's`;

const TABLE_OPTIONS = {
  table: TARGET_OPTIONS.table,
  endpoint: TARGET_OPTIONS.endpoint,
  region: TARGET_OPTIONS.region,
} as const;

/** Checks an attribute name and its values; returns them deduplicated. */
const checkAttribute = (name: string, values: readonly string[], where: string): string[] => {
  if (!NAME.test(name) || name.startsWith('group.')) {
    throw new CliFailure(
      'invalid_attributes',
      `${where}: attribute name ${JSON.stringify(name.slice(0, 80))}: 1-64 of letters, digits, _ . : - (not group.…)`,
    );
  }
  if ((RESERVED_DIRECTORY_NAMES as readonly string[]).includes(name)) {
    throw new CliFailure(
      'invalid_attributes',
      `${where}: ${name} is the person's groups, set through SCIM`,
    );
  }
  const distinct = [...new Set(values)];
  if (distinct.length > MAX_VALUES) {
    throw new CliFailure(
      'invalid_attributes',
      `${where}: ${name} has more than ${MAX_VALUES} values`,
    );
  }
  for (const v of distinct) {
    if (v === '' || v.length > MAX_VALUE_LENGTH || CONTROL.test(v)) {
      throw new CliFailure(
        'invalid_attributes',
        `${where}: a value of ${name} is empty, longer than ${MAX_VALUE_LENGTH} characters or holds control characters`,
      );
    }
  }
  return distinct;
};

/** One entity whose operator attributes a command changes. */
export interface AttributeTarget {
  kind: 'user' | 'group';
  /** A user's subject; a group's id or displayName. */
  key: string;
}

/** The change to one entity's operator attributes, and what it is now. */
export interface AttributeChange {
  target: AttributeTarget;
  /** The group's id, resolved. */
  id: string;
  before: OperatorAttributes;
  after: OperatorAttributes;
  added: string[];
  changed: string[];
  removed: string[];
}

const diffAttributes = (
  target: AttributeTarget,
  id: string,
  before: OperatorAttributes,
  after: OperatorAttributes,
): AttributeChange => {
  const same = (a: readonly string[] = [], b: readonly string[] = []) =>
    a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
  return {
    target,
    id,
    before,
    after,
    added: Object.keys(after).filter((k) => !(k in before)),
    changed: Object.keys(after).filter((k) => k in before && !same(before[k], after[k])),
    removed: Object.keys(before).filter((k) => !(k in after)),
  };
};

const isEmpty = (c: AttributeChange) => c.added.length + c.changed.length + c.removed.length === 0;

/** The directory store of the table the options name, for an IdP with a directory. */
const openDirectory = async (
  ctx: CommandContext,
): Promise<{ store: DirectoryStore; idp: IdpConfig; describe: string }> => {
  const idpId = ctx.required('idp');
  const target = await ctx.openTarget({ allowFile: false });
  if (target.kind !== 'table') throw new UsageError('a table target is required', ctx.command);
  const config = await readConfig(target, ctx.vars);
  const idp = config.idps.find((i) => i.id === idpId);
  if (!idp) throw new CliFailure('unknown_idp', `no IdP "${idpId}" in the ${target.describe}`);
  if (!idp.directory) {
    throw new CliFailure(
      'no_directory',
      `IdP ${idpId} has no directory: add a directory block to its config (shared/directory/README.md)`,
    );
  }
  return {
    store: createDynamoDirectoryStore({ client: target.client, tableName: target.tableName }),
    idp,
    describe: target.describe,
  };
};

/** Reads one entity's operator attributes (a group by id, or by displayName when unique). */
const readCurrent = async (
  store: DirectoryStore,
  idp: string,
  target: AttributeTarget,
): Promise<{ id: string; attributes: OperatorAttributes }> => {
  if (target.kind === 'user') {
    const person = await store.readPerson(idp, target.key);
    return { id: target.key, attributes: person.attributes ?? {} };
  }
  let group = await store.getGroup(idp, target.key);
  if (!group) {
    const ids = await store.findGroupsByDisplayName(idp, target.key);
    if (ids.length > 1) {
      throw new CliFailure(
        'ambiguous_group',
        `${ids.length} groups are named ${target.key}: give its id`,
      );
    }
    group = ids[0] ? await store.getGroup(idp, ids[0]) : undefined;
  }
  if (!group)
    throw new CliFailure('unknown_group', `no group ${target.key} in IdP ${idp}'s directory`);
  return { id: group.id, attributes: { ...group.attributes } };
};

const describeChange = (c: AttributeChange): string[] => {
  const who = `${c.target.kind} ${c.target.key}${c.target.kind === 'group' && c.id !== c.target.key ? ` (${c.id})` : ''}`;
  if (isEmpty(c)) return [`= ${who}: unchanged`];
  return [
    `~ ${who}:`,
    ...c.added.map((k) => `    + ${k} = ${(c.after[k] ?? []).join(';')}`),
    ...c.changed.map(
      (k) => `    ~ ${k} = ${(c.before[k] ?? []).join(';')} -> ${(c.after[k] ?? []).join(';')}`,
    ),
    ...c.removed.map((k) => `    - ${k} (was ${(c.before[k] ?? []).join(';')})`),
  ];
};

/**
 * What the changes replace, as an import file (`attributes import --idp ID FILE --yes` puts it
 * back): each changed person or group with the attributes it had before.
 */
const backupDocument = (changes: readonly AttributeChange[]) => {
  const doc: {
    users: Record<string, OperatorAttributes>;
    groups: Record<string, OperatorAttributes>;
  } = { users: {}, groups: {} };
  for (const c of changes) doc[c.target.kind === 'user' ? 'users' : 'groups'][c.id] = c.before;
  return doc;
};

/** Writes the backup under `.local/backups/` (new file, owner-only) and returns its path. */
const writeBackup = async (
  ctx: CommandContext,
  idp: string,
  changes: readonly AttributeChange[],
): Promise<string> => {
  const dir = ctx.resolvePath(BACKUP_DIR);
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const text = `${JSON.stringify(backupDocument(changes), null, 2)}\n`;
  try {
    await mkdir(dir, { recursive: true });
    for (let n = 0; ; n++) {
      const path = join(dir, `directory-${idp}-${stamp}${n > 0 ? `-${n}` : ''}.json`);
      try {
        await writeFile(path, text, { encoding: 'utf8', flag: 'wx', mode: 0o600 });
        return path;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 99) throw err;
      }
    }
  } catch (err) {
    throw new CliFailure(
      'backup_failed',
      `cannot write the backup under ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}; nothing was written`,
    );
  }
};

/**
 * Applies changes with the admin CLI's consent rules (infra/admin/consent.ts): the plan is
 * printed before anything is written; `--dry-run` stops there; removing an attribute needs
 * `--yes` or a "yes" typed at a terminal (in a script, or with `--json`, it stops before writing);
 * a change that replaces or removes values first writes what it replaces to a backup file in the
 * import format, and names it.
 */
const apply = async (
  ctx: CommandContext,
  store: DirectoryStore,
  idp: string,
  changes: readonly AttributeChange[],
  describe: string,
) => {
  const real = changes.filter((c) => !isEmpty(c));
  const removals = real.reduce((n, c) => n + c.removed.length, 0);
  const lines = changes.flatMap(describeChange);
  const summary = `${real.length} of ${changes.length} change(s) in IdP ${idp}'s directory (${describe})`;
  if (ctx.values['dry-run'] === true) {
    return {
      json: { dryRun: true, changes: real },
      text: [...lines, `dry run: ${summary}, nothing written`].join('\n'),
    };
  }
  if (!ctx.json && real.length > 0) ctx.io.stdout(`The plan:\n${lines.join('\n')}\n`);
  if (removals > 0 && ctx.values.yes !== true) {
    if (ctx.io.ask === undefined || ctx.json) {
      throw new CliFailure(
        'confirmation_required',
        `this removes ${removals} attribute(s):\n${lines.join('\n')}\nnothing was written; run again with --yes to do it (a backup is written first)`,
      );
    }
    const answer = await ctx.io.ask(
      `Remove ${removals} attribute(s)? A backup is written first. Type "yes" to apply: `,
    );
    if (!/^\s*y(es)?\s*$/i.test(answer)) {
      throw new CliFailure('cancelled', 'cancelled: nothing was written');
    }
  }
  const replacing = real.filter((c) => c.changed.length + c.removed.length > 0);
  const backup = replacing.length > 0 ? await writeBackup(ctx, idp, replacing) : undefined;
  for (const c of real) {
    const next = Object.keys(c.after).length > 0 ? c.after : undefined;
    if (c.target.kind === 'user') await store.setUserAttributes(idp, c.id, next);
    else if (!(await store.setGroupAttributes(idp, c.id, next))) {
      throw new CliFailure('unknown_group', `group ${c.id} was deleted meanwhile`);
    }
  }
  const restore = backup
    ? [
        `backup of what was replaced: ${backup} (restore: attributes import --idp ${idp} ${backup} --yes)`,
      ]
    : [];
  return {
    json: { dryRun: false, changes: real, ...(backup ? { backup } : {}) },
    text: [...lines, ...restore, `applied: ${summary}`].join('\n'),
  };
};

const targetOf = (ctx: CommandContext): AttributeTarget => {
  const user = ctx.values.user as string | undefined;
  const group = ctx.values.group as string | undefined;
  if ((user === undefined) === (group === undefined)) {
    throw new UsageError('give --user SUBJECT or --group ID_OR_NAME', ctx.command);
  }
  return user !== undefined ? { kind: 'user', key: user } : { kind: 'group', key: group as string };
};

export const attributesGetCommand: Command = {
  name: 'attributes get',
  summary: "show a person's or a group's directory data (SCIM and operator-set attributes)",
  help: `Usage: fedgate-admin attributes get --idp ID (--user SUBJECT | --group ID_OR_NAME) [--json]

Shows what rules read as directory.* for a person (by the IdP's immutable subject, e.g. an Okta
user id or an Entra object id): the SCIM attributes, the operator-set ones (which win over SCIM
attributes of the same name), and the groups, direct and through nesting. For a group: its
names, its operator-set attributes (rules read them as directory.group.<name>) and its parents.

${TABLE_HELP}

Example:
  fedgate-admin attributes get --idp demo-entra --user 67726163-1111-4222-8333-444455556666 --endpoint http://127.0.0.1:8000`,
  options: {
    ...COMMON_OPTIONS,
    ...TABLE_OPTIONS,
    idp: { type: 'string' },
    user: { type: 'string' },
    group: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const target = targetOf(ctx);
    const { store, idp, describe } = await openDirectory(ctx);
    if (target.kind === 'group') {
      const { id } = await readCurrent(store, idp.id, target);
      const group = await store.getGroup(idp.id, id);
      return {
        json: { group },
        text: [
          `group ${group?.displayName} (${id})${group?.externalId ? `, externalId ${group.externalId}` : ''} in ${describe}`,
          `  parents     ${group?.parents.join(', ') || '(none)'}`,
          ...Object.entries(group?.attributes ?? {}).map(
            ([k, v]) => `  operator    directory.group.${k} = ${v.join(';')}`,
          ),
        ].join('\n'),
      };
    }
    const person = await store.readPerson(idp.id, target.key);
    const groups = new Map((await store.readGroups(idp.id)).map((g) => [g.id, g]));
    const member = transitiveGroups(person.groupIds, groups) ?? [];
    const scim = person.user ? scimAttributesOf(person.user.resource, person.user) : {};
    return {
      json: {
        user: person.user ?? null,
        scimAttributes: scim,
        operatorAttributes: person.attributes ?? {},
        directGroups: person.groupIds,
        groups: member.map((g) => ({
          id: g.id,
          externalId: g.externalId,
          displayName: g.displayName,
        })),
      },
      text: [
        person.user
          ? `user ${person.user.userName} (${person.user.id}), ${person.user.active ? 'active' : 'INACTIVE'}, subject ${target.key} in ${describe}`
          : `no SCIM user for subject ${target.key} in ${describe}`,
        ...Object.entries(scim).map(([k, v]) => `  scim        directory.${k} = ${v.join(';')}`),
        ...Object.entries(person.attributes ?? {}).map(
          ([k, v]) => `  operator    directory.${k} = ${v.join(';')}`,
        ),
        `  groups      ${member.length} (${person.groupIds.length} direct): ${member
          .slice(0, 20)
          .map((g) => g.displayName)
          .join(', ')}${member.length > 20 ? ', …' : ''}`,
      ].join('\n'),
    };
  },
};

/** `name=v1;v2` pairs. */
const parsePairs = (pairs: readonly string[], command: string): OperatorAttributes => {
  const out: OperatorAttributes = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`want NAME=VALUE[;VALUE…], got ${JSON.stringify(pair)}`, command);
    const name = pair.slice(0, eq);
    out[name] = checkAttribute(name, pair.slice(eq + 1).split(';'), 'argument');
  }
  return out;
};

export const attributesSetCommand: Command = {
  name: 'attributes set',
  summary: "set or remove a person's or a group's operator-set directory attributes",
  help: `Usage: fedgate-admin attributes set --idp ID (--user SUBJECT | --group ID_OR_NAME) [NAME=VALUE[;VALUE…] …] [--unset NAME …] [--dry-run] [--yes] [--json]

Sets operator-owned attributes that rules and tags read as directory.<NAME> (for a person) or
directory.group.<NAME> (over a person's groups), beside what SCIM provisions. Prints the plan
first; --dry-run stops there; removing an attribute (--unset) needs --yes (or "yes" typed at a
terminal); replacing or removing values first writes them to .local/backups/ as an import file.
Values: up to 50, each up to 256 characters, separated by ";". The group attribute shortName
names the group in tags with fit.shortNames.

${TABLE_HELP}

Examples:
  fedgate-admin attributes set --idp okta --user 00u1alice clearance=secret costCenter=cc-1001
  fedgate-admin attributes set --idp entra --group "AWS Read-only" shortName=ro dataClass=internal
  fedgate-admin attributes set --idp okta --user 00u1alice --unset clearance --yes`,
  options: {
    ...COMMON_OPTIONS,
    ...TABLE_OPTIONS,
    idp: { type: 'string' },
    user: { type: 'string' },
    group: { type: 'string' },
    unset: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean' },
  },
  positionals: { min: 0, max: 100, names: 'NAME=VALUE pairs' },
  async run(ctx) {
    const target = targetOf(ctx);
    const set = parsePairs(ctx.positionals, ctx.command);
    const unset = (ctx.values.unset as string[] | undefined) ?? [];
    if (Object.keys(set).length === 0 && unset.length === 0) {
      throw new UsageError('give NAME=VALUE pairs or --unset NAME', ctx.command);
    }
    const { store, idp, describe } = await openDirectory(ctx);
    const current = await readCurrent(store, idp.id, target);
    const after: OperatorAttributes = { ...current.attributes, ...set };
    for (const name of unset) delete after[name];
    return apply(
      ctx,
      store,
      idp.id,
      [diffAttributes(target, current.id, current.attributes, after)],
      describe,
    );
  },
};

/** A minimal RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF. */
export const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text.charAt(i + 1) === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new CliFailure('invalid_attributes', 'the CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
};

/**
 * The entities and attributes of an import file:
 * - CSV with a header `user,<name>,<name>…` (or `group,…`): one row per person (subject) or group
 *   (id or displayName), multiple values separated by `;`, an empty cell leaving that attribute out;
 * - JSON `{ "users": { "<subject>": { "<name>": ["v"] } }, "groups": { "<id or name>": {…} } }`.
 * Each listed entity gets exactly the attributes listed for it.
 */
export const parseImport = (text: string, path: string): Map<string, OperatorAttributes> => {
  const out = new Map<string, OperatorAttributes>();
  const add = (
    kind: 'user' | 'group',
    key: string,
    attrs: Record<string, unknown>,
    where: string,
  ) => {
    if (key === '') throw new CliFailure('invalid_attributes', `${where}: no ${kind}`);
    const checked: OperatorAttributes = {};
    for (const [name, raw] of Object.entries(attrs)) {
      const values = Array.isArray(raw) ? raw : [raw];
      if (!values.every((v) => typeof v === 'string')) {
        throw new CliFailure('invalid_attributes', `${where}: ${name}: values must be strings`);
      }
      checked[name] = checkAttribute(name, values as string[], where);
    }
    const id = `${kind}\n${key}`;
    if (out.has(id))
      throw new CliFailure('invalid_attributes', `${where}: ${kind} ${key} is listed twice`);
    out.set(id, checked);
  };
  if (path.toLowerCase().endsWith('.json')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new CliFailure('invalid_attributes', `${path} is not JSON`);
    }
    const obj = (doc ?? {}) as Record<string, unknown>;
    for (const kind of ['users', 'groups'] as const) {
      const section = (obj[kind] ?? {}) as Record<string, unknown>;
      for (const [key, attrs] of Object.entries(section)) {
        add(
          kind === 'users' ? 'user' : 'group',
          key,
          (attrs ?? {}) as Record<string, unknown>,
          `${path} ${kind}.${key}`,
        );
      }
    }
    return out;
  }
  const [header, ...rows] = parseCsv(text);
  const kind = header?.[0]?.trim();
  if (kind !== 'user' && kind !== 'group') {
    throw new CliFailure(
      'invalid_attributes',
      `${path}: the first column must be "user" or "group"`,
    );
  }
  const names = (header ?? []).slice(1).map((n) => n.trim());
  rows.forEach((row, i) => {
    const attrs: Record<string, string[]> = {};
    names.forEach((name, j) => {
      const cell = (row[j + 1] ?? '').trim();
      if (cell !== '') attrs[name] = cell.split(';').map((v) => v.trim());
    });
    add(kind, (row[0] ?? '').trim(), attrs, `${path} line ${i + 2}`);
  });
  return out;
};

export const attributesImportCommand: Command = {
  name: 'attributes import',
  summary: 'set operator-set directory attributes of many people or groups from a CSV or JSON file',
  help: `Usage: fedgate-admin attributes import --idp ID FILE.csv|FILE.json [--dry-run] [--yes] [--json]

Each person (by subject) or group (by id or displayName) the file lists gets exactly the
attributes listed for it; people and groups the file does not list are left alone. Prints the
plan first; --dry-run stops there; removing attributes needs --yes (or "yes" typed at a
terminal); what is replaced or removed is first written to .local/backups/ as an import file.

  CSV:  user,costCenter,clearance          group,shortName,dataClass
        00u1alice,cc-1001,secret;internal  AWS Read-only,ro,internal
  JSON: { "users": { "00u1alice": { "costCenter": ["cc-1001"] } },
          "groups": { "AWS Read-only": { "shortName": ["ro"] } } }

${TABLE_HELP}

Example:
  fedgate-admin attributes import --idp okta people.csv --dry-run --endpoint http://127.0.0.1:8000`,
  options: {
    ...COMMON_OPTIONS,
    ...TABLE_OPTIONS,
    idp: { type: 'string' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: 'FILE' },
  async run(ctx) {
    const path = ctx.positionals[0] as string;
    let text: string;
    try {
      text = await readFile(ctx.resolvePath(path), 'utf8');
    } catch (err) {
      throw new CliFailure(
        'invalid_attributes',
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    const entries = parseImport(text, path);
    const { store, idp, describe } = await openDirectory(ctx);
    const changes: AttributeChange[] = [];
    for (const [id, after] of entries) {
      const [kind, key] = id.split('\n') as ['user' | 'group', string];
      const target = { kind, key };
      const current = await readCurrent(store, idp.id, target);
      changes.push(diffAttributes(target, current.id, current.attributes, after));
    }
    return apply(ctx, store, idp.id, changes, describe);
  },
};
