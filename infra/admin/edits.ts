import type { ConfigSource, SaveResult } from './config-source.js';

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

/** Appends to a list in the document, creating the list when the key is missing. */
export const appendIn = (source: ConfigSource, path: (string | number)[], value: unknown): void => {
  const node = source.doc.createNode(value);
  if (source.doc.hasIn(path)) source.doc.addIn(path, node);
  else source.doc.setIn(path, source.doc.createNode([value]));
};

/** One line on what saving did. */
export const describeSave = (result: SaveResult): string => {
  if (result.kind === 'file') {
    return result.written
      ? `wrote ${result.path}`
      : `dry run: ${result.path} not written (the edited config is valid)`;
  }
  const verb = result.applied ? '' : 'would ';
  const lines = [
    `${result.applied ? 'table' : 'dry run: table'} ${result.table}: ${verb}put ${result.puts.length}, ${verb}delete ${result.deletes.length}`,
    ...result.puts.map((p) => `  put    ${p.key} (${p.kind})`),
    ...result.deletes.map((d) => `  delete ${d.key}`),
  ];
  return lines.join('\n');
};
