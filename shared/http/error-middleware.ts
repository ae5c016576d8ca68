import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Log } from '../log.js';
import { GatewayError, MethodNotAllowedError } from './errors.js';
import { html } from './html.js';
import { type HttpResponse, json, page } from './responses.js';

/** Browser routes get an HTML error page; API routes (OIDC-style, SPA) get JSON. */
export type ErrorFormat = 'html' | 'json';

const SERVER_ERROR = {
  status: 500,
  code: 'server_error',
  description: 'Something went wrong on our side. Please try again later.',
};

/**
 * The one place an error becomes a status: a {@link GatewayError} keeps its status and `code`;
 * anything else is a 500 `server_error`. The person sees the code and a safe description, never a
 * stack, a detail or a library message. Exposed errors are logged at warn with `code` and
 * `detail`; the rest at error with the stack. Modelled on middy's http-error-handler and
 * oidc-provider's err_out.
 */
export const errorMiddleware = ({
  logger,
  format,
}: {
  logger: Log;
  format: ErrorFormat;
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> => ({
  onError: (request) => {
    const err = request.error;
    const known = err instanceof GatewayError ? err : undefined;
    if (known?.expose) {
      logger.warn('request refused', {
        code: known.code,
        status: known.status,
        detail: known.detail,
      });
    } else {
      // Unknown errors: the stack goes to the log only (the error object is logged whole).
      logger.error('request failed', {
        code: known?.code ?? 'server_error',
        error: err ?? undefined,
      });
    }
    const shown = known?.expose ? known : SERVER_ERROR;
    const requestId = request.context?.awsRequestId;
    const headers: Record<string, string> = {};
    if (known instanceof MethodNotAllowedError) headers.allow = known.allow.join(', ');
    request.response =
      format === 'json'
        ? json(
            shown.status,
            { error: shown.code, error_description: shown.description },
            { headers },
          )
        : page(
            shown.status,
            {
              title: 'Sign-in failed',
              requestId,
              content: html`<div class="card error">
<h1>${shown.status === 503 ? 'Please try again' : 'Sign-in could not be completed'}</h1>
<p>${shown.description}</p>
<p class="muted">Error code <code>${shown.code}</code></p>
</div>`,
            },
            { headers },
          );
  },
});
