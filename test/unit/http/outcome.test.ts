import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DependencyUnavailableError,
  errorMiddleware,
  GatewayError,
  type HttpResponse,
  json,
  requestOutcome,
  securityHeaders,
} from '../../../shared/http/index.js';

import { createMeter, type Log, type Meter } from '../../../shared/log.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';

const captureMeter = () => {
  const figures: {
    kind: string;
    name: string;
    dimensions: Record<string, string>;
    value: number;
  }[] = [];
  const meter: Meter = {
    count: (name, dimensions, value = 1) =>
      figures.push({ kind: 'count', name, dimensions, value }),
    milliseconds: (name, dimensions, value) =>
      figures.push({ kind: 'ms', name, dimensions, value }),
  };
  return { meter, figures };
};

/** The production order: outcome, security headers, error middleware (onError runs first). */
const chain = (fn: () => Promise<HttpResponse>) => {
  const log = captureLogger();
  const { meter, figures } = captureMeter();
  let clock = 1000;
  const handler = middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>()
    .use(
      requestOutcome({
        logger: log as unknown as Log,
        meter,
        now: () => {
          clock += 12.5;
          return clock;
        },
      }),
    )
    .use(securityHeaders())
    .use(errorMiddleware({ logger: log as unknown as Log, format: 'json' }))
    .handler(fn);
  return { handler, log, figures };
};

const event = (routeKey: string, path: string) =>
  apiEvent({ method: 'POST', path, routeKey, rawQueryString: 'code=SECRET-CODE&state=s' });

describe('requestOutcome', () => {
  it('writes one outcome line and the route latency for a success, nothing from the request', async () => {
    const { handler, log, figures } = chain(async () => json(200, { ok: true }));
    const res = await handler(event('POST /portal/open', '/portal/open'), lambdaContext());
    expect(res.statusCode).toBe(200);
    const outcome = log.lines.filter((l) => l.message === 'request completed');
    expect(outcome).toEqual([
      {
        level: 'info',
        message: 'request completed',
        attrs: [{ route: 'POST /portal/open', status: 200, durationMs: 12.5 }],
      },
    ]);
    expect(figures).toEqual([
      {
        kind: 'ms',
        name: 'RequestLatency',
        dimensions: { route: 'POST /portal/open' },
        value: 12.5,
      },
    ]);
    expect(log.text()).not.toContain('SECRET-CODE');
  });

  it('counts a refusal by the code the client saw', async () => {
    const { handler, log, figures } = chain(async () => {
      throw new GatewayError(400, 'saml_signature_invalid', 'Not verified.', { detail: 'd' });
    });
    const res = await handler(event('POST /saml/{idp}/acs', '/saml/okta/acs'), lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(log.lines.at(-1)).toEqual({
      level: 'info',
      message: 'request completed',
      attrs: [
        {
          route: 'POST /saml/{idp}/acs',
          status: 400,
          code: 'saml_signature_invalid',
          durationMs: 12.5,
        },
      ],
    });
    expect(figures).toContainEqual({
      kind: 'count',
      name: 'Refusals',
      dimensions: { code: 'saml_signature_invalid' },
      value: 1,
    });
    expect(figures.some((f) => f.name === 'Failures')).toBe(false);
  });

  it('counts a failing dependency and an unexpected error as failures', async () => {
    const down = chain(async () => {
      throw new DependencyUnavailableError('sts', 'throttled');
    });
    const r1 = await down.handler(event('POST /portal/open', '/portal/open'), lambdaContext());
    expect(r1.statusCode).toBe(503);
    const failure = down.figures.find((f) => f.name === 'Failures');
    expect(failure?.dimensions.code).toMatch(/unavailable/);

    const bug = chain(async () => {
      throw new TypeError('x is undefined');
    });
    const r2 = await bug.handler(event('GET /', '/'), lambdaContext());
    expect(r2.statusCode).toBe(500);
    expect(bug.figures).toContainEqual({
      kind: 'count',
      name: 'Failures',
      dimensions: { code: 'server_error' },
      value: 1,
    });
    expect(bug.log.lines.at(-1)?.attrs).toEqual([
      { route: 'GET /', status: 500, code: 'server_error', durationMs: 12.5 },
    ]);
  });
});

describe('createMeter (Powertools Metrics, EMF on stdout)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('publishes each figure at once, as its own EMF record with only its own dimensions', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const meter = createMeter(new Metrics({ namespace: 'fedgate', serviceName: 'fedgate' }));
    meter.count('Refusals', { code: 'saml_replay' });
    meter.milliseconds('RequestLatency', { route: 'GET /' }, 7.5);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      Refusals: 1,
      code: 'saml_replay',
      service: 'fedgate',
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'fedgate',
            Metrics: [{ Name: 'Refusals', Unit: 'Count' }],
          },
        ],
      },
    });
    expect(records[0]).not.toHaveProperty('route');
    expect(records[1]).toMatchObject({ RequestLatency: 7.5, route: 'GET /' });
    expect(records[1]).not.toHaveProperty('code');
  });
});
