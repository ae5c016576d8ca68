/**
 * fedgate's browser client for single-page apps (no framework, no dependencies; bundled for the
 * browser with esbuild). Five lines to AWS credentials in an SPA:
 *
 * @example
 * const fedgate = createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 'my-app',
 *   idp: 'okta', redirectUri: 'https://app.example.com/callback' });
 * await fedgate.handleRedirect();                 // on the redirect URI: redeems ?code=&state=
 * if (!(await fedgate.isSignedIn())) await fedgate.login();
 * const s3 = new S3Client({ region: 'eu-west-1', credentials: fedgate.credentialProvider() });
 *
 * Nothing secret touches a URL or storage that scripts of other origins can read: the PKCE
 * verifier and the login's `state` sit in this tab's sessionStorage only between `login()` and
 * `handleRedirect()`, credentials live in memory, and the fedgate session (like the login
 * binding) is an HttpOnly cookie of fedgate's origin. `handleRedirect()` accepts a code or an
 * error only with the `state` this tab stored: a code or an error from a login this tab did not
 * start (login CSRF, a URL someone sent) is refused.
 * This file runs in browsers: it uses only web platform APIs (fetch, crypto, URL).
 */

/** Temporary AWS credentials in the AWS SDK v3 `AwsCredentialIdentity` shape. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** A role the signed-in person may ask for, by opaque id. */
export interface FedgateGrant {
  id: string;
  label: string;
  accountId: string;
  accountAlias?: string;
}

/** What `POST /redeem` (one grant) and `POST /credentials` answer: credentials. */
export interface FedgateCredentials {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
  role: FedgateGrant & { arn: string };
  tags: Record<string, string>;
  identity: { idp: string; subject: string; displayName?: string };
  session: { endsAt: string };
}

/** The session's grants as the current rules give them (`POST /grants`, or `POST /redeem` with several). */
export interface FedgateSessionInfo {
  grants: FedgateGrant[];
  identity: { idp: string; subject: string; displayName?: string };
  session: { endsAt: string };
}

/**
 * A refusal from fedgate, with its stable `code` (e.g. `session_invalid`). `status` is the HTTP
 * status of the refusal; for one that came back through the redirect (`?error=`), 503 for
 * `temporarily_unavailable`, 500 for `server_error` and 400 otherwise.
 */
export class FedgateError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, description: string) {
    super(`${code}: ${description}`);
    this.name = 'FedgateError';
    this.status = status;
    this.code = code;
  }
}

/** The storage the login's verifier and state wait in until the redirect (the tab's sessionStorage). */
export interface VerifierStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface FedgateClientOptions {
  /** fedgate's public base URL, e.g. https://sso.example.com. */
  gatewayUrl: string;
  /** The SPA client id registered in fedgate's config (`spaClients`). */
  clientId: string;
  /** The upstream OIDC IdP id to sign in with. */
  idp: string;
  /** Where fedgate sends the browser back: exactly one of the client's registered URLs. */
  redirectUri: string;
  /** Renew credentials this long before they expire (default 300 s). */
  refreshMarginSeconds?: number;
  /** Browser defaults: window.sessionStorage, window.location, window.history, fetch. */
  storage?: VerifierStorage;
  navigate?: (url: string) => void;
  currentUrl?: () => string;
  replaceUrl?: (url: string) => void;
  fetch?: typeof fetch;
  /** Milliseconds; for tests. */
  now?: () => number;
}

interface BrowserGlobals {
  sessionStorage?: VerifierStorage;
  location?: { href: string; assign(url: string): void };
  history?: { replaceState(data: unknown, unused: string, url: string): void };
}

const LOGIN_KEY = 'fedgate.login';

const base64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** 32 random bytes, base64url: a PKCE verifier, or the login's `state`. */
const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** What `login()` leaves in the tab for `handleRedirect()`. */
interface PendingLogin {
  verifier: string;
  state: string;
}

const readPendingLogin = (raw: string | null | undefined): PendingLogin | undefined => {
  try {
    const v = JSON.parse(raw ?? '') as Partial<PendingLogin>;
    return typeof v.verifier === 'string' && typeof v.state === 'string'
      ? { verifier: v.verifier, state: v.state }
      : undefined;
  } catch {
    return undefined;
  }
};

