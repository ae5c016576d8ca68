import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { serializeCookie } from '../http/cookies.js';
import { SessionIdentitySchema } from '../session/index.js';
import { STATE_KEY_PREFIXES, type StateKey, type StateStore, stateKey } from '../store/index.js';
import * as z from '../zod.js';

/** How long the browser has to bring the one-time code back to `POST /redeem`. */
export const SPA_CODE_TTL_SECONDS = 60;

/**
 * The login-binding cookie, `__Host-fedgate-spa-login`: 256 random bits set on the response to an
 * SPA's `GET /oidc/{idp}/login`, whose SHA-256 goes into the transaction and then into the
 * one-time code. `POST /redeem` requires it, so a code is redeemable only in the browser that
 * started its login. SameSite=None: the SPA redeems with a cross-site `fetch(…, { credentials:
 * 'include' })` when it is served from another site than fedgate.
 */
export const SPA_LOGIN_COOKIE = 'spa-login';

/** The login-binding cookie lives as long as the OIDC transaction (SECURITY.md §2: 10 minutes). */
export const SPA_LOGIN_TTL_SECONDS = 600;

/** An S256 PKCE challenge (RFC 7636 §4.2): base64url of a SHA-256, 43 characters. */
export const isS256Challenge = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);

/** RFC 7636 §4.1: 43-128 unreserved characters. */
export const isPkceVerifier = (value: string): boolean => /^[A-Za-z0-9._~-]{43,128}$/.test(value);

/**
 * The SPA's own `state` at login: 22-128 unreserved characters (at least 128 bits when random),
 * echoed on the way back so the SPA can refuse a code or an error its own login did not start.
 */
export const isSpaState = (value: string): boolean => /^[A-Za-z0-9._~-]{22,128}$/.test(value);

const sameBytes = (x: Buffer, y: Buffer): boolean => x.length === y.length && timingSafeEqual(x, y);

/** BASE64URL(SHA256(verifier)) compared in constant time with the stored challenge. */
export const verifierMatches = (verifier: string, challenge: string): boolean =>
  sameBytes(
    createHash('sha256').update(verifier, 'ascii').digest(),
    Buffer.from(challenge, 'base64url'),
  );

// Codes and login-binding cookies are bearer secrets: the table holds only their SHA-256, so
// reading the table (a backup, a console view) gives nothing a browser could present.
const sha256 = (label: string, secret: string): string =>
  createHash('sha256').update(`${label}\n${secret}`).digest('base64url');

/** The state table key of a one-time code: `CODE#<sha256(code)>`. */
export const codeKey = (code: string): StateKey =>
  stateKey(STATE_KEY_PREFIXES.code, sha256('fedgate-spa-code', code));

/** What the transaction and the code keep of the login-binding cookie: its SHA-256. */
export const loginBindingHash = (cookieValue: string): string =>
  sha256('fedgate-spa-login', cookieValue);

/** Whether a presented login-binding cookie is the one whose hash was stored (constant time). */
export const isLoginBinding = (cookieValue: string | undefined, storedHash: string): boolean =>
  cookieValue !== undefined &&
  sameBytes(Buffer.from(loginBindingHash(cookieValue)), Buffer.from(storedHash));

/**
 * A fresh login binding for an SPA's login response: the `Set-Cookie` value and the hash to store.
 * @example const { cookie, hash } = newLoginBinding(); // cookie on the 302, hash in the transaction
 */
export const newLoginBinding = (): { cookie: string; hash: string } => {
  const value = randomBytes(32).toString('base64url');
  return {
    cookie: serializeCookie(SPA_LOGIN_COOKIE, value, {
      maxAgeSeconds: SPA_LOGIN_TTL_SECONDS,
      sameSite: 'None',
    }),
    hash: loginBindingHash(value),
  };
};

const HASH = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/));

/**
 * What an SPA's login adds to its OIDC transaction and what its one-time code keeps of it: the
 * client, the exact `return_to`, the SPA's S256 challenge and `state`, and the login binding's hash.
 */
export const SpaLoginSchema = z.strictObject({
  client: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/)),
  returnTo: z.string().check(z.minLength(1), z.maxLength(2048)),
  codeChallenge: z.string().check(z.refine(isS256Challenge)),
  state: z.string().check(z.refine(isSpaState)),
  loginBinding: HASH,
});
export type SpaLogin = z.infer<typeof SpaLoginSchema>;

/**
 * A one-time code under `CODE#<sha256(code)>` for 60 s, single use: the verified identity (never a
 * grant: redemption runs the current rules), the client, the SPA's challenge and `state`, the
 * login binding's hash and, when the upstream set one, the bound of the session it may start. A
 * strict schema: an item with anything else (a `grants` list written into it) is refused.
 */
export const SpaCodeSchema = z.strictObject({
  v: z.literal(3),
  client: SpaLoginSchema.shape.client,
  identity: SessionIdentitySchema,
  codeChallenge: SpaLoginSchema.shape.codeChallenge,
  /** The SPA's `state` the code was returned with (never compared by fedgate: see README.md). */
  state: SpaLoginSchema.shape.state,
  loginBinding: HASH,
  /**
   * Epoch seconds: the end the upstream set for the session, if any (SAML `SessionNotOnOrAfter`).
   * OIDC has none: an ID token's `exp` is how long the token may be presented (shared/session).
   */
  upstreamEndsAt: z.optional(z.int().check(z.positive())),
  /**
   * Epoch milliseconds: when the sign-in was verified. A revocation of the person after it refuses
   * the redemption (shared/session: `start`'s `signedInAt`).
   */
  verifiedAt: z.int().check(z.positive()),
});
export type SpaCode = z.infer<typeof SpaCodeSchema>;

/**
 * Stores a one-time code for a verified SPA sign-in (256 bits, single use, 60 s).
 * @returns the code, for the `?code=` of the redirect back (the table keeps only its hash).
 * @throws temporarily_unavailable when DynamoDB cannot answer.
 */
export const issueSpaCode = async (
  state: StateStore,
  data: Omit<SpaCode, 'v'>,
  now: number,
): Promise<string> => {
  const code = randomBytes(32).toString('base64url');
  const item: SpaCode = { v: 3, ...data };
  await state.put(codeKey(code), item, now + SPA_CODE_TTL_SECONDS);
  return code;
};
