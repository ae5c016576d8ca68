import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible handle for a subject identifier (first 16 hex digits of SHA-256 of
 * `fedgate-subject:<subject>`), so that one person's sign-ins can be correlated in logs and at
 * AWS without writing their id anywhere. shared/log.ts re-exports it for its log lines.
 * @example hashSubject('okta:00u1abcd') // 16 hex digits
 */
export const hashSubject = (subject: string): string =>
  createHash('sha256').update(`fedgate-subject:${subject}`).digest('hex').slice(0, 16);

/**
 * The opaque reference of a person at one IdP: `hashSubject("<idp>:<subject>")`, the value the
 * flows log as `subjectRef` and the default SourceIdentity carries (as `<idp>.<subjectRef>`).
 * @example subjectRefOf('okta', '00u1abcd') // the subjectRef the sign-in logged
 */
export const subjectRefOf = (idp: string, subject: string): string =>
  hashSubject(`${idp}:${subject}`);
