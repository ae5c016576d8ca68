import { GatewayError } from '../http/errors.js';

/**
 * `redirect_uri` is not a loopback URI the CLI can listen on (RFC 8252 §7.3): nothing is
 * redirected there, the person sees an error page.
 */
export class CliRedirectUriInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'cli_redirect_uri_invalid',
      'This sign-in link did not come from the fedgate CLI on this computer.',
      { ...opts, detail },
    );
  }
}

/**
 * The authorization code is unknown, expired or already used, or the PKCE verifier or the
 * redirect URI does not match the sign-in it was issued for (RFC 6749 §5.2 `invalid_grant`).
 */
export class CliGrantInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'invalid_grant', 'The sign-in code is not valid. Run fedgate login again.', {
      ...opts,
      detail,
    });
  }
}

/** The token request's `grant_type` is neither the code nor the device grant. */
export class CliUnsupportedGrantTypeError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'unsupported_grant_type', 'This kind of sign-in is not supported.', {
      ...opts,
      detail,
    });
  }
}

/** RFC 8628 §3.5: the person has not approved the device request yet; poll again. */
export class AuthorizationPendingError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'authorization_pending', 'The sign-in has not been confirmed yet.', {
      ...opts,
      detail,
    });
  }
}

/** RFC 8628 §3.5: polled faster than the interval; the interval grows by 5 seconds. */
export class SlowDownError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'slow_down', 'Polling too fast: wait longer between requests.', {
      ...opts,
      detail,
    });
  }
}

/** RFC 8628 §3.5: the device code expired (or was never issued, or was used). */
export class ExpiredTokenError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'expired_token', 'The sign-in request expired. Run fedgate login again.', {
      ...opts,
      detail,
    });
  }
}

/** RFC 8628 §3.5: the person denied the device request. */
export class AccessDeniedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'access_denied', 'The sign-in was denied in the browser.', { ...opts, detail });
  }
}

/** The user code typed in is wrong, expired or already used. */
export class CliUserCodeInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'cli_user_code_invalid',
      'That code is not valid: it is wrong, it expired, or it was already used.',
      { ...opts, detail },
    );
  }
}

/** Too many user codes tried from this network (or overall) in a short time. */
export class CliTooManyAttemptsError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(429, 'cli_too_many_attempts', 'Too many codes were tried. Wait a few minutes.', {
      ...opts,
      detail,
    });
  }
}

/** The role named matches several of the person's grants. */
export class CliRoleAmbiguousError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'cli_role_ambiguous',
      'Several of your roles match that name. Name it as account/label or by its id (fedgate roles).',
      { ...opts, detail },
    );
  }
}
