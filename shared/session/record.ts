import type { Identity } from '../mapping/index.js';
import * as z from '../zod.js';

/** Which kind of client a session serves. */
export type SessionKind = 'browser' | 'spa' | 'cli';

// Generous bounds for what a verified sign-in can carry (Entra sends ≤ 150/200 groups before it
// switches to overage; the SAML form is capped at 256 KiB), tight enough that a forged item
// cannot make every later use expensive.
const MAX_CLAIMS = 256;
const MAX_VALUES = 2048;
const MAX_VALUE_LENGTH = 4096;

const ClaimsSchema = z
  .record(
    z.string().check(z.minLength(1), z.maxLength(1024)),
    z.array(z.string().check(z.maxLength(MAX_VALUE_LENGTH))).check(z.maxLength(MAX_VALUES)),
  )
  .check(z.refine((c) => Object.keys(c).length <= MAX_CLAIMS, 'too many claims'));

/** The verified identity a session remembers: never a grant. */
export const SessionIdentitySchema = z.strictObject({
  idp: z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/)),
  protocol: z.enum(['saml', 'oidc']),
  issuer: z.string().check(z.minLength(1), z.maxLength(2048)),
  /** The immutable subject, as normalised at sign-in. */
  subject: z.string().check(z.minLength(1), z.maxLength(1024)),
  /** Opaque handle of (IdP, subject): logs, SourceIdentity, revocation scopes. */
  subjectRef: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
  claims: ClaimsSchema,
  /** Epoch seconds: when the person authenticated at the IdP. */
  authTime: z.optional(z.int()),
  /** How (SAML AuthnContextClassRef, OIDC amr/acr). */
  authMethod: z.optional(z.string().check(z.maxLength(1024))),
  /** Shown on pages only (e.g. the email claim); never used for a decision. */
  displayName: z.optional(z.string().check(z.maxLength(256))),
  /** Claims the IdP left out for too many groups (overage): filled from the directory at each use. */
  groupsOverage: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(1024))).check(z.maxLength(8)),
  ),
});
export type SessionIdentity = z.infer<typeof SessionIdentitySchema>;

/**
 * A session record as stored at sign-in and never rewritten: the verified identity, which client
 * it serves, and its bounds. What it may do is re-derived from the current rules at every use.
 */
export const SessionRecordSchema = z.strictObject({
  v: z.literal(1),
  kind: z.enum(['browser', 'spa', 'cli']),
  /** The SPA client id (kind `spa`); the CLI's client label (kind `cli`). */
  client: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  identity: SessionIdentitySchema,
  /** Epoch milliseconds. */
  createdAt: z.int().check(z.positive()),
  /** Epoch seconds: the absolute end (per-IdP maximum, bounded by the upstream and the client). */
  endsAt: z.int().check(z.positive()),
});
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

/** The identity as the mapping engine reads it. */
export const identityOf = (s: SessionIdentity): Identity => ({
  idp: s.idp,
  issuer: s.issuer,
  subject: s.subject,
  claims: s.claims,
  ...(s.authTime !== undefined ? { authTime: s.authTime } : {}),
  ...(s.groupsOverage !== undefined ? { groupsOverage: s.groupsOverage } : {}),
});
