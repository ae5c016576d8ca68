import { AuthorizationResponseError, ClientError, ResponseBodyError } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { OidcUpstreamInvalidError, translateOidcError } from '../../../shared/oidc/index.js';

/** An oauth4webapi-style error wrapped by openid-client, as the library throws them. */
const wrapped = (code: string, message: string, cause?: unknown) =>
  new ClientError('wrapped', { cause: Object.assign(new Error(message, { cause }), { code }) });
const coded = (code: string, message: string, cause?: unknown) =>
  Object.assign(new ClientError(message, { cause }), { code });

describe('translateOidcError', () => {
  it.each([
    ['key selection', coded('OAUTH_KEY_SELECTION_FAILED', 'x'), 'oidc_key_not_found'],
    [
      'signature',
      wrapped('OAUTH_INVALID_RESPONSE', 'JWT signature verification failed'),
      'oidc_signature_invalid',
    ],
    [
      'alg',
      wrapped('OAUTH_INVALID_RESPONSE', 'unexpected JWT "alg" header parameter'),
      'oidc_algorithm_not_allowed',
    ],
    [
      'HS alg',
      coded('OAUTH_UNSUPPORTED_OPERATION', 'unsupported operation'),
      'oidc_algorithm_not_allowed',
    ],
    [
      'iss param missing',
      wrapped('OAUTH_INVALID_RESPONSE', 'response parameter "iss" (issuer) missing'),
      'oidc_issuer_invalid',
    ],
    [
      'iss claim',
      coded('OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'x', { claim: 'iss' }),
      'oidc_issuer_invalid',
    ],
    [
      'nonce claim',
      coded('OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'x', { claim: 'nonce' }),
      'oidc_nonce_invalid',
    ],
    [
      'aud claim',
      coded('OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'x', { claim: 'aud' }),
      'oidc_audience_invalid',
    ],
    ['exp', coded('OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'x', { claim: 'exp' }), 'oidc_token_expired'],
    [
      'auth_time',
      coded('OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'x', { claim: 'auth_time' }),
      'oidc_auth_too_old',
    ],
    [
      'old iat',
      wrapped(
        'OAUTH_INVALID_RESPONSE',
        'unexpected JWT "iat" (issued at) claim value, it is too far in the past',
      ),
      'oidc_token_expired',
    ],
    [
      'state',
      wrapped('OAUTH_INVALID_RESPONSE', 'unexpected "state" response parameter encountered'),
      'oidc_state_mismatch',
    ],
    [
      'discovery issuer',
      wrapped(
        'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
        '"response" body "issuer" property does not match the expected value',
      ),
      'oidc_discovery_invalid',
    ],
    [
      'http issuer',
      coded('OAUTH_HTTP_REQUEST_FORBIDDEN', 'only requests to HTTPS are allowed'),
      'oidc_discovery_invalid',
    ],
    [
      'a 404 discovery',
      coded('OAUTH_RESPONSE_IS_NOT_CONFORM', 'x', { status: 404 }),
      'oidc_discovery_invalid',
    ],
    [
      'a 503 discovery',
      coded('OAUTH_RESPONSE_IS_NOT_CONFORM', 'x', { status: 503 }),
      'temporarily_unavailable',
    ],
    ['a timeout', coded('OAUTH_TIMEOUT', 'operation timed out'), 'temporarily_unavailable'],
    [
      'a DOMException timeout',
      new ClientError('x', { cause: new DOMException('t', 'TimeoutError') }),
      'temporarily_unavailable',
    ],
    [
      'network',
      new ClientError('x', { cause: new TypeError('fetch failed') }),
      'temporarily_unavailable',
    ],
    ['anything else', new Error('?'), 'oidc_id_token_invalid'],
  ])('%s', (_, err, code) => {
    expect(translateOidcError(err).code).toBe(code);
  });

  it('keeps fedgate errors found in the cause chain (the bounded fetch)', () => {
    const own = new OidcUpstreamInvalidError('oidc_response_too_large', 'x');
    expect(translateOidcError(new ClientError('something went wrong', { cause: own }))).toBe(own);
  });

  it('an IdP error response: a fixed description, the code logged only when it is plain', () => {
    const err = new AuthorizationResponseError('x', {
      cause: new URLSearchParams({ error: 'access_denied', error_description: '<b>hi</b>' }),
    });
    const t = translateOidcError(err);
    expect(t.code).toBe('oidc_authorization_failed');
    expect(t.description).not.toContain('<b>');
    expect(t.detail).toContain('access_denied');
    const odd = translateOidcError(
      new AuthorizationResponseError('x', { cause: new URLSearchParams({ error: '<script>' }) }),
    );
    expect(odd.detail).not.toContain('<script>');
  });

  it('token endpoint refusals: invalid_grant 400, invalid_client 500, 5xx 503', () => {
    const body = (error: string, status: number) =>
      new ResponseBodyError('x', { cause: { error }, response: new Response(null, { status }) });
    expect(translateOidcError(body('invalid_grant', 400)).code).toBe('oidc_token_request_failed');
    expect(translateOidcError(body('invalid_client', 401)).code).toBe('server_error');
    expect(translateOidcError(body('server_error', 502)).code).toBe('temporarily_unavailable');
  });
});
