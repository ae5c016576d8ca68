import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of fedgate. Messages are constant lowercase phrases; variable parts go in keys.
 * `logEvent` stays off: a SAMLResponse, an authorization code or a cookie is a credential.
 */
export const logger = new Logger({ serviceName: 'fedgate' });

/** The part of a logger shared/ uses: injected, so tests can capture what is logged. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys'>;

/**
 * A stable, non-reversible handle for a subject identifier in logs (first 16 hex chars of SHA-256),
 * so one person's sign-ins can be correlated without writing their id into every log line.
 * @example hashSubject('00u1abcd') // '5d1c…'
 */
export const hashSubject = (subject: string): string =>
  createHash('sha256').update(`fedgate-subject:${subject}`).digest('hex').slice(0, 16);
