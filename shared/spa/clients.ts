import type { SpaClient } from '../config/index.js';
import type { Grant } from '../mapping/index.js';
import type { SpaClientRegistry } from '../store/index.js';
import { SpaClientUnknownError, SpaReturnToInvalidError } from './errors.js';

/** A registry over a fixed list (tests, and anything that holds the parsed config). */
export const createStaticSpaClients = (clients: readonly SpaClient[]): SpaClientRegistry => ({
  get: async (id) => clients.find((c) => c.id === id),
});

/**
 * The SPA client named by `client_id`.
 * @throws spa_client_unknown (400).
 */
export const requireSpaClient = async (
  registry: SpaClientRegistry,
  clientId: string | undefined,
): Promise<SpaClient> => {
  const client = clientId ? await registry.get(clientId) : undefined;
  if (!client) throw new SpaClientUnknownError(`no SPA client "${(clientId ?? '').slice(0, 64)}"`);
  return client;
};

/**
 * `return_to` → the client's allowlisted URL, compared exactly (SECURITY.md §6): parsed with the
 * WHATWG URL parser, then the origin must equal the client's origin and the path one of its
 * `returnPaths`, with no query, fragment or credentials. `//evil`, `/\evil`, `user@host`,
 * `javascript:`, CR/LF, look-alike hosts, other ports and paths all fail.
 * @throws spa_return_to_invalid (400).
 */
export const parseSpaReturnTo = (client: SpaClient, raw: string | undefined): URL => {
  if (!raw || raw.length > 2048) throw new SpaReturnToInvalidError('return_to missing or long');
  // The parser drops tabs and newlines, trims spaces and reads "\\" as "/"; an exact URL holds
  // only visible ASCII and no backslash.
  if (/[^\x21-\x7e]|\\/.test(raw)) {
    throw new SpaReturnToInvalidError('return_to holds whitespace, control characters or "\\"');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SpaReturnToInvalidError('return_to is not an absolute URL');
  }
  if (
    url.origin !== client.origin ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    raw.includes('#') ||
    raw.includes('?') ||
    !client.returnPaths.includes(url.pathname) ||
    // Exactly as registered: no normalisation (`..`, case, default port) is accepted either.
    raw !== url.href ||
    url.href !== `${client.origin}${url.pathname}`
  ) {
    throw new SpaReturnToInvalidError(`return_to is not one of client ${client.id}'s URLs`);
  }
  return url;
};

/**
 * The grants this client may hand out: all of them without `allowedRoles`, else those whose role
 * ARN or 12-digit account id is listed (compared exactly: a near miss grants less, never more).
 */
export const spaGrantsOf = (client: SpaClient, grants: readonly Grant[]): Grant[] => {
  const allowed = client.allowedRoles;
  if (!allowed) return [...grants];
  return grants.filter((g) => allowed.includes(g.roleArn) || allowed.includes(g.accountId));
};

/**
 * Where a refused SPA sign-in returns: `origin` + `errorPath` (default: the first of
 * `returnPaths`), joined as strings so that a path such as `//host` stays a path of the origin.
 * @throws spa_return_to_invalid when the result is not under the client's origin.
 */
export const spaErrorUrl = (client: SpaClient): URL => {
  const path = client.errorPath ?? client.returnPaths[0] ?? '/';
  const url = new URL(`${client.origin}${path}`);
  if (url.origin !== client.origin) {
    throw new SpaReturnToInvalidError(`client ${client.id}'s errorPath leaves its origin`);
  }
  return url;
};
