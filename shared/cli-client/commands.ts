import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { editAwsConfig, lineDiff } from './aws-config.js';
import { openInBrowser } from './browser.js';
import type { CliContext } from './context.js';
import { credentialsFor } from './credentials.js';
import { CliError, EXIT } from './errors.js';
import { parseGatewayUrl } from './gateway.js';
import { awsConfigPathOf } from './paths.js';
import {
  DEFAULT_PROFILE_PREFIX,
  type ProfileRole,
  profileLines,
  profileNameOf,
  roleArgumentOf,
} from './profiles.js';
import { callWithSession, lockOptions, postTo, stringField } from './session-calls.js';
import { readState, withStateLock, writeState } from './state-file.js';

/** A role as `POST /cli/roles` lists it. */
interface ListedRole extends ProfileRole {
  durationSeconds: number;
}

interface RolesAnswer {
  roles: ListedRole[];
  regions: string[];
  defaultRegion: string;
  session: {
    endsAt: string;
    idleEndsAt: string;
    idp: string;
    idpDisplayName: string;
    displayName?: string;
  };
}

// A grant id is base64url (shared/mapping): one word for every shell a credential_process line
// goes through (the JS SDK runs it with child_process.exec, i.e. /bin/sh or cmd.exe).
const ROLE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const isListedRole = (r: unknown): r is ListedRole => {
  const role = r as Partial<ListedRole> | null;
  return (
    typeof role === 'object' &&
    role !== null &&
    typeof role.id === 'string' &&
    ROLE_ID.test(role.id) &&
    typeof role.label === 'string' &&
    typeof role.accountId === 'string' &&
    (role.accountAlias === undefined || typeof role.accountAlias === 'string') &&
    typeof role.roleArn === 'string'
  );
};

/**
 * The roles the session has now. The answer is checked before anything of it reaches a file:
 * `configure` writes role ids into `credential_process` lines, which tools run through a shell.
 * @throws CliError gateway_unexpected (exit 5) for an answer that is not fedgate's shape.
 */
const fetchRoles = async (ctx: CliContext): Promise<RolesAnswer> => {
  const { answer } = await callWithSession(ctx, '/cli/roles', {});
  const body = answer.body as Partial<RolesAnswer> | undefined;
  if (!body || !Array.isArray(body.roles) || !Array.isArray(body.regions)) {
    throw new CliError('gateway_unexpected', "fedgate's answer lists no roles.", {
      exitCode: EXIT.gateway,
    });
  }
  if (!body.roles.every(isListedRole)) {
    throw new CliError('gateway_unexpected', "fedgate's answer lists a role in an unknown shape.", {
      next: 'Check that the CLI and the gateway are of matching versions.',
      exitCode: EXIT.gateway,
    });
  }
  return body as RolesAnswer;
};

const accountOf = (r: ProfileRole) => r.accountAlias ?? r.accountId;

