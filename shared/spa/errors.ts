import { GatewayError } from '../http/errors.js';

/** `client_id` names no configured SPA client. */
export class SpaClientUnknownError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'spa_client_unknown', 'This application is not registered with fedgate.', {
      ...opts,
      detail,
    });
  }
}

/** `return_to` is not exactly one of the client's allowlisted URLs: nothing redirects there. */
export class SpaReturnToInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'spa_return_to_invalid', 'The address to return to is not allowed.', {
      ...opts,
      detail,
    });
  }
}

/** The request's `Origin` is not the client's registered origin (no CORS grant, no credentials). */
export class SpaOriginNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(403, 'spa_origin_not_allowed', 'This origin may not call fedgate.', { ...opts, detail });
  }
}

/** The one-time code is unknown, expired, already redeemed or another client's. */
export class SpaCodeInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'spa_code_invalid', 'The sign-in code is not valid. Please sign in again.', {
      ...opts,
      detail,
    });
  }
}

/** The PKCE verifier does not hash to the challenge the SPA sent at login. */
export class SpaVerifierMismatchError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'spa_verifier_mismatch', 'The sign-in code is not valid. Please sign in again.', {
      ...opts,
      detail,
    });
  }
}

/**
 * `POST /redeem` came without the login-binding cookie of the login that produced the code, or
 * with another one: the code is being redeemed in another browser than the one that started the
 * login (or the browser does not send fedgate's cookies to this SPA: see README.md).
 */
export class SpaLoginBindingInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'spa_login_binding_invalid',
      'This sign-in was started in another browser. Please sign in again.',
      { ...opts, detail },
    );
  }
}

/** Several grants and none chosen: the SPA must ask for one of the listed grant ids. */
export class SpaGrantRequiredError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'spa_grant_required', 'Choose one of your roles.', { ...opts, detail });
  }
}
