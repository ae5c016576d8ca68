import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  isMap,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  parse as parseYaml,
  type YAMLError,
} from 'yaml';
import {
  ConfigError,
  DenyRuleSchema,
  formatPath,
  type GatewayConfig,
  GatewayConfigSchema,
  type IdpConfig,
  IdpConfigSchema,
  parseGatewayConfig,
  RuleSchema,
} from '../shared/config/index.js';
import { buildGatewayConfigJsonSchema } from '../shared/config/json-schema.js';
import {
  checkConfigPatterns,
  hasConfigPatterns,
  loadRegexEngine,
} from '../shared/mapping/index.js';

/**
 * `${LOCAL_BASE_URL}` is the local runner's own origin: `npm start` passes it when it loads a
 * config. Outside the runner (the admin CLI: validate, explain, import) it stands for the
 * runner's default origin, `npm start` without `--port` or `--host`.
 */
export const LOCAL_BASE_URL_DEFAULT = 'http://127.0.0.1:8787';

/**
 * `${DEMO_SCIM_TOKEN_DIR}` is where `npm start` keeps the demo IdPs' SCIM tokens (its work
 * directory's `demo/`, infra/local/demo/provisioning.ts): it passes the directory when it loads a
 * config. Outside the runner it stands for the default work directory's, relative to where the
 * command runs.
 */
export const DEMO_SCIM_TOKEN_DIR_DEFAULT = '.local/demo';

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/** One problem of a config file, with where it is when the file says (1-based). */
export interface ConfigFileIssue {
  path: string;
  /** What is wrong, ending with `(line L, column C)` when the place is known. */
  message: string;
  line?: number;
  column?: number;
  /** For an unknown key: the schema's key at that place it is most likely a typo of. */
  suggestion?: string;
}

const substitute = (text: string, vars: Readonly<Record<string, string>>) =>
  text.replace(PLACEHOLDER, (whole, name: string) => vars[name] ?? whole);

/**
 * Parses gateway config text (YAML, a superset of JSON). Duplicate keys and alias bombs are
 * refused by the parser (uniqueKeys, maxAliasCount). `${NAME}` is replaced for the given
 * variables only. Lives in infra/: the Lambda functions never parse YAML.
 * @throws ConfigError for unparsable text.
 */
export const parseConfigText = (
  text: string,
  what: string,
  vars: Readonly<Record<string, string>> = {},
): unknown => {
  try {
    return parseYaml(substitute(text, vars), { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(what, [{ path: '', message: (err as Error).message.trimEnd() }]);
  }
};

/** Parses and validates gateway config text (JSON or YAML). @throws ConfigError with paths. */
export const parseGatewayConfigText = (text: string): GatewayConfig =>
  parseGatewayConfig(parseConfigText(text, 'the gateway config'));

/**
 * Reads a config file's text.
 * @throws ConfigError saying "not found", "is a directory" or why else it cannot be read.
 */
export const readConfigText = async (path: string, what: string): Promise<string> => {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `not found: ${path}`
        : code === 'EISDIR'
          ? `${path} is a directory, not a file`
          : `cannot read ${path}: ${code ?? (err as Error).message}`;
    throw new ConfigError(what, [{ path: '', message }]);
  }
};

// --- where a problem is ---------------------------------------------------------------------

type Segment = string | number;

/** `idps[0].rules[2]["a.b"]` back into its segments (the inverse of formatPath). */
const parsePath = (path: string): Segment[] => {
  const out: Segment[] = [];
  const re = /([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
};

/** The source offset of the node at `path`, or of its nearest ancestor the file has. */
const offsetOf = (
  doc: ReturnType<typeof parseDocument>,
  path: readonly Segment[],
  { key = false }: { key?: boolean } = {},
): number | undefined => {
  for (let n = path.length; n >= 0; n--) {
    const at = path.slice(0, n);
    if (key && n === path.length && n > 0) {
      // An unknown key: point at the key itself, not at its value.
      const parent = at.length === 1 ? doc.contents : doc.getIn(at.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find(
          (p) => (isScalar(p.key) ? p.key.value : p.key) === at[at.length - 1],
        );
        const start = (pair?.key as Node | undefined)?.range?.[0];
        if (start !== undefined) return start;
      }
      continue;
    }
    const node = (n === 0 ? doc.contents : doc.getIn(at, true)) as Node | null | undefined;
    const start = node?.range?.[0];
    if (start !== undefined) return start;
  }
  return undefined;
};

// --- "did you mean" -------------------------------------------------------------------------

const editDistance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
};

/** The known key `unknown` is most likely a typo of (case-insensitive edit distance ≤ 1/3). */
export const suggestKey = (unknown: string, known: readonly string[]): string | undefined => {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
    if (distance <= Math.max(1, Math.floor(key.length / 3)) && distance < key.length) {
      if (!best || distance < best.distance) best = { key, distance };
    }
  }
  return best?.key;
};

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
};