/** Left-aligned columns. */
const table = (rows: string[][]): string => {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `fedgate roles [--json]`: what the current rules grant, with how to name each role. */
export const roles = async (ctx: CliContext, opts: { json?: boolean }): Promise<void> => {
  const r = await fetchRoles(ctx);
  if (opts.json) {
    ctx.io.stdout(`${JSON.stringify({ roles: r.roles, session: r.session }, null, 2)}\n`);
    return;
  }
  if (r.roles.length === 0) {
    ctx.io.stdout('No AWS role is granted to you through this sign-in.\n');
    return;
  }
  ctx.io.stdout(
    `${table([
      ['ACCOUNT', 'ROLE', '--role', 'ROLE ARN'],
      ...r.roles.map((role) => [
        accountOf(role),
        role.label,
        roleArgumentOf(role, r.roles),
        role.roleArn,
      ]),
    ])}\n`,
  );
};

/**
 * How AWS profiles call this CLI: `fedgate` when the first `fedgate` on PATH (the one a tool would
 * run) is this CLI, else node and this script by their full paths.
 */
export const defaultSelfCommand = (ctx: CliContext, script: string): string => {
  const exe = ctx.io.platform === 'win32' ? ['fedgate.cmd', 'fedgate.exe', 'fedgate'] : ['fedgate'];
  const first = (() => {
    for (const dir of (ctx.io.env.PATH ?? '').split(delimiter)) {
      for (const name of exe) if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
    return undefined;
  })();
  if (first !== undefined) {
    // npm's Windows shims are not links: there, the fedgate on PATH is taken as this one.
    if (ctx.io.platform === 'win32') return 'fedgate';
    try {
      if (realpathSync(first) === realpathSync(script)) return 'fedgate';
    } catch {}
  }
  const quote = (s: string) => (/^[A-Za-z0-9_./:@+=,-]+$/.test(s) ? s : `"${s}"`);
  return `${quote(process.execPath)} ${quote(script)}`;
};

/** Writes a file atomically in place of another (its real path, so a linked config stays linked). */
const replaceFile = (path: string, text: string): void => {
  const target = existsSync(path) ? realpathSync(path) : path;
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const mode = existsSync(target) ? statSync(target).mode & 0o777 : 0o600;
  const tmp = `${target}.fedgate-${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
};

/**
 * `fedgate configure [--prefix P] [--region R] [--dry-run]`: one profile per granted role in the
 * AWS config file, each `credential_process = fedgate credentials --role …` with a region; only
 * the profiles fedgate wrote (marked) are rewritten or removed, others are never touched.
 */
export const configure = async (
  ctx: CliContext,
  opts: { prefix?: string; region?: string; dryRun?: boolean; script: string },
): Promise<void> => {
  const prefix = opts.prefix ?? DEFAULT_PROFILE_PREFIX;
  if (!/^[A-Za-z0-9_.-]{0,32}$/.test(prefix)) {
    throw new CliError('prefix_invalid', `The prefix "${prefix}" is not allowed.`, {
      next: 'Use letters, digits and . _ - (up to 32).',
      exitCode: EXIT.usage,
    });
  }
  const r = await fetchRoles(ctx);
  const region = opts.region ?? r.defaultRegion;
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new CliError('region_invalid', `"${region}" is not an AWS region.`, {
      exitCode: EXIT.usage,
    });
  }
  const state = readState(ctx.paths);
  const host = parseGatewayUrl(state.gateway as string).host;
  const command = ctx.io.selfCommand?.() ?? defaultSelfCommand(ctx, opts.script);
  const names = new Map<string, number>();
  const wanted = r.roles.map((role) => {
    let name = profileNameOf(prefix, role);
    const seen = names.get(name) ?? 0;
    names.set(name, seen + 1);
    if (seen > 0) name = `${name}-${role.id.slice(0, 6)}`;
    return {
      name,
      lines: profileLines({ name, command, roleArgument: roleArgumentOf(role, r.roles), region }),
    };
  });
  const path = awsConfigPathOf(ctx.io);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const edit = editAwsConfig(before, host, wanted);
  for (const name of edit.skipped) {
    ctx.io.stderr(
      `fedgate: profile ${name} exists and is not fedgate's: left as it is (choose another --prefix).\n`,
    );
  }
  if (opts.dryRun) {
    const diff = lineDiff(before, edit.text);
    ctx.io.stdout(
      diff === ''
        ? `${path}: no change.\n`
        : `--- ${path}\n+++ ${path} (after fedgate configure)\n${diff}`,
    );
    return;
  }
  if (edit.text !== before) replaceFile(path, edit.text);
  ctx.io.stdout(
    `${path}: ${edit.written.length} fedgate profile${edit.written.length === 1 ? '' : 's'}` +
      `${edit.removed.length ? `, ${edit.removed.length} removed (${edit.removed.join(', ')})` : ''}` +
      `${edit.text === before ? ' (no change)' : ''}.\n` +
      edit.written
        .map((n) => `  aws sts get-caller-identity --profile ${n}\n`)
        .slice(0, 3)
        .join(''),
  );
};

/**
 * `fedgate console --role … [--region R] [--destination URL] [--print]`: the AWS console as that
 * role, in the browser (or the sign-in URL on stdout with --print: it is a secret for 15 minutes).
 */
