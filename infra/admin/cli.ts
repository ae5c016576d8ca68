/**
 * fedgate-admin: the operator's CLI for the gateway config. `npm run admin -- <command>`
 * or `npx fedgate-admin <command>`; `--help` lists the commands, `<command> --help` explains one.
 * Exit codes: 0 ok, 1 a failed check, validation or operation, 2 a usage error.
 */
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../shared/config/index.js';
import { GatewayError } from '../../shared/http/errors.js';
import { COMMON_OPTIONS, type Command, createContext } from './command.js';
import {
  attributesGetCommand,
  attributesImportCommand,
  attributesSetCommand,
} from './commands/attributes.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand, importCommand } from './commands/export-import.js';
import { importIdpCommand } from './commands/import-idp.js';
import { rulesAddCommand, rulesListCommand, rulesRemoveCommand } from './commands/rules.js';
import { sessionsListCommand, sessionsRevokeCommand } from './commands/sessions.js';
import { validateCommand } from './commands/validate.js';
import { CliFailure, UsageError } from './errors.js';
import type { CliIo } from './target.js';

/** Every command, by the words that name it. */
export const COMMANDS: readonly Command[] = [
  validateCommand,
  explainCommand,
  importIdpCommand,
  rulesListCommand,
  rulesAddCommand,
  rulesRemoveCommand,
  exportCommand,
  importCommand,
  sessionsListCommand,
  sessionsRevokeCommand,
  attributesGetCommand,
  attributesSetCommand,
  attributesImportCommand,
];

const OVERVIEW = `Usage: fedgate-admin <command> [options]      (npm run admin -- <command> …)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`).join('\n')}

Every command takes --json (machine-readable output on stdout) and --help.
Exit codes: 0 ok, 1 failed check/validation/operation, 2 usage error.
See infra/admin/README.md.`;

// What an operator can do about a refusal from DynamoDB or the SDK.
const HINTS: Record<string, string> = {
  temporarily_unavailable:
    'DynamoDB did not answer: is the endpoint right (the local runner prints it as "DynamoDB … at http://127.0.0.1:PORT")?',
  server_error:
    'check the table name, region and credentials (the AWS SDK default chain: AWS_PROFILE, env, SSO, instance role)',
};

const findCommand = (argv: readonly string[]): { command: Command; rest: string[] } | undefined => {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
};

const errorJson = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra },
});

/**
 * Runs one CLI invocation and returns its exit code; everything goes through `io`, nothing
 * throws (no stack traces for the operator).
 * @example process.exitCode = await main(process.argv.slice(2), nodeIo());
 */
export const main = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const json = argv.includes('--json');
  const say = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const fail = (code: number, text: string, body: unknown) => {
    if (json) say(JSON.stringify(body, null, 2));
    else io.stderr(`${text}\n`);
    return code;
  };

  const found = findCommand(argv);
  if (!found) {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      say(OVERVIEW);
      return 0;
    }
    // A command group named without its subcommand (`sessions`, `rules --help`): its commands.
    const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
    const next = argv[1];
    if (group.length > 0 && (next === undefined || next.startsWith('-'))) {
      const list = group.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`).join('\n');
      const subcommands = group.map((c) => c.name.split(' ')[1]).join(', ');
      if (next === '--help' || next === '-h') {
        say(`${argv[0]} has these commands (each takes --help):\n${list}`);
        return 0;
      }
      return fail(
        2,
        `fedgate-admin: "${argv[0]}" needs a command: ${subcommands}\n${list}`,
        errorJson('usage', `"${argv[0]}" needs a command: ${subcommands}`),
      );
    }
    const name = argv
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    return fail(
      2,
      `fedgate-admin: unknown command "${name}"\n\n${OVERVIEW}`,
      errorJson('usage', `unknown command "${name}"`),
    );
  }
  const { command, rest } = found;
  const usageFailure = (message: string) =>
    fail(
      2,
      `fedgate-admin ${command.name}: ${message}\nRun "fedgate-admin ${command.name} --help" for usage.`,
      errorJson('usage', message, { command: command.name }),
    );

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usageFailure((err as Error).message);
  }
  if (parsed.values.help) {
    say(command.help);
    return 0;
  }
  const { min, max, names } = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    return usageFailure(
      max === 0
        ? `unexpected argument ${JSON.stringify(parsed.positionals[0])}`
        : `want ${names ?? `${min}-${max} arguments`}`,
    );
  }

  let context: ReturnType<typeof createContext> | undefined;
  try {
    context = createContext(
      command.name,
      parsed.values as Record<string, string | boolean | string[] | undefined>,
      parsed.positionals,
      io,
    );
    const result = await command.run(context.ctx);
    say(json ? JSON.stringify(result.json, null, 2) : result.text);
    return result.exitCode ?? 0;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message);
    if (err instanceof ConfigError) {
      return fail(
        1,
        err.message,
        errorJson('invalid_config', err.message.split('\n')[0] ?? '', { issues: err.issues }),
      );
    }
    if (err instanceof CliFailure) {
      return fail(
        1,
        `fedgate-admin ${command.name}: ${err.message}`,
        errorJson(err.code, err.message, err.details),
      );
    }
    if (err instanceof GatewayError) {
      const message = err.detail ?? err.description;
      const hint = HINTS[err.code];
      return fail(
        1,
        `fedgate-admin ${command.name}: ${err.code}: ${message}${hint ? `\nhint: ${hint}` : ''}`,
        errorJson(err.code, message, hint ? { hint } : {}),
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return fail(
      1,
      `fedgate-admin ${command.name}: unexpected error: ${message}`,
      errorJson('unexpected', message),
    );
  } finally {
    context?.close();
  }
};

/** One question on the terminal (stderr, so stdout stays the command's output); EOF answers "". */
const askOnTerminal = async (question: string): Promise<string> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((done) => {
      rl.once('close', () => done(''));
      rl.question(question).then(done, () => done(''));
    });
  } finally {
    rl.close();
  }
};

/** The real process's streams, environment and fetch; questions only on a terminal. */
export const nodeIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  fetch: globalThis.fetch,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { ask: askOnTerminal } : {}),
});

/** Runs the CLI on this process's arguments and sets its exit code. */
export const runCli = async (): Promise<void> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await main(process.argv.slice(2), nodeIo());
};

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) await runCli();