let jsonSchema: JsonSchema | undefined;

/** The object schemas that may apply at `path` (a discriminated union narrowed by the data). */
const schemasAt = (path: readonly Segment[], data: unknown): JsonSchema[] => {
  jsonSchema ??= buildGatewayConfigJsonSchema() as JsonSchema;
  let current: JsonSchema[] = [jsonSchema];
  let value = data;
  const expand = (schemas: JsonSchema[], at: unknown): JsonSchema[] =>
    schemas.flatMap((s) => {
      const branches = [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])];
      if (branches.length === 0) return [s];
      const all = expand(branches, at);
      // A discriminated union: keep the branches whose constants the data matches.
      const matching = all.filter((b) =>
        Object.entries(b.properties ?? {}).every(
          ([k, p]) =>
            p.const === undefined ||
            (at !== null &&
              typeof at === 'object' &&
              (at as Record<string, unknown>)[k] === p.const),
        ),
      );
      return matching.length > 0 ? matching : all;
    });
  for (const segment of path) {
    current = expand(current, value).flatMap((s) => {
      if (typeof segment === 'number') return s.items ? [s.items] : [];
      const property = s.properties?.[segment];
      if (property) return [property];
      return typeof s.additionalProperties === 'object' ? [s.additionalProperties] : [];
    });
    value = (value as Record<Segment, unknown> | undefined)?.[segment];
  }
  return expand(current, value);
};

/** The keys the schema allows at `path` of `data`. */
const knownKeys = (path: readonly Segment[], data: unknown): string[] => [
  ...new Set(schemasAt(path, data).flatMap((s) => Object.keys(s.properties ?? {}))),
];

// --- the whole check ------------------------------------------------------------------------

/** What {@link checkGatewayConfigFile} found. */
export interface ConfigFileCheck {
  /** The valid config, when there is no issue. */
  config?: GatewayConfig;
  /** Every problem found, in file order where the place is known. */
  issues: ConfigFileIssue[];
  /** The `${NAME}` placeholders the file uses. */
  placeholders: string[];
}

/** A check of one IdP beyond the schema (e.g. its SAML trust): why it fails, or undefined. */
export type IdpCheck = (idp: IdpConfig) => string | undefined;

const syntaxIssue = (err: YAMLError): ConfigFileIssue => {
  const [first = '', ...frame] = err.message.trimEnd().split('\n');
  const pos = err.linePos?.[0];
  // The parser's own message, whole: what is wrong and the lines around it.
  return {
    path: '',
    message: [first, ...frame.map((l) => (l === '' ? '' : `    ${l}`))].join('\n'),
    ...(pos ? { line: pos.line, column: pos.col } : {}),
  };
};

/**
 * Checks a gateway config file as the runner, the admin CLI and the CDK app read it, and finds
 * every problem in one pass: YAML/JSON syntax (each error, whole), unreadable `metadataFile`s,
 * the schema (each issue at its path, with line and column, and "did you mean" for an unknown
 * key), and every `matches` pattern compiled with RE2 — the patterns and `idpCheck` also for the
 * rules and IdPs that are valid on their own when the whole file is not.
 * - `${NAME}` is replaced for the variables the caller passes; any other `${…}` stays as written;
 * - an IdP's `saml.metadataFile` (relative to the config file) is read into `saml.metadataXml`.
 */
