import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type GatewayConfig, parseGatewayConfig } from '../shared/config/index.js';
import {
  checkConfigPatterns,
  hasConfigPatterns,
  loadRegexEngine,
} from '../shared/mapping/index.js';

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
  const substituted = text.replace(
    /\$\{([A-Z][A-Z0-9_]*)\}/g,
    (whole, name: string) => vars[name] ?? whole,
  );
  try {
    return parseYaml(substituted, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(what, [
      { path: '', message: (err as Error).message.split('\n')[0] ?? 'unparsable' },
    ]);
  }
};

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

/** Parses and validates gateway config text (JSON or YAML). @throws ConfigError with paths. */
export const parseGatewayConfigText = (text: string): GatewayConfig =>
  parseGatewayConfig(parseConfigText(text, 'the gateway config'));

/**
 * Reads a gateway config file (JSON or YAML) as the runner, the admin CLI and the CDK app do:
 * - `${NAME}` is replaced for the variables the caller passes (the local runner passes
 *   `LOCAL_BASE_URL`); any other `${…}` stays as written;
 * - an IdP's `saml.metadataFile` (relative to the config file) is read into `saml.metadataXml`;
 * - then the whole document is validated, and every `matches` pattern compiled with RE2 (the
 *   schema checks their syntax only: the engine is not loaded at a function's cold start).
 * @throws ConfigError naming the path of every problem.
 */
export const loadGatewayConfigFile = async (
  path: string,
  vars: Readonly<Record<string, string>> = {},
): Promise<GatewayConfig> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`the gateway config file ${path}`, [
      { path: '', message: (err as Error).message },
    ]);
  }
  const doc = parseConfigText(text, `the gateway config file ${path}`, vars);
  const idps = (doc as { idps?: unknown })?.idps;
  if (Array.isArray(idps)) {
    for (const [i, idp] of idps.entries()) {
      const saml = (idp as { saml?: Record<string, unknown> })?.saml;
      if (!saml || typeof saml.metadataFile !== 'string') continue;
      const file = resolve(dirname(path), saml.metadataFile);
      try {
        saml.metadataXml = await readFile(file, 'utf8');
      } catch (err) {
        throw new ConfigError(`the gateway config file ${path}`, [
          {
            path: `idps[${i}].saml.metadataFile`,
            message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`,
          },
        ]);
      }
      delete saml.metadataFile;
    }
  }
  const config = parseGatewayConfig(doc);
  if (hasConfigPatterns(config)) {
    const issues = checkConfigPatterns(config, await loadRegexEngine());
    if (issues.length > 0) throw new ConfigError(`the gateway config file ${path}`, issues);
  }
  return config;
};
