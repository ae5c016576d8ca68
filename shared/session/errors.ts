import { GatewayError } from '../http/errors.js';

/**
 * There is no live session: no cookie or token, an unknown or malformed one, the session ended
 * (its lifetime, the idle timeout, sign-out), or its IdP is no longer configured.
 */
export class SessionInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(401, 'session_invalid', 'Your fedgate session has ended. Please sign in again.', {
      ...opts,
      detail,
    });
  }
}

/** An administrator (or deprovisioning) ended this person's sessions. */
export class SessionRevokedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      401,
      'session_revoked',
      'Your fedgate session was ended by an administrator. Sign in again if you still need access.',
      { ...opts, detail },
    );
  }
}

/** The chosen role is not (or no longer) among what the current rules grant this person. */
export class GrantNotAvailableError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'grant_not_available',
      'That role is not available to you any more. Choose another one.',
      { ...opts, detail },
    );
  }
}
