import type { CliContext } from './context.js';
import { freshCredentials, unexpiredCredentials } from './credentials.js';
import { CliError, EXIT } from './errors.js';
import type { GatewayAnswer } from './gateway.js';
import { callWithSession, lockOptions, stringField } from './session-calls.js';
import { type CachedCredentials, readState, withStateLock, writeState } from './state-file.js';

/** After a renewal failed for fedgate's trouble, how long the cached credentials serve unasked. */
const RETRY_AFTER_MS = 30_000;

/**
 * Renews a role's credentials through the fedgate session, holding the state lock: a process that
 * waited for the lock first reads the state again and takes what the holder just fetched, so any
 * number of concurrent `credential_process` calls refresh once. Expired entries are dropped from
 * the cache on the way.
 */
export const refreshCredentials = (ctx: CliContext, role: string): Promise<CachedCredentials> => {
  const waitingSince = ctx.io.now();
  return withStateLock(ctx.paths, lockOptions(ctx), async () => {
    const state = readState(ctx.paths);
    const cached = freshCredentials(state, role, ctx.io.now());
    if (cached) return cached;
    // The holder before us failed to reach fedgate while we waited: its answer is ours too (as a
    // success would be), rather than each waiter spending another timeout in turn.
    const failed = state.refreshFailures?.[role];
    if (failed && failed.at >= waitingSince) {
      throw new CliError(failed.code, failed.message, {
        ...(failed.next !== undefined ? { next: failed.next } : {}),
        exitCode: EXIT.gateway,
      });
    }
    let answer: GatewayAnswer;
    try {
      ({ answer } = await callWithSession(
        ctx,
        '/cli/credentials',
        { role },
        { role, state, locked: true },
      ));
    } catch (err) {
      // fedgate's trouble (unreachable, TLS, 5xx, throttled), not its answer: credentials that are
      // still valid serve until they expire, so a blip does not break every AWS command. An
      // answer — session ended or revoked, role no longer granted — is never overridden.
      if (!(err instanceof CliError) || err.exitCode !== EXIT.gateway) throw err;
      const still = unexpiredCredentials(state, role, ctx.io.now());
      if (!still) {
        state.refreshFailures = {
          ...state.refreshFailures,
          [role]: {
            at: ctx.io.now(),
            code: err.code,
            message: err.message,
            ...(err.next !== undefined ? { next: err.next } : {}),
          },
        };
        writeState(ctx.paths, state);
        throw err;
      }
      still.retryAt = ctx.io.now() + (state.clockOffsetMs ?? 0) + RETRY_AFTER_MS;
      writeState(ctx.paths, state);
      ctx.io.stderr(
        `fedgate: warning: could not renew the credentials for ${role}: ${err.message}\n` +
          `  Using the cached ones, valid until ${still.Expiration}.\n`,
      );
      return still;
    }
    const body = answer.body;
    const entry: CachedCredentials = {
      AccessKeyId: stringField(body, 'AccessKeyId'),
      SecretAccessKey: stringField(body, 'SecretAccessKey'),
      SessionToken: stringField(body, 'SessionToken'),
      Expiration: stringField(body, 'Expiration'),
      fetchedAt: ctx.io.now() + (state.clockOffsetMs ?? 0),
      roleArn: stringField((body as { role?: unknown }).role, 'roleArn'),
    };
    const now = ctx.io.now() + (state.clockOffsetMs ?? 0);
    state.credentials = Object.fromEntries(
      Object.entries(state.credentials ?? {}).filter(([, c]) => Date.parse(c.Expiration) > now),
    );
    state.credentials[role] = entry;
    if (state.refreshFailures) delete state.refreshFailures[role];
    writeState(ctx.paths, state);
    return entry;
  });
};