export const openConsole = async (
  ctx: CliContext,
  opts: { role: string; region?: string; destination?: string; print?: boolean },
): Promise<void> => {
  const { answer } = await callWithSession(
    ctx,
    '/cli/console',
    {
      role: opts.role,
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.destination ? { destination: opts.destination } : {}),
    },
    { role: opts.role },
  );
  const url = stringField(answer.body, 'url');
  if (opts.print) {
    ctx.io.stdout(`${url}\n`);
    return;
  }
  ctx.io.stderr('Opening the AWS console in your browser.\n');
  await (ctx.io.openBrowser ?? ((u: string) => openInBrowser(u, ctx.io)))(url).catch(() => {
    throw new CliError('browser_failed', 'Could not open a browser.', {
      next: 'Run it with --print and open the address yourself (it works once, for 15 minutes).',
    });
  });
};

/**
 * `fedgate exec --role … [--region R] -- command …`: runs the command with the role's credentials
 * in its environment (and the region, when given), without a shell; exits with its exit code.
 */
export const exec = async (
  ctx: CliContext,
  opts: { role: string; region?: string; command: readonly string[] },
): Promise<number> => {
  const [command, ...args] = opts.command;
  if (!command) {
    throw new CliError('usage', 'Name the command to run after --.', {
      next: 'fedgate exec --role sandbox/Developer -- aws s3 ls',
      exitCode: EXIT.usage,
    });
  }
  const c = await credentialsFor(ctx, opts.role);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.io.env)) if (v !== undefined) env[k] = v;
  // Credentials in the environment come first for every AWS SDK; a profile would be confusing.
  delete env.AWS_PROFILE;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    AWS_SESSION_TOKEN: c.SessionToken,
    AWS_CREDENTIAL_EXPIRATION: c.Expiration,
    ...(opts.region ? { AWS_REGION: opts.region, AWS_DEFAULT_REGION: opts.region } : {}),
  });
  const run =
    ctx.io.run ??
    ((cmd: string, a: readonly string[], e: Record<string, string>) =>
      new Promise<number>((done, fail) => {
        const child = spawn(cmd, a, { stdio: 'inherit', env: e });
        child.once('error', (err) =>
          fail(
            new CliError('exec_failed', `Cannot run ${cmd}: ${(err as Error).message}.`, {
              exitCode: 127,
            }),
          ),
        );
        child.once('exit', (code, signal) =>
          done(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)),
        );
      }));
  return run(command, args, env);
};

/** `fedgate logout`: ends the session at the gateway and forgets it and its credentials here. */
export const logout = async (ctx: CliContext): Promise<void> => {
  const state = readState(ctx.paths);
  if (!state.session || !state.gateway || !state.client) {
    ctx.io.stdout('Not signed in.\n');
    return;
  }
  const { token } = state.session;
  let remote = 'ended at the gateway';
  try {
    const answer = await postTo(ctx, parseGatewayUrl(state.gateway))(
      '/cli/logout',
      { client: state.client },
      { bearer: token },
    );
    if (answer.status !== 204 && answer.status !== 200)
      remote = `not confirmed by the gateway (HTTP ${answer.status})`;
  } catch (err) {
    remote = `not ended at the gateway (${(err as Error).message}); it ends by itself at its time`;
  }
  await withStateLock(ctx.paths, lockOptions(ctx), async () => {
    const s = readState(ctx.paths);
    if (s.session?.token === token) {
      delete s.session;
      s.credentials = {};
      writeState(ctx.paths, s);
    }
  });
  ctx.io.stdout(`Signed out: the session is forgotten here and ${remote}.\n`);
};

/** `fedgate status`: who the CLI is signed in as, where, until when (no network). */
export const status = (ctx: CliContext): number => {
  const s = readState(ctx.paths);
  if (!s.session || !s.gateway) {
    ctx.io.stdout(`Not signed in${s.gateway ? ` to ${s.gateway}` : ''}. Sign in: fedgate login\n`);
    return EXIT.signIn;
  }
  const who = s.session.displayName
    ? `${s.session.displayName} (${s.session.idpDisplayName})`
    : s.session.idpDisplayName;
  const ends = Date.parse(s.session.endsAt);
  ctx.io.stdout(
    `Signed in to ${s.gateway} as ${who} on ${s.client ?? '?'}; the session ends ${new Date(ends).toLocaleString()}` +
      `${ends <= ctx.io.now() ? ' (ended: fedgate login)' : ''}.\n` +
      `Cached credentials: ${Object.keys(s.credentials ?? {}).length}. State: ${ctx.paths.state}\n`,
  );
  return EXIT.ok;
};
