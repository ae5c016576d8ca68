import type { CliContext } from './context.js';
import { freshCredentials } from './credentials.js';
import { callWithSession, lockOptions, stringField } from './session-calls.js';
import { type CachedCredentials, readState, withStateLock, writeState } from './state-file.js';

/**
 * Renews a role's credentials through the fedgate session, holding the state lock: a process that
 * waited for the lock first reads the state again and takes what the holder just fetched, so any
 * number of concurrent `credential_process` calls refresh once. Expired entries are dropped from
 * the cache on the way.
 */
export const refreshCredentials = (ctx: CliContext, role: string): Promise<CachedCredentials> =>
  withStateLock(ctx.paths, lockOptions(ctx), async () => {
    const state = readState(ctx.paths);
    const cached = freshCredentials(state, role, ctx.io.now());
    if (cached) return cached;
    const { answer } = await callWithSession(
      ctx,
      '/cli/credentials',
      { role },
      {
        role,
        state,
        locked: true,
      },
    );
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
    writeState(ctx.paths, state);
    return entry;
  });
