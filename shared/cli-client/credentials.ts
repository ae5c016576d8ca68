import type { CliContext } from './context.js';
import { signInAgain } from './errors.js';
import { type CachedCredentials, type CliState, readState } from './state-file.js';

/**
 * How long before its expiry a cached credential is renewed: a third of its lifetime, at most
 * 15 minutes (botocore starts refreshing 15 minutes before expiry, the JS SDK 5): 1-hour
 * credentials are reused for 45 minutes, 15-minute ones (STS's least) for 10.
 */
export const refreshMarginMs = (c: Pick<CachedCredentials, 'Expiration' | 'fetchedAt'>): number => {
  const lifetime = Date.parse(c.Expiration) - c.fetchedAt;
  return Math.min(15 * 60_000, Math.max(0, Math.floor(lifetime / 3)));
};

/**
 * Cached credentials with less than this left are never served, not even while fedgate is in
 * trouble: a tool needs a moment to use them.
 */
export const MIN_SERVED_MS = 60_000;

/** The cached credentials for a role that are still valid for more than MIN_SERVED_MS. */
export const unexpiredCredentials = (
  state: CliState,
  role: string,
  nowMs: number,
): CachedCredentials | undefined => {
  const c = state.credentials?.[role];
  if (!c || typeof c.Expiration !== 'string' || typeof c.fetchedAt !== 'number') return undefined;
  const left = Date.parse(c.Expiration) - (nowMs + (state.clockOffsetMs ?? 0));
  return left > MIN_SERVED_MS ? c : undefined;
};

/**
 * The cached credentials for a role if they are good for longer than their refresh margin, on
 * fedgate's clock (the offset measured from its last answer), or — while a failed renewal's
 * retry time has not come (fedgate was unreachable, failing or throttling) — as long as they are
 * unexpired; else undefined.
 */
export const freshCredentials = (
  state: CliState,
  role: string,
  nowMs: number,
): CachedCredentials | undefined => {
  const c = unexpiredCredentials(state, role, nowMs);
  if (!c) return undefined;
  const t = nowMs + (state.clockOffsetMs ?? 0);
  if (Date.parse(c.Expiration) - t > refreshMarginMs(c)) return c;
  return typeof c.retryAt === 'number' && t < c.retryAt ? c : undefined;
};

/** The credential_process output (Version 1): exactly the fields AWS tools read. */
export const processJson = (c: CachedCredentials): string =>
  JSON.stringify({
    Version: 1,
    AccessKeyId: c.AccessKeyId,
    SecretAccessKey: c.SecretAccessKey,
    SessionToken: c.SessionToken,
    Expiration: c.Expiration,
  });

/** POSIX single quotes: nothing inside is expanded. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** `export` lines for a POSIX shell (`eval "$(fedgate credentials --role … --format env)"`). */
export const envLines = (c: CachedCredentials, region: string | undefined): string =>
  [
    ['AWS_ACCESS_KEY_ID', c.AccessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.SecretAccessKey],
    ['AWS_SESSION_TOKEN', c.SessionToken],
    ['AWS_CREDENTIAL_EXPIRATION', c.Expiration],
    ...(region ? [['AWS_REGION', region] as const, ['AWS_DEFAULT_REGION', region] as const] : []),
  ]
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');

/**
 * The credentials for a role: from the cache while fresh (one file read, nothing else loaded —
 * the path `credential_process` takes most of the time), else renewed through the fedgate
 * session under the state lock. Never opens a browser: a tool calling credential_process cannot
 * show one, so an ended session is an error with the command to run.
 * @throws CliError not_signed_in, session_invalid / session_revoked (exit 3), grant_not_available
 * (exit 4), gateway_unreachable / tls_failed (exit 5).
 */
export const credentialsFor = async (ctx: CliContext, role: string): Promise<CachedCredentials> => {
  const state = readState(ctx.paths);
  const cached = freshCredentials(state, role, ctx.io.now());
  if (cached) return cached;
  if (!state.session || !state.gateway || !state.client) {
    throw signInAgain('not_signed_in', 'You are not signed in to fedgate.');
  }
  const { refreshCredentials } = await import('./refresh.js');
  return refreshCredentials(ctx, role);
};
