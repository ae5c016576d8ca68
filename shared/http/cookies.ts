/**
 * `__Host-` cookies only: Secure, Path=/, no Domain, so no sibling subdomain can set or read them
 * (RFC 6265bis §4.1.3.2). SameSite is chosen per flow: `Lax` for cookies that must survive a
 * top-level redirect back from an IdP, `None` for one that must survive a cross-site form POST
 * (SAML HTTP-POST binding), `Strict` otherwise.
 */
export interface CookieOptions {
  maxAgeSeconds: number;
  sameSite: 'Strict' | 'Lax' | 'None';
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
// RFC 6265 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
const VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,4000}$/;

/** The full cookie name for a short name: `txn` → `__Host-fedgate-txn`. */
export const cookieName = (name: string): string => `__Host-fedgate-${name}`;

/**
 * Builds a `Set-Cookie` value for a `__Host-` cookie (HttpOnly, Secure, Path=/).
 * @throws TypeError for a name or value outside the cookie grammar (a programming error).
 * @example serializeCookie('txn', 'abc', { maxAgeSeconds: 600, sameSite: 'Lax' })
 */
export const serializeCookie = (name: string, value: string, opts: CookieOptions): string => {
  if (!NAME.test(name)) throw new TypeError('cookie name outside [A-Za-z0-9_-]');
  if (!VALUE.test(value)) throw new TypeError('cookie value outside the cookie-octet grammar');
  return `${cookieName(name)}=${value}; Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}; Path=/; Secure; HttpOnly; SameSite=${opts.sameSite}`;
};

/** A `Set-Cookie` value that deletes the cookie. */
export const clearCookie = (name: string, sameSite: CookieOptions['sameSite'] = 'Lax'): string =>
  serializeCookie(name, '', { maxAgeSeconds: 0, sameSite });

/**
 * Reads fedgate's `__Host-` cookies from API Gateway v2's `cookies` array. Only the `__Host-`
 * name counts (a plain `fedgate-txn` set by a sibling domain is ignored); a name sent twice is
 * treated as absent, because which one is ours cannot be known.
 */
export const readCookie = (
  cookies: readonly string[] | undefined,
  name: string,
): string | undefined => {
  const full = cookieName(name);
  let found: string | undefined;
  let count = 0;
  for (const header of cookies ?? []) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== full) continue;
      count++;
      found = pair.slice(eq + 1).trim();
    }
  }
  return count === 1 && found !== undefined && VALUE.test(found) ? found : undefined;
};
