import { GatewayError } from '../http/errors.js';

/**
 * The errors of the upstream OIDC relying party. Every class carries a stable `code` (sent to the
 * client), a generic `description` (shown to the person) and a precise `detail` (logs only; never
 * a code, token, verifier or secret). ID token integrity failures share one description on
 * purpose: a prober learns nothing from the page beyond the code.
 */

const UNVERIFIABLE = 'The sign-in from your identity provider could not be verified.';
const START_AGAIN =
  'This sign-in was not started here, or it was already used. Please start again.';

/** The `state` of the callback does not match this browser's transaction cookie (or one is missing). */
export class OidcStateMismatchError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_state_mismatch', START_AGAIN, { ...opts, detail });
  }
}

/** No live transaction for the state: expired, already consumed (a replayed callback), or foreign. */
export class OidcTransactionInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_transaction_invalid', START_AGAIN, { ...opts, detail });
  }
}

/**
 * The IdP answered the authorization request with an error (`access_denied`, …). The person sees
 * a fixed text; the IdP's `error` value is only logged (and only if it is a plain RFC 6749 code).
 */
export class OidcAuthorizationError extends GatewayError {
  readonly idpError: string | undefined;
  constructor(idpError: string | undefined, detail: string, opts?: ErrorOptions) {
    super(
      400,
      'oidc_authorization_failed',
      'Your identity provider did not complete the sign-in.',
      {
        ...opts,
        detail,
      },
    );
    this.idpError = idpError;
  }
}

/** The IdP refused to redeem the authorization code (`invalid_grant`: replayed code, PKCE mismatch). */
export class OidcTokenRequestFailedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'oidc_token_request_failed',
      'Your identity provider did not accept this sign-in. Please start again.',
      { ...opts, detail },
    );
  }
}

/** The ID token's JWS signature does not verify with the IdP's published key. */
export class OidcSignatureInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_signature_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** `alg` is not the pinned `idTokenSignedResponseAlg` (`none`, HS*, or another asymmetric one). */
export class OidcAlgorithmNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_algorithm_not_allowed', UNVERIFIABLE, { ...opts, detail });
  }
}

/** No key (or more than one key and no `kid`) in the IdP's JWKS matches the ID token's header. */
export class OidcKeyNotFoundError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_key_not_found', UNVERIFIABLE, { ...opts, detail });
  }
}

/** `iss` of the ID token, or RFC 9207's `iss` response parameter, is not the configured issuer. */
export class OidcIssuerInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_issuer_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** `aud` does not name fedgate's client id alone, or `azp` is not fedgate's client id. */
export class OidcAudienceInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'oidc_audience_invalid',
      'The sign-in from your identity provider was not meant for this service.',
      { ...opts, detail },
    );
  }
}

/** The ID token's `nonce` is not the transaction's. */
export class OidcNonceInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_nonce_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** `exp` passed, or `iat`/`nbf` in the future beyond the allowed clock skew. */
export class OidcTokenExpiredError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'oidc_token_expired',
      'The sign-in from your identity provider has expired or is not valid yet. Check the clock of your device, then sign in again.',
      { ...opts, detail },
    );
  }
}

/**
 * `iat` (issued at) later than now plus the allowed clock skew: a token minted ahead of time, or
 * an IdP whose clock runs ahead. openid-client only refuses an `iat` too far in the past.
 */
export class OidcIdTokenIatFutureError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_id_token_iat_future', UNVERIFIABLE, { ...opts, detail });
  }
}

/**
 * The header's `typ` is neither absent nor `JWT` (RFC 7515 §4.1.9, compared as a media type): an
 * access token (`at+jwt`, RFC 9068), a logout token or another JWT presented as an ID token.
 */
export class OidcIdTokenTypInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_id_token_typ_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** `auth_time` older than the IdP's `maxAuthAgeSeconds`. */
export class OidcAuthTooOldError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'oidc_auth_too_old',
      'Your sign-in at your identity provider is too old. Please sign in there again.',
      { ...opts, detail },
    );
  }
}

/**
 * The ID token or token response is malformed: not a JWS, required claims (`iss`, `sub`, `aud`,
 * `exp`, `iat`) missing or mistyped, no ID token at all, claim values fedgate refuses.
 */
export class OidcIdTokenInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_id_token_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** The subject claim is missing, empty, multi-valued or not a plain string. */
export class OidcSubjectInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'oidc_subject_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** Entra ID: a tenant outside `allowedTenants` (the consumer tenant unless listed). */
export class OidcTenantNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(403, 'oidc_tenant_not_allowed', 'Your organisation may not sign in here.', {
      ...opts,
      detail,
    });
  }
}

/** Google: a Workspace domain (`hd`) outside `allowedHostedDomains`, or none when one is required. */
export class OidcHostedDomainNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(403, 'oidc_hosted_domain_not_allowed', 'Your organisation may not sign in here.', {
      ...opts,
      detail,
    });
  }
}

/** Entra ID replaced the groups claim by `_claim_names.groups` (overage): never "no groups". */
export class OidcGroupOverageError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'oidc_group_overage',
      'Your account is a member of more groups than your identity provider sends. Ask an administrator to limit the groups sent to this application.',
      { ...opts, detail },
    );
  }
}

/**
 * The IdP's endpoints answered something fedgate will not read: a response over the size cap, a
 * discovery document for another issuer, a JWKS that is not one. An operator must look (502, not
 * exposed: the person sees `server_error`).
 */
export class OidcUpstreamInvalidError extends GatewayError {
  constructor(
    code: 'oidc_response_too_large' | 'oidc_discovery_invalid',
    detail: string,
    opts?: ErrorOptions,
  ) {
    super(502, code, 'Your identity provider answered in a way fedgate cannot accept.', {
      ...opts,
      detail,
    });
  }
}
