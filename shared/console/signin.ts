import { DURATION_MIN_SECONDS } from '../aws-rules.js';
import { type Clock, systemClock } from '../clock.js';
import { DependencyUnavailableError, GatewayError, readResponseCapped } from '../http/index.js';
import { type AwsSessionCredentials, clampDuration } from '../sts/index.js';
import { isAllowedConsoleDestination, parseConsoleDestination } from './destination.js';
import { ConsoleSigninFailedError } from './errors.js';

/** The global AWS federation endpoint (regional ones: `https://<region>.signin.aws.amazon.com/federation`). */
export const AWS_FEDERATION_ENDPOINT = 'https://signin.aws.amazon.com/federation';

/** A SigninToken is about a kilobyte; anything far larger is not an answer from AWS. */
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

export interface ConsoleSigninDeps {
  /** Injected `fetch` (global fetch in functions/, a fake in tests). */
  fetch: typeof fetch;
  /**
   * The federation endpoint: `https://signin.aws.amazon.com/federation` or a regional
   * `https://<region>.signin.aws.amazon.com/federation` (the token is only valid where it was
   * issued, so `getSigninToken` and `login` use the same one).
   */
  federationEndpoint: URL;
  /** fedgate's public URL: the `Issuer` the console sends people back to when the session ends. */
  issuerUrl: URL;
  /** Budget for the whole `getSigninToken` exchange (connect, headers and body). */
  timeoutMs: number;
  /** Cap on the response body (default 64 KiB). */
  maxResponseBytes?: number;
  /** The clock (shared/clock.ts), read at each call so fake clocks apply. */
  clock?: Clock;
}

/** What one console hand-off needs. */
export interface SigninUrlRequest {
  /** The session's credentials, with their `expiration` (what STS actually granted). */
  credentials: Pick<
    AwsSessionCredentials,
    'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'
  >;
  /** An allowlisted console URL (from {@link parseConsoleDestination}); re-checked here. */
  destination: URL;
  /**
   * Console session length asked for (the grant's duration); clamped to what the credentials
   * have left, then into 900..43200 s.
   */
  sessionDurationSeconds: number;
}

/**
 * The console `SessionDuration` for credentials: the requested length, but no longer than the
 * credentials have left (STS may have granted less than asked: fedgate falls back to 3600 s when a
 * role's maximum is lower), within the federation endpoint's 900..43200 s. Credentials whose
 * expiry cannot be read get the shortest console session.
 * @example consoleSessionSeconds(43_200, new Date(Date.now() + 3_600_000), Date.now()) // 3600
 */
export const consoleSessionSeconds = (
  requestedSeconds: number,
  expiration: Date,
  nowMs: number,
): number => {
  const left = Math.floor((expiration.getTime() - nowMs) / 1000);
  if (!Number.isFinite(left)) return DURATION_MIN_SECONDS;
  return clampDuration(Math.min(clampDuration(requestedSeconds), left));
};

export interface ConsoleSignin {
  /**
   * Exchanges the credentials for a SigninToken and returns the `login` URL to 302 the person to.
   * The URL carries the SigninToken (valid 15 minutes, a bearer secret): deliver it only as a
   * `Location` header, never log it.
   * @throws `temporarily_unavailable` (503) when the federation endpoint is slow, unreachable,
   * throttling or failing; `console_signin_failed` (502) when it refuses or answers garbage.
   */
  buildSigninUrl(request: SigninUrlRequest): Promise<URL>;
}

const isTimeout = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');

/** A Node system error code from fetch's `TypeError('fetch failed')` cause chain, if any. */
const networkCodeOf = (err: unknown): string | undefined => {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * Creates the console hand-off through the AWS federation endpoint: `getSigninToken` with the
 * session credentials (server to server), then the `login` URL with `Issuer`, `Destination` and
 * `SigninToken`. `SessionDuration` is always sent: the credentials come from AssumeRoleWith*
 * (never role chaining, for which AWS refuses a SessionDuration), so 900–43200 s is allowed; it is
 * the requested length clamped to what the credentials have left ({@link consoleSessionSeconds}).
 * @example
 * const signin = createConsoleSignin({ fetch, federationEndpoint: new URL(AWS_FEDERATION_ENDPOINT), issuerUrl, timeoutMs: 3000 });
 * const url = await signin.buildSigninUrl({ credentials, destination, sessionDurationSeconds: 3600 });
 */
export const createConsoleSignin = (deps: ConsoleSigninDeps): ConsoleSignin => {
  const maxBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = deps.clock ?? systemClock;

  const getSigninToken = async (
    credentials: SigninUrlRequest['credentials'],
    sessionDurationSeconds: number,
  ): Promise<string> => {
    const url = new URL(deps.federationEndpoint.href);
    url.search = new URLSearchParams({
      Action: 'getSigninToken',
      // Never longer than the credentials last: a 12 h console session on 1 h credentials
      // would outlive what STS granted (and what the trust policy allows).
      SessionDuration: String(
        consoleSessionSeconds(sessionDurationSeconds, credentials.expiration, now()),
      ),
      Session: JSON.stringify({
        sessionId: credentials.accessKeyId,
        sessionKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
      }),
    }).toString();
    const signal = AbortSignal.timeout(deps.timeoutMs);
    try {
      const res = await deps.fetch(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal,
      });
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        throw new DependencyUnavailableError('federation', `getSigninToken answered ${res.status}`);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new ConsoleSigninFailedError(`getSigninToken answered ${res.status}`);
      }
      const text = (
        await readResponseCapped(
          res,
          maxBytes,
          () =>
            new ConsoleSigninFailedError(`getSigninToken answer is larger than ${maxBytes} bytes`),
        )
      ).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ConsoleSigninFailedError('getSigninToken answer is not JSON');
      }
      const token = (body as { SigninToken?: unknown } | null)?.SigninToken;
      if (typeof token !== 'string' || token.length === 0) {
        throw new ConsoleSigninFailedError('getSigninToken answer has no SigninToken');
      }
      return token;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      // Only the error's kind goes into the detail: the request URL holds the credentials.
      if (isTimeout(err) || signal.aborted) {
        throw new DependencyUnavailableError(
          'federation',
          `getSigninToken timed out after ${deps.timeoutMs} ms`,
        );
      }
      const code = networkCodeOf(err);
      throw new DependencyUnavailableError(
        'federation',
        `getSigninToken failed (${code ?? (err instanceof Error ? err.name : 'unknown error')})`,
      );
    }
  };

  return {
    async buildSigninUrl({ credentials, destination, sessionDurationSeconds }) {
      // Defence in depth: callers pass an allowlisted URL; anything else becomes the default.
      const target = isAllowedConsoleDestination(destination)
        ? destination
        : parseConsoleDestination(undefined);
      const signinToken = await getSigninToken(credentials, sessionDurationSeconds);
      const login = new URL(deps.federationEndpoint.href);
      login.search = new URLSearchParams({
        Action: 'login',
        Issuer: deps.issuerUrl.href,
        Destination: target.href,
        SigninToken: signinToken,
      }).toString();
      return login;
    },
  };
};
