import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliContext, CliIo } from './context.js';
import { credentialsFor, envLines, processJson } from './credentials.js';
import { CliError, EXIT } from './errors.js';
import { statePathsOf } from './paths.js';

const HELP = `fedgate — AWS credentials from your company sign-in, in the terminal

Usage: fedgate <command> [options]

  login [--gateway URL] [--idp ID] [--no-browser] [--label NAME]
        Sign in through your browser (a one-time consent page). --no-browser signs in from
        any other device with a short code (for SSH sessions and headless machines).
  roles [--json]
        The AWS roles you have now, and how to name each with --role.
  credentials --role ROLE [--format process|env] [--region R]
        Credentials for ROLE: credential_process JSON (default) or shell export lines.
        Cached until shortly before they expire, then renewed through your session.
  configure [--prefix P] [--region R] [--dry-run]
        Write one ~/.aws/config profile per role (credential_process = fedgate credentials …).
        Only profiles fedgate wrote are changed; --dry-run prints the diff instead.
  console --role ROLE [--region R] [--destination URL] [--print]
        Open the AWS console as ROLE.
  exec --role ROLE [--region R] -- COMMAND [ARGS…]
        Run COMMAND with ROLE's credentials in its environment.
  status    Who you are signed in as, and until when.
  logout    End the session here and at fedgate.

ROLE is account/label (sandbox/Developer), a label that only one of your roles has, the role ARN,
or the id fedgate roles lists.

Exit codes: 0 ok, 2 usage, 3 sign in again (fedgate login), 4 role not granted,
5 fedgate unreachable or unavailable, 6 sign-in cancelled or expired, 1 anything else.
`;

type Spec = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

const usage = (message: string): CliError =>
  new CliError('usage', message, { next: 'See: fedgate --help', exitCode: EXIT.usage });

/**
 * `--role X` as `--role=X`: a role's id is base64url, so one in 64 starts with "-", which
 * parseArgs would otherwise refuse as a missing value (and `configure` writes ids into profiles).
 * A role is never an option, so the word after `--role` is always its value.
 */
const joinRoleValues = (args: readonly string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--role' && i + 1 < args.length) out.push(`--role=${args[++i]}`);
    else out.push(arg);
  }
  return out;
};

/** The command's options (strict: an unknown option is a usage error); `--help` everywhere. */
const parse = (args: string[], options: Spec): Values => {
  try {
    return parseArgs({
      args: joinRoleValues(args),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (err) {
    throw usage((err as Error).message);
  }
};

const requireRole = (values: Values): string => {
  const role = values.role;
  if (typeof role !== 'string' || role === '') throw usage('--role is required.');
  return role;
};

const help = (io: CliIo): number => {
  io.stdout(HELP);
  return EXIT.ok;
};

const printError = (io: CliIo, err: unknown): number => {
  if (err instanceof CliError) {
    io.stderr(`fedgate: ${err.message}\n${err.next ? `  ${err.next}\n` : ''}`);
    return err.exitCode;
  }
  io.stderr(`fedgate: unexpected failure: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.failed;
};

/**
 * The fedgate CLI: one command per run, its output on stdout (credentials, tables, JSON) and
 * every message for people on stderr. Only `credentials` is on the hot path (credential_process
 * calls it for every AWS tool): it loads the state file and nothing else while its cache is
 * fresh; every other command is loaded when asked for.
 * @param script this CLI's own file (profiles written by `configure` call it back).
 * @returns the exit code (see EXIT).
 */
export const runCli = async (argv: readonly string[], io: CliIo, script = ''): Promise<number> => {
  const [command, ...rest] = argv;
  const ctx: CliContext = { io, paths: statePathsOf(io) };
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
      case 'version':
        io.stdout(`fedgate ${io.version}\n`);
        return EXIT.ok;
      case 'credentials': {
        const v = parse(rest, {
          role: { type: 'string' },
          region: { type: 'string' },
          format: { type: 'string' },
        });
        if (v.help) return help(io);
        const format = (v.format as string | undefined) ?? 'process';
        if (format !== 'process' && format !== 'env') throw usage('--format is process or env.');
        const c = await credentialsFor(ctx, requireRole(v));
        io.stdout(
          format === 'env' ? envLines(c, v.region as string | undefined) : `${processJson(c)}\n`,
        );
        return EXIT.ok;
      }
      case 'login': {
        const v = parse(rest, {
          gateway: { type: 'string' },
          idp: { type: 'string' },
          'no-browser': { type: 'boolean' },
          label: { type: 'string' },
        });
        if (v.help) return help(io);
        const { login } = await import('./login.js');
        io.stderr(
          await login(ctx, {
            ...(typeof v.gateway === 'string' ? { gateway: v.gateway } : {}),
            ...(typeof v.idp === 'string' ? { idp: v.idp } : {}),
            ...(typeof v.label === 'string' ? { label: v.label } : {}),
            noBrowser: v['no-browser'] === true,
          }),
        );
        return EXIT.ok;
      }
      case 'roles': {
        const v = parse(rest, { json: { type: 'boolean' } });
        if (v.help) return help(io);
        await (await import('./commands.js')).roles(ctx, { json: v.json === true });
        return EXIT.ok;
      }
      case 'configure': {
        const v = parse(rest, {
          prefix: { type: 'string' },
          region: { type: 'string' },
          'dry-run': { type: 'boolean' },
        });
        if (v.help) return help(io);
        await (await import('./commands.js')).configure(ctx, {
          ...(typeof v.prefix === 'string' ? { prefix: v.prefix } : {}),
          ...(typeof v.region === 'string' ? { region: v.region } : {}),
          dryRun: v['dry-run'] === true,
          script,
        });
        return EXIT.ok;
      }
      case 'console': {
        const v = parse(rest, {
          role: { type: 'string' },
          region: { type: 'string' },
          destination: { type: 'string' },
          print: { type: 'boolean' },
        });
        if (v.help) return help(io);
        await (await import('./commands.js')).openConsole(ctx, {
          role: requireRole(v),
          ...(typeof v.region === 'string' ? { region: v.region } : {}),
          ...(typeof v.destination === 'string' ? { destination: v.destination } : {}),
          print: v.print === true,
        });
        return EXIT.ok;
      }
      case 'exec': {
        const dash = rest.indexOf('--');
        const own = dash < 0 ? rest : rest.slice(0, dash);
        // --help before any `--`: the command's own, never the one it would run.
        const words = joinRoleValues(own);
        if (words.includes('--help') || words.includes('-h')) return help(io);
        if (dash < 0) throw usage('Put the command after --: fedgate exec --role R -- aws s3 ls');
        const v = parse(own, {
          role: { type: 'string' },
          region: { type: 'string' },
        });
        return await (await import('./commands.js')).exec(ctx, {
          role: requireRole(v),
          ...(typeof v.region === 'string' ? { region: v.region } : {}),
          command: rest.slice(dash + 1),
        });
      }
      case 'logout': {
        const v = parse(rest, {});
        if (v.help) return help(io);
        await (await import('./commands.js')).logout(ctx);
        return EXIT.ok;
      }
      case 'status': {
        const v = parse(rest, {});
        if (v.help) return help(io);
        return (await import('./commands.js')).status(ctx);
      }
      default:
        throw usage(`Unknown command "${command}".`);
    }
  } catch (err) {
    return printError(io, err);
  }
};
