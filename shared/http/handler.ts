import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { meter as defaultMeter, type Meter } from '../log.js';
import { type ErrorFormat, errorMiddleware } from './error-middleware.js';
import { DependencyUnavailableError } from './errors.js';
import type { SupportContact } from './next-steps.js';
import { requestOutcome } from './outcome.js';
import type { HttpResponse } from './responses.js';
import { securityHeaders } from './security-headers.js';

/** An endpoint: one API Gateway v2 event in, one structured response out. */
export type Endpoint = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/**
 * How long before Lambda's deadline the chain stops waiting for the endpoint and answers a 503
 * `temporarily_unavailable` instead (a dependency that never answered in time is an outage, not a
 * defect): room for the error response, its log line and metrics.
 */
export const TIMEOUT_MARGIN_MS = 500;

/**
 * The middy chain every fedgate function uses: Lambda context in the logs (keys reset per
 * request), one outcome line + metrics per request, security headers on every response, and the
 * error middleware (last `.use()`: its onError runs first and sets the response the security
 * headers then complete and the outcome then records). An endpoint still running
 * {@link TIMEOUT_MARGIN_MS} before the deadline gets a 503, never Lambda's bare timeout or a 500.
 */
export const createHttpHandler = (
  {
    logger,
    meter = defaultMeter,
    format,
    middlewares = [],
    support,
    home,
  }: {
    logger: Logger;
    meter?: Meter;
    format: ErrorFormat;
    /** Route-specific middlewares (e.g. the SPA routes' CORS); their onError sees the error response. */
    middlewares?: readonly MiddlewareObj[];
    /** Error pages: the operator's support contact (see errorMiddleware). */
    support?: () => Promise<SupportContact | undefined>;
    /** Error pages: where "sign in again" leads. */
    home?: URL;
  },
  endpoint: Endpoint,
) =>
  middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>({
    timeoutEarlyInMillis: TIMEOUT_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new DependencyUnavailableError(
        'time',
        `the function's time ran out (${TIMEOUT_MARGIN_MS} ms before its deadline)`,
      );
    },
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestOutcome({ logger, meter }))
    .use(securityHeaders())
    .use([...middlewares] as MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context>[])
    .use(
      errorMiddleware({
        logger,
        format,
        ...(support ? { support } : {}),
        ...(home ? { home } : {}),
      }),
    )
    .handler(endpoint);
