import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A session token as the browser (cookie), an SPA (cookie) or the CLI (bearer) holds it:
 * `<idp>.<subject ref>.<secret>`. The IdP id and the subject reference are not secret: they name
 * the revocation scopes, so that one BatchGetItem reads the session and its marks together. The
 * read checks them against the stored record (a token naming another scope is refused). Only the
 * 256-bit secret is a credential, and the table holds only its SHA-256.
 */
export interface SessionToken {
  idp: string;
  subjectRef: string;
  secret: string;
}

const TOKEN = /^([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

/** A fresh token for a person: 256 random bits. */
export const newSessionToken = (idp: string, subjectRef: string): SessionToken => ({
  idp,
  subjectRef,
  secret: randomBytes(32).toString('base64url'),
});

/** The token's wire form. */
export const formatSessionToken = (t: SessionToken): string =>
  `${t.idp}.${t.subjectRef}.${t.secret}`;

/** A token's wire form parsed strictly, or `undefined` for anything else. */
export const parseSessionToken = (value: string | undefined): SessionToken | undefined => {
  if (value === undefined || value.length > 128) return undefined;
  const m = TOKEN.exec(value);
  return m
    ? { idp: m[1] as string, subjectRef: m[2] as string, secret: m[3] as string }
    : undefined;
};

/** The session's table id: SHA-256 of the secret (base64url). The table never holds the secret. */
export const sessionIdOf = (t: SessionToken): string =>
  createHash('sha256').update(`fedgate-session\n${t.secret}`).digest('base64url');

/**
 * The CSRF token of a session's forms: derived from the secret one-way, so a page can carry it
 * while the secret stays in an HttpOnly cookie, and a forged form (which knows neither) fails.
 */
export const csrfTokenOf = (t: SessionToken): string =>
  createHash('sha256').update(`fedgate-csrf\n${t.secret}`).digest('base64url');

/** Compares a posted CSRF token with the session's, in constant time. */
export const isCsrfTokenOf = (t: SessionToken, posted: string | undefined): boolean => {
  if (posted === undefined) return false;
  const a = Buffer.from(csrfTokenOf(t));
  const b = Buffer.from(posted);
  return a.length === b.length && timingSafeEqual(a, b);
};
