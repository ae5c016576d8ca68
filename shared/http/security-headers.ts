import type { MiddlewareObj } from '@middy/core';
import type { HttpResponse } from './responses.js';

/** CSP for anything that is not a page (JSON, redirects, published documents): nothing at all. */
const NON_PAGE_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Headers every response carries (SECURITY.md §6). `Cache-Control: no-store` is the default: most
 * responses carry credentials or single-use state; a published document opts into caching itself.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'cache-control': 'no-store',
  pragma: 'no-cache',
});

/** Adds the security headers to a response (keeps a CSP or Cache-Control the handler chose). */
export const applySecurityHeaders = (response: HttpResponse): HttpResponse => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers ?? {})) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!(k in headers)) headers[k] = v;
  headers['content-security-policy'] ??= NON_PAGE_CSP;
  if (headers['cache-control'] !== 'no-store') delete headers.pragma;
  response.headers = headers;
  return response;
};

const isStructured = (r: unknown): r is HttpResponse =>
  typeof r === 'object' && r !== null && typeof (r as HttpResponse).statusCode === 'number';

/**
 * middy middleware: security headers on every response, the error responses included (use it
 * before `errorMiddleware`, whose onError runs first and sets the response this one completes).
 */
export const securityHeaders = (): MiddlewareObj => {
  const complete = (request: { response: unknown }) => {
    if (isStructured(request.response)) request.response = applySecurityHeaders(request.response);
  };
  return { after: complete, onError: complete };
};
