import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Log } from '../log.js';
import { GatewayError, MethodNotAllowedError } from './errors.js';
import { html } from './html.js';
import {
  NEXT_ACTION_LINKS,
  nextStepFor,
  renderSupport,
  type SupportContact,
} from './next-steps.js';
import { type HttpResponse, json, page, type ResponseOptions } from './responses.js';

/** Browser routes get an HTML error page; API routes (OIDC-style, SPA) get JSON. */
export type ErrorFormat = 'html' | 'json';

/**
 * What the client gets for every error that is not exposed (an unknown error, or a
 * {@link GatewayError} of status ≥ 500 other than 503): its code and detail stay in the log.
 */
export const SERVER_ERROR = Object.freeze({
  status: 500,
  code: 'server_error',
  description: 'Something went wrong on our side. Please try again later.',
});

/** What the client is sent for an error: a {@link GatewayError} that is exposed, else {@link SERVER_ERROR}. */
export const sentErrorOf = (err: unknown): { status: number; code: string; description: string } =>
  err instanceof GatewayError && err.expose ? err : SERVER_ERROR;

/**
 * The one log line of a refused or failed request: an exposed error at warn with its code, status
 * and detail; anything else at error with the error itself (its stack) and the code it was raised
 * with. `keys` adds what the caller knows (e.g. where the refusal went).
 */
export const logRequestError = (log: Log, err: unknown, keys: Record<string, unknown> = {}) => {
  const known = err instanceof GatewayError ? err : undefined;
  if (known?.expose) {
    log.warn('request refused', {
      code: known.code,
      status: known.status,
      detail: known.detail,
      ...keys,
    });
  } else {
    // Unknown errors: the stack goes to the log only (the error object is logged whole).
    log.error('request failed', {
      code: known?.code ?? 'server_error',
      error: err ?? undefined,
      ...keys,
    });
  }
};

const HEADINGS: Readonly<Record<number, string>> = {
  404: 'Page not found',
  500: 'Something went wrong',
  503: 'Please try again in a moment',
};

/** What an error page shows: the code and description of the error as the person may see them. */
export interface ErrorPageOptions {
  status: number;
  code: string;
  description: string;
  requestId?: string;
  /** The operator's help contact, if configured. */
  support?: SupportContact;
  /** Where "sign in again" leads: the sign-in page (default `/`). */
  home?: URL | string;
}

/**
 * An error page that leads somewhere: what went wrong (the error's safe description and code),
 * what the person can do next ({@link nextStepFor} the code) with a link to do it, the
 * operator's support contact and the request id to quote.
 */
export const errorPage = (
  { status, code, description, requestId, support, home = '/' }: ErrorPageOptions,
  opts?: ResponseOptions,
): HttpResponse => {
  const step = nextStepFor(code);
  const heading = HEADINGS[status] ?? 'Sign-in could not be completed';
  // One shape for every code: what differs between two refusals is the code and what follows
  // from it (description, next step), never which check failed.
  const content = html`<div class="card error">
<h1>${heading}</h1>
<p>${description}</p>
<p class="muted">Error code <code>${code}</code></p>
<h2>Next steps</h2>
<p>${step.person}</p>
<p class="actions"><a class="button" href="${String(home)}">${NEXT_ACTION_LINKS[step.action]}</a></p>
${renderSupport(support)}
</div>`;
  return page(status, { title: heading, requestId, content }, opts);
};

/**
 * The one place an error becomes a status: a {@link GatewayError} keeps its status and `code`;
 * anything else is a 500 `server_error`. The person sees the code and a safe description, never a
 * stack, a detail or a library message; browser routes get an {@link errorPage} that says what to
 * do next, API routes the unchanged JSON `{ error, error_description }`. Exposed errors are
 * logged at warn with `code` and `detail`; the rest at error with the stack. Modelled on middy's
 * http-error-handler and oidc-provider's err_out.
 */
export const errorMiddleware = ({
  logger,
  format,
  support,
  home,
}: {
  logger: Log;
  format: ErrorFormat;
  /**
   * The operator's help contact, shown on error pages (not in JSON errors); a function is asked
   * per error (the config cache answers it) and any failure of it just leaves the contact out.
   */
  support?: SupportContact | (() => Promise<SupportContact | undefined>);
  /** Where error pages' "sign in again" links lead (default `/`). */
  home?: URL | string;
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> => ({
  onError: async (request) => {
    const err = request.error;
    const known = err instanceof GatewayError ? err : undefined;
    logRequestError(logger, err);
    const shown = sentErrorOf(err);
    const requestId = request.context?.awsRequestId;
    const headers: Record<string, string> = {};
    if (known instanceof MethodNotAllowedError) headers.allow = known.allow.join(', ');
    const contact =
      format === 'html' && typeof support === 'function'
        ? await support().catch(() => undefined)
        : typeof support === 'function'
          ? undefined
          : support;
    request.response =
      format === 'json'
        ? json(
            shown.status,
            { error: shown.code, error_description: shown.description },
            { headers },
          )
        : errorPage(
            {
              status: shown.status,
              code: shown.code,
              description: shown.description,
              requestId,
              ...(contact ? { support: contact } : {}),
              ...(home !== undefined ? { home } : {}),
            },
            { headers },
          );
  },
});
