import type { CustomFetch } from 'openid-client';
import { readResponseCapped } from '../http/capped-body.js';
import { OidcUpstreamInvalidError } from './errors.js';

/** Discovery, JWKS and token responses are a few KB; Entra ID tokens with 200 groups stay < 16 KB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024;

/** Lambda holds a sign-in open for seconds, not openid-client's default 30 s. */
export const DEFAULT_FETCH_TIMEOUT_MS = 4000;

export interface BoundedFetchOptions {
  fetch: typeof fetch;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

/**
 * Wraps `fetch` for openid-client's `customFetch`: every request gets a deadline (the whole
 * exchange, body included, not only the headers) and every response body is read into memory up
 * to a byte cap and refused beyond it, so a hostile or broken IdP cannot hold the function open or
 * make it buffer megabytes (an oversized JWKS or ID token).
 * @throws oidc_response_too_large (OidcUpstreamInvalidError) over the cap (Content-Length or bytes read).
 * @throws a `TimeoutError` DOMException past the deadline (translated to a 503 by {@link translateOidcError}).
 * @example const config = await discovery(url, clientId, undefined, auth, { [customFetch]: createBoundedFetch({ fetch }) });
 */
export const createBoundedFetch = (opts: BoundedFetchOptions): CustomFetch => {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (url, options) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const response = await opts.fetch(url, { ...options, signal } as RequestInit);
    const host = new URL(url).host;
    const chunks = await readResponseCapped(response, maxBytes, (declared) =>
      declared === undefined
        ? new OidcUpstreamInvalidError(
            'oidc_response_too_large',
            `${host} sent more than ${maxBytes} bytes`,
          )
        : new OidcUpstreamInvalidError(
            'oidc_response_too_large',
            `${host} declared ${declared} bytes, the cap is ${maxBytes}`,
          ),
    );
    const body = response.status === 204 || response.status === 304 ? null : chunks;
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
};
