/**
 * Edits of a YAML config file that touch only the lines of the edited node: every other line,
 * its comments, quoting, flow maps and blank lines stay byte for byte as they were. The yaml
 * package's Document keeps comments but re-renders every line when stringified (spacing inside
 * flow maps, quotes, indentation), so an edit here is a splice of the source text at the edited
 * node's range, rendered in the file's own indentation; the spliced text is parsed again and must
 * equal the intended result, otherwise the edit is reported as impossible in place.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/** Keys and sequence indexes from the document root. */
export type YamlPath = readonly (string | number)[];

/** One change to a config document. */
export type YamlEdit =
  | { op: 'set'; path: YamlPath; value: unknown }
  | { op: 'append'; path: YamlPath; value: unknown }
  | { op: 'remove'; path: YamlPath };

interface Style {
  /** Spaces per nesting level. */
  indent: number;
  /** `key:\n  - a` (true) or `key:\n- a` (false). */
  indentSeq: boolean;
  eol: string;
}

type Range = [number, number, number];
const rangeOf = (node: unknown): Range | undefined => (node as { range?: Range } | null)?.range;

const lineStart = (text: string, pos: number) => text.lastIndexOf('\n', pos - 1) + 1;
const columnOf = (text: string, pos: number) => pos - lineStart(text, pos);
/** The start of the line after `pos`, or `pos` itself when it already starts a line. */
const lineAfter = (text: string, pos: number) => {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const i = text.indexOf('\n', pos);
  return i === -1 ? text.length : i + 1;
};
const onlySpaces = (s: string) => /^[ \t]*$/.test(s);

/** The position of the `-` of a block sequence item, or undefined when there is none. */
const dashOf = (text: string, item: unknown): number | undefined => {
  const start = rangeOf(item)?.[0];
  if (start === undefined) return undefined;
  let i = start - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return text[i] === '-' && onlySpaces(text.slice(lineStart(text, i), i)) ? i : undefined;
};

const keyOf = (pair: Pair): unknown => (isScalar(pair.key) ? pair.key.value : pair.key);

/** The file's own indentation: the first nested block map and block sequence show it. */
const detectStyle = (doc: Document, text: string): Style => {
  const style: Style = { indent: 2, indentSeq: true, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  let indentFound = false;
  let seqFound = false;
  visit(doc, {
    Pair(_key, pair) {
      const keyStart = rangeOf(pair.key)?.[0];
      if (keyStart === undefined) return undefined;
      const keyColumn = columnOf(text, keyStart);
      if (!indentFound && isMap(pair.value) && !pair.value.flow && pair.value.items[0]) {
        const child = rangeOf(pair.value.items[0].key)?.[0];
        if (child !== undefined && columnOf(text, child) > keyColumn) {
          style.indent = columnOf(text, child) - keyColumn;
          indentFound = true;
        }
      }
      if (!seqFound && isSeq(pair.value) && !pair.value.flow && pair.value.items[0]) {
        const dash = dashOf(text, pair.value.items[0]);
        if (dash !== undefined) {
          style.indentSeq = columnOf(text, dash) > keyColumn;
          seqFound = true;
        }
      }
      return indentFound && seqFound ? visit.BREAK : undefined;
    },
  });
  return style;
};

/** `value` as block YAML lines (no trailing newline), in the file's style. */
const render = (value: unknown, style: Style): string[] =>
  new Document(value)
    .toString({
      indent: style.indent,
      indentSeq: style.indentSeq,
      lineWidth: 0,
      flowCollectionPadding: true,
    })
    .replace(/\n$/, '')
    .split('\n');

/** Lines placed at `column`: the first after text already there, the others indented. */
const place = (lines: string[], column: number, style: Style, indentFirst: boolean): string =>
  lines
    .map((line, i) => ((i === 0 && !indentFirst) || line === '' ? line : ' '.repeat(column) + line))
    .join(style.eol);

const splice = (text: string, start: number, end: number, insert: string) =>
  text.slice(0, start) + insert + text.slice(end);

/** The plain value with one edit applied: what the edited text must parse to. */
export const applyEditToValue = (root: unknown, edit: YamlEdit): unknown => {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of edit.path.slice(0, -1)) {
    parent = parent[key] as Record<string | number, unknown>;
  }
  const last = edit.path[edit.path.length - 1] as string | number;
  if (edit.op === 'set') parent[last] = structuredClone(edit.value);
  else if (edit.op === 'append') {
    const list = parent[last];
    parent[last] = Array.isArray(list) ? [...list, edit.value] : [edit.value];
  } else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
};

/** Replaces a pair's key and value (or a sequence item) with `value`, rendered in place. */
const replacePairValue = (
  text: string,
  pair: Pair,
  value: unknown,
  style: Style,
): string | undefined => {
  const keyStart = rangeOf(pair.key)?.[0];
  if (keyStart === undefined) return undefined;
  const valueRange = rangeOf(pair.value);
  // A scalar for a scalar: only the value's own characters (a comment after it stays).
  if (isScalar(pair.value) && valueRange && !isObject(value)) {
    const rendered = render(value, style);
    if (rendered.length === 1) return splice(text, valueRange[0], valueRange[1], rendered[0] ?? '');
  }
  const end = lineAfter(text, valueRange?.[1] ?? rangeOf(pair.key)?.[1] ?? keyStart);
  const lines = render({ [String(keyOf(pair))]: value }, style);
  return splice(
    text,
    keyStart,
    end,
    place(lines, columnOf(text, keyStart), style, false) + style.eol,
  );
};

const isObject = (v: unknown) => v !== null && typeof v === 'object';

