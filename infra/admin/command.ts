import { isAbsolute, resolve } from 'node:path';
import { DEMO_SCIM_TOKEN_DIR_DEFAULT, LOCAL_BASE_URL_DEFAULT } from '../config-file.js';
import type { ConfigVars } from './config-source.js';
import { UsageError } from './errors.js';
import { type CliIo, resolveTarget, type Target, type TargetValues } from './target.js';

/** One option of a command, as node's util.parseArgs takes it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
}

/** What a command hands back: text for people, a JSON value for `--json`, and its exit code. */
export interface CommandResult {
  text: string;
  json: unknown;
  /** 0 (default) or 1: the command ran, but what it checked failed. */
  exitCode?: 0 | 1;
}

/** Everything a command gets. */
export interface CommandContext {
  command: string;
  values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  positionals: readonly string[];
  io: CliIo;
  /** `--json`: one JSON document on stdout, so nothing else may be printed and nobody is asked. */
  json: boolean;
  /**
   * `--var NAME=VALUE` pairs, for `${NAME}` in config files, over the defaults: LOCAL_BASE_URL
   * (the local runner's own origin) is http://127.0.0.1:8787 unless given.
   */
  vars: ConfigVars;
  /** The variables in `vars` that hold a default, not a `--var`. */
  defaultedVars: readonly string[];
  /** A path relative to the caller's working directory, made absolute. */
  resolvePath(path: string): string;
  /** The target of `--config` / `--table` / `--endpoint`; its client is closed after the command. */
  openTarget(opts?: { allowFile?: boolean }): Promise<Target>;
  /** A string option, or a usage error when it is missing. */
  required(name: string): string;
}

/** One CLI command: its options, its help text, and what it does. */
export interface Command {
  name: string;
  summary: string;
  /** The whole `--help` text. */
  help: string;
  options: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number; names?: string };
  run(ctx: CommandContext): Promise<CommandResult>;
}

const VAR = /^([A-Z][A-Z0-9_]*)=(.*)$/s;

/** Parses repeated `--var NAME=VALUE`. @throws UsageError for a malformed pair. */
export const parseVars = (pairs: readonly string[], command: string): ConfigVars => {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const m = VAR.exec(pair);
    if (!m)
      throw new UsageError(
        `--var: want NAME=VALUE (NAME in A-Z0-9_), got ${JSON.stringify(pair)}`,
        command,
      );
    vars[m[1] as string] = m[2] as string;
  }
  return vars;
};

/** Builds a command's context; `close()` releases what `openTarget` created. */
export const createContext = (
  command: string,
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: string[],
  io: CliIo,
): { ctx: CommandContext; close(): void } => {
  const targets: Target[] = [];
  const resolvePath = (path: string) => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const given = parseVars((values.var as string[] | undefined) ?? [], command);
  const defaults: Record<string, string> = {
    LOCAL_BASE_URL: LOCAL_BASE_URL_DEFAULT,
    DEMO_SCIM_TOKEN_DIR: DEMO_SCIM_TOKEN_DIR_DEFAULT,
  };
  const ctx: CommandContext = {
    command,
    values,
    positionals,
    io,
    json: values.json === true,
    vars: { ...defaults, ...given },
    defaultedVars: Object.keys(defaults).filter((name) => !(name in given)),
    resolvePath,
    async openTarget({ allowFile = true } = {}) {
      const target = await resolveTarget(values as TargetValues, io, command, {
        allowFile,
        resolvePath,
      });
      targets.push(target);
      return target;
    },
    required(name) {
      const value = values[name];
      if (typeof value !== 'string' || value === '') {
        throw new UsageError(`--${name} is required`, command);
      }
      return value;
    },
  };
  return {
    ctx,
    close: () => {
      for (const t of targets) if (t.kind === 'table') t.client.destroy();
    },
  };
};

/** Options every command has. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

/** The help lines for the target options. */
export const TARGET_HELP = `Target (where the config lives):
  --config FILE        a gateway config file (JSON or YAML)
  --table NAME         an attribute table (default: $ATTRIBUTE_TABLE_NAME; with a loopback
                       --endpoint: fedgate-attributes, the local runner's table)
  --endpoint URL       a DynamoDB endpoint, e.g. the local runner's http://127.0.0.1:PORT
                       (default: $FEDGATE_DYNAMODB_ENDPOINT, then $AWS_ENDPOINT_URL_DYNAMODB)
  --region REGION      default: the AWS SDK's (AWS_REGION, AWS_PROFILE); credentials always come
                       from the SDK's default chain, except on a loopback endpoint`;

/** The help line for --var. */
export const VAR_HELP = `  --var NAME=VALUE     replace \${NAME} in the config file (repeatable); \${LOCAL_BASE_URL}
                       (the local runner's origin, in the demo config) is ${LOCAL_BASE_URL_DEFAULT}
                       unless given, e.g. --var LOCAL_BASE_URL=http://127.0.0.1:8788;
                       \${DEMO_SCIM_TOKEN_DIR} (the demo SCIM tokens) is ${DEMO_SCIM_TOKEN_DIR_DEFAULT}`;

/** The option every command that writes a table takes. */
export const YES_OPTION = { yes: { type: 'boolean', short: 'y' } } as const satisfies Record<
  string,
  OptionSpec
>;

/** The help line for --yes. */
export const YES_HELP = `  --yes, -y            apply a table write that deletes items without asking (else: asked at
                       a terminal, refused in a script; a backup is written first either way)`;
