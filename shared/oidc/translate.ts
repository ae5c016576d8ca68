import {
  AuthorizationResponseError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import {
  DependencyUnavailableError,
  GatewayError,
  GatewayMisconfiguredError,
} from '../http/errors.js';
import {
  OidcAlgorithmNotAllowedError,
  OidcAudienceInvalidError,
  OidcAuthorizationError,
  OidcAuthTooOldError,
  OidcIdTokenInvalidError,
  OidcIssuerInvalidError,
  OidcKeyNotFoundError,
  OidcNonceInvalidError,
  OidcSignatureInvalidError,
  OidcStateMismatchError,
  OidcTokenExpiredError,
  OidcTokenRequestFailedError,
  OidcUpstreamInvalidError,
} from './errors.js';

/** RFC 6749 §4.1.2.1 / §5.2 `error` values: anything else from an IdP is not echoed, even to logs. */
const ERROR_CODE = /^[a-z_]{1,64}$/;

/** The error and its causes, outermost first (openid-client wraps oauth4webapi's errors). */
const chain = (err: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && out.length < 8; e = (e as { cause?: unknown }).cause) {
    out.push(e);
    if (typeof e !== 'object' || e === null) break;
  }
  return out;
};

const messageOf = (e: unknown): string =>
  e instanceof Error ? e.message : typeof e === 'string' ? e : '';

/** The claim a comparison or timestamp failure names (oauth4webapi puts it in `cause.claim`). */
const claimOf = (errors: unknown[]): string | undefined => {
  for (const e of errors) {
    const claim = (e as { claim?: unknown } | null)?.claim;
    if (typeof claim === 'string') return claim;
  }
  return undefined;
};

/**
 * Translates what openid-client throws (ClientError with oauth4webapi codes, ResponseBodyError,
 * AuthorizationResponseError, timeouts) into fedgate's error model with stable codes. Only the
 * library's message and code reach `detail`; never a token, code or verifier.
 * @throws nothing: returns the GatewayError to throw.
 */
export const translateOidcError = (err: unknown): GatewayError => {
  const errors = chain(err);
  const own = errors.find((e) => e instanceof GatewayError);
  if (own instanceof GatewayError) return own;

  if (err instanceof AuthorizationResponseError) {
    const idpError = ERROR_CODE.test(err.error) ? err.error : undefined;
    return new OidcAuthorizationError(
      idpError,
      `the IdP answered the authorization request with error ${idpError ?? '(not an RFC 6749 code)'}`,
    );
  }
  // RFC 6749 §5.2 invalid_client (401, often with WWW-Authenticate): fedgate's client id or
  // secret is wrong at the IdP. Nothing the person can do: an operator must fix clientSecretRef (or the
  // private_key_jwt key the IdP has registered).
  if (
    err instanceof WWWAuthenticateChallengeError ||
    (err instanceof ResponseBodyError && err.error === 'invalid_client')
  ) {
    return new GatewayMisconfiguredError(
      `the IdP refused fedgate's client authentication (invalid_client): check clientId and clientSecretRef, or the private_key_jwt key registered at the IdP (clientAuth.keyRef, kid)`,
    );
  }
  if (err instanceof ResponseBodyError) {
    const idpError = ERROR_CODE.test(err.error) ? err.error : '(not an RFC 6749 code)';
    if (err.status >= 500) {
      return new DependencyUnavailableError(
        'oidc',
        `token endpoint answered ${err.status} ${idpError}`,
      );
    }
    return new OidcTokenRequestFailedError(
      `token endpoint refused the code: ${err.status} ${idpError}`,
    );
  }

  const codes = errors
    .map((e) => (e as { code?: unknown } | null)?.code)
    .filter((c) => typeof c === 'string');
  const messages = errors.map(messageOf);
  const detail = messages.filter(Boolean).join(' <- ').slice(0, 500);
  const has = (text: string) => messages.some((m) => m.includes(text));
  const hasCode = (code: string) => codes.includes(code);

  if (
    errors.some(
      (e) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'),
    ) ||
    hasCode('OAUTH_TIMEOUT') ||
    hasCode('OAUTH_ABORT') ||
    errors.some((e) => e instanceof TypeError && /fetch failed/.test(e.message))
  ) {
    return new DependencyUnavailableError('oidc', `IdP unreachable or too slow: ${detail}`);
  }
  if (hasCode('OAUTH_RESPONSE_IS_NOT_CONFORM') || hasCode('OAUTH_RESPONSE_IS_NOT_JSON')) {
    const status = errors
      .map((e) => (e as { status?: unknown } | null)?.status)
      .find((s) => typeof s === 'number') as number | undefined;
    if (status === undefined || status >= 500 || status === 429) {
      return new DependencyUnavailableError('oidc', `IdP endpoint failed: ${detail}`);
    }
    return new OidcUpstreamInvalidError('oidc_discovery_invalid', detail);
  }
  if (hasCode('OAUTH_KEY_SELECTION_FAILED')) return new OidcKeyNotFoundError(detail);
  if (has('JWT signature verification failed')) return new OidcSignatureInvalidError(detail);
  if (has('"alg" header parameter') || has('unsupported JWS') || has('unsupported operation')) {
    return new OidcAlgorithmNotAllowedError(detail);
  }
  if (has('response parameter "iss"') || has('"iss" (issuer) response parameter')) {
    return new OidcIssuerInvalidError(`RFC 9207 iss parameter: ${detail}`);
  }
  if (has('"state" response parameter')) return new OidcStateMismatchError(detail);
  if (has('"issuer" property does not match') || has('metadata issuer does not match')) {
    return new OidcUpstreamInvalidError('oidc_discovery_invalid', detail);
  }
  if (has('"nonce"')) return new OidcNonceInvalidError(detail);
  if (hasCode('OAUTH_JWT_CLAIM_COMPARISON_FAILED')) {
    const claim = claimOf(errors);
    if (claim === 'iss') return new OidcIssuerInvalidError(detail);
    if (claim === 'nonce') return new OidcNonceInvalidError(detail);
    return new OidcAudienceInvalidError(detail);
  }
  if (hasCode('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) {
    return claimOf(errors) === 'auth_time'
      ? new OidcAuthTooOldError(detail)
      : new OidcTokenExpiredError(detail);
  }
  if (has('"iat" (issued at) claim value, it is too far in the past')) {
    return new OidcTokenExpiredError(detail);
  }
  if (has('only requests to HTTPS') || has('only requests to HTTP or HTTPS')) {
    return new OidcUpstreamInvalidError('oidc_discovery_invalid', detail);
  }
  return new OidcIdTokenInvalidError(detail);
};
