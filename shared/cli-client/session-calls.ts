import type { CliContext } from './context.js';
import { CliError, EXIT, signInAgain } from './errors.js';
import {
  createGatewayPost,
  explainRefusal,
  type GatewayAnswer,
  type GatewayPost,
  parseGatewayUrl,
} from './gateway.js';
import { type CliState, readState, withStateLock, writeState } from './state-file.js';

/** Beyond this, AWS itself refuses signed requests (5 minutes), so the person must know. */
const CLOCK_SKEW_WARNING_MS = 5 * 60_000;

/**
 * The transport to a gateway: the injected one, or node:https (through `HTTPS_PROXY` from the
 * CLI's environment). Every call to the gateway — sign-in, device flow, credentials, logout —
 * goes through here.
 */
export const postTo = (ctx: CliContext, base: URL): GatewayPost =>
  ctx.io.post?.(base) ??
  createGatewayPost({
    base,
    userAgent: `fedgate-cli/${ctx.io.version} (node ${process.version}; ${ctx.io.platform})`,
    now: ctx.io.now,
    env: ctx.io.env,
  });

/**
 * Keeps fedgate's clock offset (from the answer's `Date`) for the cache's expiry checks, and
 * warns once when this computer's clock is off by more than AWS tolerates.
 */
export const noteClock = (ctx: CliContext, state: CliState, answer: GatewayAnswer): void => {
  if (answer.clockOffsetMs === undefined) return;
  state.clockOffsetMs = answer.clockOffsetMs;
  const off = answer.clockOffsetMs;
  if (Math.abs(off) > CLOCK_SKEW_WARNING_MS && !ctx.clockWarned) {
    ctx.clockWarned = true;
    const minutes = Math.round(Math.abs(off) / 60_000);
    ctx.io.stderr(
      `fedgate: warning: this computer's clock is ${minutes} minutes ${off > 0 ? 'behind' : 'ahead of'} fedgate's.\n` +
        '  AWS refuses requests signed with a wrong clock: set the clock right (turn on automatic time).\n',
    );
  }
};

/** The lock options for this machine. */
export const lockOptions = (ctx: CliContext) => ({ hostname: ctx.io.hostname, now: ctx.io.now });

/** The session, gateway and client of a signed-in CLI, or the error that says to sign in. */
export const requireSession = (state: CliState) => {
  if (!state.session || !state.gateway || !state.client) {
    throw signInAgain('not_signed_in', 'You are not signed in to fedgate.');
  }
  return { session: state.session, gateway: state.gateway, client: state.client };
};

/**
 * Forgets the session after fedgate said it ended (and every cached credential with it), so
 * later calls fail at once with the same next step instead of asking fedgate again.
 */
export const forgetSession = async (
  ctx: CliContext,
  token: string,
  opts: { locked?: boolean } = {},
): Promise<void> => {
  const forget = async () => {
    const state = readState(ctx.paths);
    if (state.session?.token !== token) return; // a new sign-in meanwhile
    delete state.session;
    state.credentials = {};
    writeState(ctx.paths, state);
  };
  await (opts.locked ? forget() : withStateLock(ctx.paths, lockOptions(ctx), forget));
};

/**
 * One call with the session's bearer token: refusals become explained errors, and an ended or
 * revoked session is forgotten locally.
 * @throws CliError (see explainRefusal), gateway_unreachable, tls_failed.
 */
export const callWithSession = async (
  ctx: CliContext,
  path: string,
  body: Record<string, unknown>,
  /** `locked`: the caller holds the state lock (a refresh). */
  opts: { role?: string; state?: CliState; locked?: boolean } = {},
): Promise<{ answer: GatewayAnswer; state: CliState }> => {
  const state = opts.state ?? readState(ctx.paths);
  const { session, gateway, client } = requireSession(state);
  const post = postTo(ctx, parseGatewayUrl(gateway));
  const answer = await post(path, { client, ...body }, { bearer: session.token });
  noteClock(ctx, state, answer);
  if (answer.status >= 200 && answer.status < 300) return { answer, state };
  const err = explainRefusal(answer, opts.role);
  if (err.exitCode === EXIT.signIn) {
    await forgetSession(ctx, session.token, { locked: opts.locked === true });
  }
  throw err;
};

/** A string field of an answer, or the error saying fedgate answered unexpectedly. */
export const stringField = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof v !== 'string') {
    throw new CliError('gateway_unexpected', `fedgate's answer has no ${name}.`, {
      next: 'Check that the CLI and the gateway are of matching versions.',
      exitCode: EXIT.gateway,
    });
  }
  return v;
};
