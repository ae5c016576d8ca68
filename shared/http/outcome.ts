import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Log, Meter } from '../log.js';
import { GatewayError } from './errors.js';
import type { HttpResponse } from './responses.js';

/**
 * One outcome line and a few metrics per request, whatever happened: the route, the status, the
 * error code when refused or failed, and the time taken. Runs after the error middleware has
 * chosen the response, so refusals and failures are counted with the code the client saw.
 *
 * Metrics (namespace `fedgate`): `RequestLatency` (ms, by route), `Refusals` (4xx, by code) and
 * `Failures` (5xx, by code: `sts_*`, `dependency_unavailable`, `server_error`, …) — the alarms of
 * the CDK app watch the last one. Nothing from the request itself is logged (no query string, no
 * body, no cookie): callback URLs carry codes.
 */
export const requestOutcome = ({
  logger,
  meter,
  now = () => performance.now(),
}: {
  logger: Log;
  meter: Meter;
  now?: () => number;
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, Context> => {
  const started = new WeakMap<object, number>();
  const record = (
    request: { event: APIGatewayProxyEventV2; response: HttpResponse | undefined | null },
    error: Error | null | undefined,
  ) => {
    const route = request.event?.routeKey ?? 'unknown';
    const status = request.response?.statusCode ?? 500;
    const begun = started.get(request) ?? now();
    const durationMs = Math.round((now() - begun) * 10) / 10;
    const code =
      status >= 400 ? (error instanceof GatewayError ? error.code : 'server_error') : undefined;
    logger.info('request completed', { route, status, ...(code ? { code } : {}), durationMs });
    meter.milliseconds('RequestLatency', { route }, durationMs);
    if (code && status >= 500) meter.count('Failures', { code });
    else if (code) meter.count('Refusals', { code });
  };
  return {
    before: (request) => {
      started.set(request, now());
    },
    after: (request) => record(request, undefined),
    onError: (request) => record(request, request.error),
  };
};
