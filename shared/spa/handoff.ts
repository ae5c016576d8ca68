import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Grant } from '../mapping/index.js';
import { STATE_KEY_PREFIXES, type StateKey, type StateStore, stateKey } from '../store/index.js';
import * as z from '../zod.js';

/** How long the browser has to bring the one-time code back to `POST /credentials`. */
export const SPA_CODE_TTL_SECONDS = 60;

/** An S256 PKCE challenge (RFC 7636 §4.2): base64url of a SHA-256, 43 characters. */
export const isS256Challenge = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);

/** RFC 7636 §4.1: 43-128 unreserved characters. */
export const isPkceVerifier = (value: string): boolean => /^[A-Za-z0-9._~-]{43,128}$/.test(value);

/** BASE64URL(SHA256(verifier)) compared in constant time with the stored challenge. */
export const verifierMatches = (verifier: string, challenge: string): boolean => {
  const x = createHash('sha256').update(verifier, 'ascii').digest();
  const y = Buffer.from(challenge, 'base64url');
  return x.length === y.length && timingSafeEqual(x, y);
};

// Codes and session ids are bearer secrets: the table holds only their SHA-256, so reading the
// table (a backup, a console view) gives nothing that can be redeemed.
const hashedKey =
  (prefix: typeof STATE_KEY_PREFIXES.code | typeof STATE_KEY_PREFIXES.session) =>
  (secret: string): StateKey =>
    stateKey(prefix, createHash('sha256').update(secret).digest('base64url'));

/** The state table key of a one-time code. */
export const codeKey = hashedKey(STATE_KEY_PREFIXES.code);
/** The state table key of a session. */
export const sessionKey = hashedKey(STATE_KEY_PREFIXES.session);

const PersonSchema = z.object({
  idp: z.string(),
  protocol: z.enum(['saml', 'oidc']),
  subjectRef: z.string(),
  displayName: z.optional(z.string()),
});
const GrantsSchema = z
  .array(
    z.custom<Grant>(
      (g) => typeof g === 'object' && g !== null && typeof (g as Grant).id === 'string',
    ),
  )
  .check(z.minLength(1));

/** What a one-time code stands for, single-use under `CODE#<sha256(code)>` for 60 s. */
export const SpaCodeSchema = z.object({
  v: z.literal(1),
  client: z.string(),
  person: PersonSchema,
  grants: GrantsSchema,
  /** The SPA's own S256 challenge from the login request. */
  codeChallenge: z.string(),
  /** Epoch seconds: when the upstream login ends (the ID token's `exp`). */
  upstreamExpiresAt: z.int(),
});
export type SpaCode = z.infer<typeof SpaCodeSchema>;

/** A fedgate session of one SPA in one browser, under `SESSION#<sha256(id)>`. */
export const SpaSessionSchema = z.object({
  v: z.literal(1),
  client: z.string(),
  person: PersonSchema,
  grants: GrantsSchema,
  /** Epoch seconds. */
  created: z.int(),
  /** Epoch seconds: min(upstream login end, created + the client's sessionMaxSeconds). */
  endsAt: z.int(),
});
export type SpaSession = z.infer<typeof SpaSessionSchema>;

/**
 * Ends an OIDC sign-in that an SPA started: the grants computed at validation time go under a
 * fresh one-time code (256 bits, single use, 60 s), returned for the `?code=` of the redirect.
 * @throws temporarily_unavailable when DynamoDB cannot answer.
 */
export const issueSpaCode = async (
  state: StateStore,
  data: Omit<SpaCode, 'v'>,
  now: number,
): Promise<string> => {
  const code = randomBytes(32).toString('base64url');
  const item: SpaCode = { v: 1, ...data };
  await state.put(codeKey(code), item, now + SPA_CODE_TTL_SECONDS);
  return code;
};
