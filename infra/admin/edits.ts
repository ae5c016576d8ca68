import type { ConfigSource, SaveResult, TableChanges } from './config-source.js';

/** The plain IdP entries of a source (whatever they hold: validation comes when saving). */
export const idpEntries = (source: ConfigSource): Record<string, unknown>[] => {
  const idps = source.plain().idps;
  return Array.isArray(idps)
    ? idps.map((i) => (i !== null && typeof i === 'object' ? (i as Record<string, unknown>) : {}))
    : [];
};

/** The index of an IdP in `idps`, or -1. */
export const findIdp = (source: ConfigSource, id: string): number =>
  idpEntries(source).findIndex((idp) => idp.id === id);

/** A table plan, one line per item: `put    IDP#okta/CONFIG (idp, changed)`, `delete …`. */
export const describeChanges = (changes: TableChanges): string[] => [
  ...changes.puts.map((p) => `  put    ${p.key} (${p.kind}, ${p.change})`),
  ...changes.deletes.map((d) => `  delete ${d.key}`),
];

/** What saving did: one line, then for a table each item (unless already shown) and the backup. */
export const describeSave = (
  result: SaveResult,
  { itemsShown = false }: { itemsShown?: boolean } = {},
): string => {
  if (result.kind === 'file') {
    if (!result.changed) return `${result.path} unchanged: nothing written`;
    if (!result.written) return `dry run: ${result.path} not written (the edited config is valid)`;
    return result.reformatted
      ? `wrote ${result.path} (it could not be edited in place: rewritten whole, comments kept)`
      : `wrote ${result.path}`;
  }
  const verb = result.applied ? '' : 'would ';
  return [
    `${result.applied ? 'table' : 'dry run: table'} ${result.table}: ${verb}put ${result.puts.length}, ${verb}delete ${result.deletes.length}`,
    ...(itemsShown ? [] : describeChanges(result)),
    ...(result.backup !== undefined
      ? [
          `backup of the table before this write: ${result.backup}`,
          `  (to restore it: fedgate-admin import ${result.backup} --yes, with this command's --table/--endpoint)`,
        ]
      : []),
  ].join('\n');
};
