import type * as z from '../zod.js';
import { type GatewayConfig, GatewayConfigSchema } from './gateway-config.js';
import { EnvSchema, type RuntimeConfig } from './schema.js';

/**
 * A configuration that cannot be used. The message names each offending path and why, never the
 * offending value (it may be a secret reference or a certificate).
 */
export class ConfigError extends Error {
  readonly issues: readonly { path: string; message: string }[];
  constructor(what: string, issues: readonly { path: string; message: string }[]) {
    super(
      `${what} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `idps[0].rules[2].grant.roleArn` from a zod issue path. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    const key = String(part);
    return /^[A-Za-z_$][\w$]*$/.test(key)
      ? out
        ? `${out}.${key}`
        : key
      : `${out}[${JSON.stringify(key)}]`;
  }, '');

const parseWith = <S extends z.ZodMiniType>(
  schema: S,
  what: string,
  input: unknown,
): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    what,
    result.error.issues.flatMap((i) =>
      // name each unknown key at its own path: "idps[0].rules[0].surprise: unknown key"
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: formatPath([...i.path, key]), message: 'unknown key' }))
        : [{ path: formatPath(i.path), message: i.message }],
    ),
  );
};

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !(value instanceof URL) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

/**
 * Reads a function's runtime configuration from its environment, once, at cold start: a bad
 * deploy fails at init, not on a user.
 * @throws ConfigError naming each invalid variable (never its value).
 */
export const loadConfig = (env: Record<string, string | undefined>): Readonly<RuntimeConfig> =>
  deepFreeze(parseWith(EnvSchema, 'the function environment', env));

/**
 * Validates a gateway config document (already parsed from JSON or YAML).
 * @throws ConfigError with the path of every problem, e.g. `idps[0].rules[1].grant.roleArn`.
 */
export const parseGatewayConfig = (input: unknown): GatewayConfig =>
  deepFreeze(parseWith(GatewayConfigSchema, 'the gateway config', input));
