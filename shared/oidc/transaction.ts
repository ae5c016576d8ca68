import { createHash } from 'node:crypto';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import { STATE_KEY_PREFIXES, type StateKey, stateKey } from '../store/index.js';
import * as z from '../zod.js';

/** How long a started sign-in waits for the IdP's answer (SECURITY.md §2: at most 10 minutes). */
export const OIDC_TRANSACTION_TTL_SECONDS = 600;

/**
 * The `__Host-` cookie binding a transaction to the browser that started it, per IdP. SameSite=Lax:
 * the IdP sends the browser back with a cross-site top-level GET, which Lax cookies accompany
 * (Strict ones would not); cross-site subrequests and POSTs never carry it.
 */
export const transactionCookie = (idpId: string): string => `oidc-${idpId}`;

/**
 * One started OIDC sign-in, single-use in the state table under `TXN#<sha256(state)>`. `returnTo` and
 * `client` (with `spaCodeChallenge`) mark a sign-in an SPA started: it ends at a one-time code for
 * the SPA (shared/spa); without them it ends at the role picker / console like SAML.
 */
export const OidcTransactionSchema = z.object({
  v: z.literal(1),
  idp: z.string(),
  nonce: z.string().check(z.minLength(22)),
  codeVerifier: z.string().check(z.minLength(43), z.maxLength(128)),
  /** The console destination (allowlisted) when the sign-in ends at the hand-back. */
  destination: z.string(),
  /** The SPA's allowlisted return_to: the sign-in ends at a one-time code for it (shared/spa). */
  returnTo: z.optional(z.string()),
  /** The SPA client id. */
  client: z.optional(z.string()),
  /** The SPA's own S256 PKCE challenge, checked when it redeems the one-time code. */
  spaCodeChallenge: z.optional(z.string()),
  /** The SPA's own `state`, echoed back to it with the code or the error (shared/spa). */
  spaState: z.optional(z.string()),
  /** SHA-256 of the SPA login-binding cookie set on the login response (shared/spa). */
  spaLoginBinding: z.optional(z.string()),
  /** A CLI page the sign-in comes back to (shared/signin's parseContinue). */
  continueTo: z.optional(z.string()),
  /** Epoch seconds. */
  created: z.int(),
});

export type OidcTransaction = z.infer<typeof OidcTransactionSchema>;

/**
 * The state table key of a transaction: `TXN#<SHA-256 of state>`. `state` is the cookie's bearer
 * value and what the callback spends the transaction with, so the table holds only its hash (as
 * shared/spa does for one-time codes): a read of the table yields nothing a browser could present.
 */
export const transactionKey = (state: string): StateKey =>
  stateKey(
    STATE_KEY_PREFIXES.transaction,
    createHash('sha256').update(state, 'utf8').digest('base64url'),
  );

/** Fresh random values for one transaction: 256-bit state and nonce, a 43-character verifier. */
export const newTransactionSecrets = () => ({
  state: randomState(),
  nonce: randomNonce(),
  codeVerifier: randomPKCECodeVerifier(),
});

/** A state as openid-client makes it (base64url, 43 characters); anything else is not ours. */
export const isWellFormedState = (state: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(state);