export const checkGatewayConfigFile = async (
  path: string,
  vars: Readonly<Record<string, string>> = {},
  { idpCheck }: { idpCheck?: IdpCheck } = {},
): Promise<ConfigFileCheck> => {
  let text: string;
  try {
    text = await readConfigText(path, `the gateway config file ${path}`);
  } catch (err) {
    if (err instanceof ConfigError) return { issues: [...err.issues], placeholders: [] };
    throw err;
  }
  const placeholders = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
  // Positions come from the text as written; the content from the text with ${NAME} replaced.
  const lineCounter = new LineCounter();
  const source = parseDocument(text, { uniqueKeys: true, lineCounter, prettyErrors: true });
  const parsed = parseDocument(substitute(text, vars), { uniqueKeys: true, prettyErrors: true });
  const syntax = source.errors.length > 0 ? source.errors : parsed.errors;
  if (syntax.length > 0) return { issues: syntax.map(syntaxIssue), placeholders };
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { issues: [{ path: '', message: (err as Error).message }], placeholders };
  }

  const issues: { segments: Segment[]; message: string; key?: boolean; suggestion?: string }[] = [];
  const unreadable = new Set<number>();
  const idps = (doc as { idps?: unknown } | null)?.idps;
  if (Array.isArray(idps)) {
    for (const [i, idp] of idps.entries()) {
      const saml = (idp as { saml?: Record<string, unknown> } | null)?.saml;
      if (!saml || typeof saml.metadataFile !== 'string') continue;
      const file = resolve(dirname(path), saml.metadataFile);
      try {
        saml.metadataXml = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        issues.push({
          segments: ['idps', i, 'saml', 'metadataFile'],
          message:
            code === 'ENOENT' ? `not found: ${file}` : `cannot read ${file}: ${code ?? 'error'}`,
        });
        unreadable.add(i);
        // Stands in for the metadata, so that the schema does not report it missing as well.
        saml.metadataXml = '<unread/>';
      }
      delete saml.metadataFile;
    }
  }

  const result = GatewayConfigSchema.safeParse(doc);
  let config: GatewayConfig | undefined;
  if (result.success) {
    config = parseGatewayConfig(doc);
  } else {
    for (const issue of result.error.issues) {
      const at = issue.path.filter((p): p is Segment => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const known = knownKeys(at, doc);
        for (const key of issue.keys) {
          const suggestion = suggestKey(key, known);
          issues.push({
            segments: [...at, key],
            message: `unknown key${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
            key: true,
            ...(suggestion ? { suggestion } : {}),
          });
        }
      } else if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
        issues.push({ segments: at, message: `missing (want ${issue.expected})` });
      } else issues.push({ segments: at, message: issue.message });
    }
  }

  // Beyond the schema, for whatever is valid: the whole config, or each rule and IdP alone.
  const rules: { segments: Segment[]; rule: unknown }[] = [];
  const validIdps: { index: number; idp: IdpConfig }[] = [];
  if (config) {
    config.gatewayRules.forEach((rule, j) => {
      rules.push({ segments: ['gatewayRules', j], rule });
    });
    config.idps.forEach((idp, i) => {
      validIdps.push({ index: i, idp });
      idp.rules.forEach((rule, j) => {
        rules.push({ segments: ['idps', i, 'rules', j], rule });
      });
    });
  } else {
    const raw = doc as { gatewayRules?: unknown; idps?: unknown } | null;
    if (Array.isArray(raw?.gatewayRules)) {
      raw.gatewayRules.forEach((r, j) => {
        const ok = DenyRuleSchema.safeParse(r);
        if (ok.success) rules.push({ segments: ['gatewayRules', j], rule: ok.data });
      });
    }
    if (Array.isArray(raw?.idps)) {
      raw.idps.forEach((idp, i) => {
        const ok = IdpConfigSchema.safeParse(idp);
        if (ok.success) validIdps.push({ index: i, idp: ok.data });
        const own = (idp as { rules?: unknown } | null)?.rules;
        if (!ok.success && Array.isArray(own)) {
          own.forEach((r, j) => {
            const one = RuleSchema.safeParse(r);
            if (one.success) rules.push({ segments: ['idps', i, 'rules', j], rule: one.data });
          });
        } else if (ok.success) {
          ok.data.rules.forEach((rule, j) => {
            rules.push({ segments: ['idps', i, 'rules', j], rule });
          });
        }
      });
    }
  }
  const patternRules = rules.map((r) => ({
    ...r,
    probe: { gatewayRules: [], idps: [{ rules: [r.rule] }] } as unknown as Pick<
      GatewayConfig,
      'gatewayRules' | 'idps'
    >,
  }));
  const withPatterns = patternRules.filter((r) => hasConfigPatterns(r.probe));
  if (withPatterns.length > 0) {
    const regex = await loadRegexEngine();
    for (const { segments, probe } of withPatterns) {
      for (const p of checkConfigPatterns(probe, regex)) {
        // The probe holds the rule alone, at idps[0].rules[0]: put it back where it is.
        const inner = parsePath(p.path).slice(4);
        issues.push({ segments: [...segments, ...inner], message: p.message });
      }
    }
  }
  if (idpCheck) {
    for (const { index, idp } of validIdps) {
      if (unreadable.has(index)) continue;
      const why = idpCheck(idp);
      if (why) issues.push({ segments: ['idps', index, idp.protocol], message: why });
    }
  }

  const located = issues.map(({ segments, message, key, suggestion }) => {
    const offset = offsetOf(source, segments, { key: key ?? false });
    const pos = offset !== undefined ? lineCounter.linePos(offset) : undefined;
    return {
      path: formatPath(segments),
      message: pos ? `${message} (line ${pos.line}, column ${pos.col})` : message,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      ...(suggestion ? { suggestion } : {}),
    } satisfies ConfigFileIssue;
  });
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return located.length > 0
    ? { issues: located, placeholders }
    : { config, issues: [], placeholders };
};

/**
 * Reads a gateway config file (JSON or YAML) as the runner, the admin CLI and the CDK app do
 * (see {@link checkGatewayConfigFile}), and returns it when it has no problem.
 * @throws ConfigError naming every problem: path, what is wrong, line and column.
 */
export const loadGatewayConfigFile = async (
  path: string,
  vars: Readonly<Record<string, string>> = {},
): Promise<GatewayConfig> => {
  const { config, issues } = await checkGatewayConfigFile(path, vars);
  if (!config) throw new ConfigError(`the gateway config file ${path}`, issues);
  return config;
};
