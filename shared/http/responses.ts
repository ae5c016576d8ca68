import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SafeHtml } from './html.js';
import { renderPage } from './pages.js';

/** What every fedgate handler returns: API Gateway's v2 structured result. */
export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export interface ResponseOptions {
  headers?: Record<string, string>;
  /** `Set-Cookie` values (API Gateway v2 sends each as its own header). */
  cookies?: string[];
}

const withOptions = (res: HttpResponse, opts: ResponseOptions = {}): HttpResponse => {
  Object.assign(res.headers, opts.headers);
  if (opts.cookies?.length) res.cookies = [...opts.cookies];
  return res;
};

/** A JSON response. */
export const json = (statusCode: number, data: unknown, opts?: ResponseOptions): HttpResponse =>
  withOptions(
    {
      statusCode,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(data),
    },
    opts,
  );

/** A server-rendered page in fedgate's layout, with the CSP that page needs. */
export const page = (
  statusCode: number,
  page: {
    title: string;
    content: SafeHtml;
    scripts?: readonly string[];
    formActions?: readonly string[];
    requestId?: string;
  },
  opts?: ResponseOptions,
): HttpResponse => {
  const { body, csp } = renderPage(page);
  return withOptions(
    {
      statusCode,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp },
      body,
    },
    opts,
  );
};

/**
 * A 302 to a URL fedgate built from configuration (never from Host / X-Forwarded-* headers).
 * Callers pass only allowlisted destinations.
 */
export const redirect = (location: URL | string, opts?: ResponseOptions): HttpResponse =>
  withOptions({ statusCode: 302, headers: { location: String(location) }, body: '' }, opts);