/** HTTP-like status of a refusal that came back through the redirect. */
const redirectStatusOf = (code: string) =>
  code === 'temporarily_unavailable' ? 503 : code === 'server_error' ? 500 : 400;

/** A fresh PKCE pair (RFC 7636): 32 random bytes as the verifier, its S256 challenge. */
export const createPkce = async (): Promise<{ verifier: string; challenge: string }> => {
  const verifier = randomToken();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
};

/** Maps `POST /credentials` to the AWS SDK v3 credential shape. */
export const toAwsCredentials = (c: FedgateCredentials): AwsCredentialIdentity => ({
  accessKeyId: c.AccessKeyId,
  secretAccessKey: c.SecretAccessKey,
  sessionToken: c.SessionToken,
  expiration: new Date(c.Expiration),
});

/**
 * Creates the client. `login()` starts a sign-in (PKCE challenge to fedgate, verifier kept in this
 * tab), `handleRedirect()` redeems the one-time code on the way back, `getCredentials()` returns
 * cached credentials or fresh ones from the fedgate session (no new login until it ends),
 * `credentialProvider()` is that as an AWS SDK v3 provider, `logout()` ends the session.
 */
export const createFedgateClient = (options: FedgateClientOptions) => {
  const g = globalThis as unknown as BrowserGlobals;
  const storage = options.storage ?? g.sessionStorage;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? (() => Date.now());
  const navigate = options.navigate ?? ((url: string) => g.location?.assign(url));
  const currentUrl = options.currentUrl ?? (() => g.location?.href ?? '');
  const replaceUrl =
    options.replaceUrl ?? ((url: string) => g.history?.replaceState(null, '', url));
  const margin = (options.refreshMarginSeconds ?? 300) * 1000;
  const gateway = new URL(options.gatewayUrl);
  // One set of credentials per grant id ('' = the only grant), kept in memory only.
  const cache = new Map<string, FedgateCredentials>();
  const pending = new Map<string, Promise<FedgateCredentials>>();

  const endpoint = (path: string) => {
    const url = new URL(`${gateway.pathname.replace(/\/+$/, '')}${path}`, gateway.origin);
    url.searchParams.set('client_id', options.clientId);
    return url.href;
  };

  const call = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await doFetch(endpoint(path), {
      method: 'POST',
      // The session cookie is fedgate's (HttpOnly): it only travels with credentials: 'include'.
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    let data: Record<string, unknown> = {};
    try {
      data = (await res.json()) as Record<string, unknown>;
    } catch {
      // Non-JSON: a network middlebox or no CORS grant; reported below.
    }
    if (!res.ok) {
      throw new FedgateError(
        res.status,
        String(data.error ?? 'request_failed'),
        String(data.error_description ?? `HTTP ${res.status}`),
      );
    }
    return data as T;
  };

  const remember = (grantId: string | undefined, c: FedgateCredentials) => {
    cache.set(grantId ?? '', c);
    cache.set(c.role.id, c);
    return c;
  };

  const client = {
    /**
     * Sends the browser to fedgate's login with a fresh S256 challenge and a fresh `state`; the
     * verifier and the state wait in this tab's sessionStorage.
     */
    async login(): Promise<void> {
      if (!storage) throw new Error('fedgate: no sessionStorage for the PKCE verifier');
      const { verifier, challenge } = await createPkce();
      const state = randomToken();
      storage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state } satisfies PendingLogin));
      const url = new URL(
        `${gateway.pathname.replace(/\/+$/, '')}/oidc/${encodeURIComponent(options.idp)}/login`,
        gateway.origin,
      );
      url.search = new URLSearchParams({
        client_id: options.clientId,
        return_to: options.redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
      }).toString();
      navigate(url.href);
    },

    /**
     * On the redirect URI: takes `?code=&state=` (or `?error=&state=`) out of the address bar,
     * checks `state` against the one this tab's `login()` stored (once), and redeems the code at
     * `POST /redeem` with this tab's verifier (fedgate also checks the login-binding cookie).
     * Returns the session (credentials when there is one grant); `undefined` when the URL
     * carries neither a code nor an error.
     * @throws FedgateError: spa_verifier_missing (no login started in this tab),
     * spa_state_mismatch (a code or error from another login), the refusal's own code for
     * `?error=` (e.g. no_role_matched), and the redemption's (spa_code_invalid,
     * spa_login_binding_invalid, spa_verifier_mismatch, …).
     */
    async handleRedirect(
      href: string = currentUrl(),
    ): Promise<FedgateCredentials | FedgateSessionInfo | undefined> {
      const url = new URL(href);
      const code = url.searchParams.get('code');
      const error = url.searchParams.get('error');
      if (!code && !error) return undefined;
      const returned = url.searchParams.get('state');
      for (const name of ['code', 'state', 'error']) url.searchParams.delete(name);
      replaceUrl(url.href);
      const pending = readPendingLogin(storage?.getItem(LOGIN_KEY));
      storage?.removeItem(LOGIN_KEY);
      if (!pending) {
        throw new FedgateError(400, 'spa_verifier_missing', 'No sign-in started here.');
      }
      if (returned !== pending.state) {
        throw new FedgateError(
          400,
          'spa_state_mismatch',
          'This sign-in was not started here. Please sign in again.',
        );
      }
      if (error) {
        throw new FedgateError(redirectStatusOf(error), error, 'fedgate refused the sign-in.');
      }
      const out = await call<FedgateCredentials | FedgateSessionInfo>('/redeem', {
        code,
        code_verifier: pending.verifier,
      });
      if ('AccessKeyId' in out) remember(undefined, out);
      return out;
    },

    /**
     * The session's grants (what the current rules give it now) and identity.
     * @throws FedgateError session_invalid, session_revoked.
     */
    listGrants: (): Promise<FedgateSessionInfo> => call<FedgateSessionInfo>('/grants', {}),

    /** Whether a fedgate session exists for this SPA in this browser. */
    async isSignedIn(): Promise<boolean> {
      try {
        await client.listGrants();
        return true;
      } catch (err) {
        if (err instanceof FedgateError && err.status === 401) return false;
        throw err;
      }
    },

    /**
     * Credentials for `grant` (an id from `listGrants()`; omit with one grant): cached until
     * `refreshMarginSeconds` before expiry, then fresh ones from the session.
     * @throws FedgateError (session_invalid after logout or the session's end, session_revoked,
     * grant_not_available / no_role_matched when the rules no longer grant it, …).
     */
    async getDetailedCredentials(
      opts: { grant?: string; forceRefresh?: boolean } = {},
    ): Promise<FedgateCredentials> {
      const hit = cache.get(opts.grant ?? '');
      if (!opts.forceRefresh && hit && Date.parse(hit.Expiration) - now() > margin) return hit;
      // Concurrent callers for one grant (several SDK clients) share one refresh.
      const key = opts.grant ?? '';
      let refresh = pending.get(key);
      if (!refresh) {
        refresh = call<FedgateCredentials>('/credentials', opts.grant ? { grant: opts.grant } : {});
        pending.set(key, refresh);
        void refresh.then(
          () => pending.delete(key),
          () => pending.delete(key),
        );
      }
      return remember(opts.grant, await refresh);
    },

    /** {@link getDetailedCredentials} in the AWS SDK v3 shape. */
    async getCredentials(
      opts: { grant?: string; forceRefresh?: boolean } = {},
    ): Promise<AwsCredentialIdentity> {
      return toAwsCredentials(await client.getDetailedCredentials(opts));
    },

    /** An AWS SDK v3 credential provider: `new S3Client({ credentials: fedgate.credentialProvider() })`. */
    credentialProvider: (grant?: string) => (): Promise<AwsCredentialIdentity> =>
      client.getCredentials(grant ? { grant } : {}),

    /** Ends the fedgate session and forgets the credentials. */
    async logout(): Promise<void> {
      cache.clear();
      await call<void>('/logout', {});
    },
  };
  return client;
};

export type FedgateClient = ReturnType<typeof createFedgateClient>;