const setIn = (
  text: string,
  doc: Document,
  path: YamlPath,
  value: unknown,
  style: Style,
): string | undefined => {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent) && typeof last === 'string') {
    if (parent.flow) return undefined;
    const pair = (parent as YAMLMap).items.find((p) => keyOf(p) === last);
    if (pair) return replacePairValue(text, pair, value, style);
    // A new key: after the mapping's last pair, at its keys' column.
    const lastPair = parent.items[parent.items.length - 1];
    const firstKey = rangeOf(parent.items[0]?.key)?.[0];
    if (!lastPair || firstKey === undefined) return undefined;
    const at = lineAfter(
      text,
      rangeOf(lastPair.value)?.[1] ?? rangeOf(lastPair.key)?.[1] ?? text.length,
    );
    const lead = at === text.length && at > 0 && text[at - 1] !== '\n' ? style.eol : '';
    const lines = render({ [last]: value }, style);
    return splice(
      text,
      at,
      at,
      lead + place(lines, columnOf(text, firstKey), style, true) + style.eol,
    );
  }
  if (isSeq(parent) && typeof last === 'number') {
    if (parent.flow) return undefined;
    const item = parent.items[last];
    const start = rangeOf(item)?.[0];
    if (item === undefined || start === undefined || dashOf(text, item) === undefined) {
      return undefined;
    }
    const end = lineAfter(text, rangeOf(item)?.[1] ?? start);
    return splice(
      text,
      start,
      end,
      place(render(value, style), columnOf(text, start), style, false) + style.eol,
    );
  }
  return undefined;
};

const appendIn = (
  text: string,
  doc: Document,
  path: YamlPath,
  value: unknown,
  style: Style,
  expected: unknown,
): string | undefined => {
  const node = doc.getIn(path, true) as Node | undefined;
  if (!isSeq(node) || node.flow || node.items.length === 0) {
    // Missing, empty (`rules: []`) or flow: the whole pair is written again, as a block list.
    let list: unknown = expected;
    for (const key of path) list = (list as Record<string | number, unknown>)[key];
    return setIn(text, doc, path, list, style);
  }
  const seq = node as YAMLSeq;
  const first = dashOf(text, seq.items[0]);
  const lastItem = seq.items[seq.items.length - 1];
  if (first === undefined || dashOf(text, lastItem) === undefined) return undefined;
  const at = lineAfter(text, rangeOf(lastItem)?.[1] ?? text.length);
  const lead = at === text.length && at > 0 && text[at - 1] !== '\n' ? style.eol : '';
  // Items set apart by blank lines (the demo config's IdPs) get one too.
  const spaced =
    seq.items.length > 1 &&
    seq.items.slice(1).every((i) => (i as { spaceBefore?: boolean }).spaceBefore);
  const lines = render([value], style);
  return splice(
    text,
    at,
    at,
    lead + (spaced ? style.eol : '') + place(lines, columnOf(text, first), style, true) + style.eol,
  );
};

/** The comment lines directly above `lineAt`, at `column`: they describe what is removed. */
const commentsAbove = (text: string, lineAt: number, column: number): number => {
  let start = lineAt;
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start).replace(/\r?\n$/, '');
    if (!new RegExp(`^ {${column}}#`).test(line)) break;
    start = prev;
  }
  return start;
};

const removeIn = (
  text: string,
  doc: Document,
  path: YamlPath,
  style: Style,
): string | undefined => {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isSeq(parent) && typeof last === 'number' && !parent.flow) {
    const item = parent.items[last];
    const dash = dashOf(text, item);
    if (item === undefined || dash === undefined) return undefined;
    if (parent.items.length === 1) return setIn(text, doc, path.slice(0, -1), [], style);
    const from = lineStart(text, dash);
    const start = commentsAbove(text, from, columnOf(text, dash));
    return splice(text, start, lineAfter(text, rangeOf(item)?.[1] ?? dash), '');
  }
  if (isMap(parent) && typeof last === 'string' && !parent.flow) {
    const pair = parent.items.find((p) => keyOf(p) === last);
    if (!pair) return text;
    const keyStart = rangeOf(pair.key)?.[0];
    if (keyStart === undefined || parent.items.length === 1) return undefined;
    const from = lineStart(text, keyStart);
    // The first key of a sequence item (`- id: …`) carries the dash: not removable alone.
    if (!onlySpaces(text.slice(from, keyStart))) return undefined;
    const end = lineAfter(text, rangeOf(pair.value)?.[1] ?? rangeOf(pair.key)?.[1] ?? keyStart);
    return splice(text, commentsAbove(text, from, columnOf(text, keyStart)), end, '');
  }
  return undefined;
};

const parseStrict = (text: string) => {
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length > 0 ? undefined : doc;
};

/**
 * Applies one edit to YAML text, changing only the lines of the edited node. A `set` equal to
 * the current value and a `remove` of an absent key return the text unchanged.
 * @returns the new text, or `undefined` when the edit cannot be made in place (a flow collection
 * on the way, the only key of a mapping, aliases …) or its result would not parse to the
 * intended value: the caller then renders the whole document.
 */
export const editYamlText = (text: string, edit: YamlEdit): string | undefined => {
  const doc = parseStrict(text);
  if (!doc || !isMap(doc.contents) || doc.contents.flow) return undefined;
  const before = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const expected = applyEditToValue(before, edit);
  if (isDeepStrictEqual(before, expected)) return text;
  const style = detectStyle(doc, text);
  const next =
    edit.op === 'set'
      ? setIn(text, doc, edit.path, edit.value, style)
      : edit.op === 'append'
        ? appendIn(text, doc, edit.path, edit.value, style, expected)
        : removeIn(text, doc, edit.path, style);
  if (next === undefined) return undefined;
  const check = parseStrict(next);
  return check && isDeepStrictEqual(check.toJS({ maxAliasCount: 100 }), expected)
    ? next
    : undefined;
};
