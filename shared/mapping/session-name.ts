import { createHash } from 'node:crypto';
import { SESSION_NAME_MAX, SESSION_NAME_MIN } from '../aws-rules.js';

/** Characters outside the `RoleSessionName` charset, one code point at a time (`u`). */
const OUTSIDE_CHARSET = /[^A-Za-z0-9_+=,.@-]/gu;
/** Combining marks left by NFKD: dropping them turns "é" into "e" rather than "e-". */
const COMBINING_MARKS = /\p{M}/gu;
/** 55 kept + "-" + 8 hex = 64, the `RoleSessionName` maximum. */
const KEEP_WHEN_LONG = SESSION_NAME_MAX - 9;

const sha256Hex8 = (value: string): string =>
  createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);

/**
 * Turns a rendered session name into a valid `RoleSessionName`, deterministically:
 * 1. NFKD-normalise and drop combining marks (`José` → `Jose`, `ﬁ` → `fi`);
 * 2. replace each remaining code point outside `[A-Za-z0-9_+=,.@-]` with `-`;
 * 3. longer than 64: keep 55 characters, append `-` and the first 8 hex digits of the SHA-256 of
 *    the rendered (unsanitised) value, so long names that share a prefix stay distinct;
 * 4. shorter than 2: `fg-` and the first 8 hex digits of the SHA-256 of the subject.
 *
 * The result always passes `checkSessionName`. Different people can end up with the same session
 * name (`josé` and `jose`), so IAM policies must not authorise on it: use the source identity or
 * session tags, which are rejected rather than altered.
 * @example sanitizeSessionName('josé.garcía@example.com', sub) // 'jose.garcia@example.com'
 */
export const sanitizeSessionName = (rendered: string, subject: string): string => {
  let name = rendered.normalize('NFKD').replace(COMBINING_MARKS, '').replace(OUTSIDE_CHARSET, '-');
  if (name.length > SESSION_NAME_MAX) {
    name = `${name.slice(0, KEEP_WHEN_LONG)}-${sha256Hex8(rendered)}`;
  }
  if (name.length < SESSION_NAME_MIN) name = `fg-${sha256Hex8(subject)}`;
  return name;
};

/**
 * The `RoleSessionName` of a grant: `<idp>.` followed by the rendered name, sanitised as in
 * {@link sanitizeSessionName} within the 64 characters left after the prefix (longer: the first
 * characters, `-` and 8 hex digits of the rendered value's SHA-256; empty: `fg-` and 8 hex digits
 * of the subject's). IdP ids have no `.`, so the part before the first `.` names the IdP and two
 * IdPs can never produce the same session name, whatever their claims.
 * @example buildSessionName('okta', 'josé@example.com', sub) // 'okta.jose@example.com'
 */
export const buildSessionName = (idp: string, rendered: string, subject: string): string => {
  const prefix = `${idp}.`;
  const budget = SESSION_NAME_MAX - prefix.length;
  let name = rendered.normalize('NFKD').replace(COMBINING_MARKS, '').replace(OUTSIDE_CHARSET, '-');
  if (name.length > budget) name = `${name.slice(0, budget - 9)}-${sha256Hex8(rendered)}`;
  if (name.length === 0) name = `fg-${sha256Hex8(subject)}`;
  return `${prefix}${name}`;
};
