import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  errorMiddleware,
  GatewayError,
  type HttpResponse,
  json,
  MethodNotAllowedError,
  securityHeaders,
} from '../../../shared/http/index.js';
import type { Log } from '../../../shared/log.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';

const chain = (format: 'html' | 'json', fn: () => Promise<HttpResponse>, log = captureLogger()) =>
  middy<APIGatewayProxyEventV2, HttpResponse, Error, Context>()
    .use(securityHeaders())
    .use(errorMiddleware({ logger: log as unknown as Log, format }))
    .handler(fn);

const SECURITY = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

describe('errorMiddleware', () => {
  it('turns a GatewayError into JSON { error, error_description } with its status, and logs the detail at warn', async () => {
    const log = captureLogger();
    const handler = chain(
      'json',
      async () => {
        throw new GatewayError(
          400,
          'saml_signature_invalid',
          'The sign-in response could not be verified.',
          {
            detail: 'digest mismatch on #_a1',
          },
        );
      },
      log,
    );
    const res = await handler(apiEvent(), lambdaContext());
    expect(res).toEqual({
      statusCode: 400,
      headers: expect.objectContaining({
        ...SECURITY,
        'content-type': 'application/json; charset=utf-8',
      }),
      body: JSON.stringify({
        error: 'saml_signature_invalid',
        error_description: 'The sign-in response could not be verified.',
      }),
    });
    expect(res.body).not.toContain('digest mismatch');
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'request refused',
        attrs: [{ code: 'saml_signature_invalid', status: 400, detail: 'digest mismatch on #_a1' }],
      },
    ]);
  });

  it('hides unknown errors behind a 500 server_error page, logging the stack at error', async () => {
    const log = captureLogger();
    const handler = chain(
      'html',
      async () => {
        throw new TypeError('secret internals at /var/task/index.js:1');
      },
      log,
    );
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.body).toContain('<code>server_error</code>');
    expect(res.body).toContain('aws-req-1');
    expect(res.body).not.toContain('secret internals');
    expect(log.lines[0]).toMatchObject({ level: 'error', message: 'request failed' });
    expect(log.text()).toContain('secret internals');
  });

  it('shows a 503 with its code so the person knows to retry', async () => {
    const handler = chain('json', async () => {
      throw new DependencyUnavailableError('dynamodb', 'ThrottlingException');
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body as string)).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringContaining('try again'),
    });
  });

  it('does not expose a 5xx GatewayError', async () => {
    const handler = chain('json', async () => {
      throw new GatewayError(502, 'sts_assume_role_failed', 'no', { detail: 'AccessDenied' });
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body as string).error).toBe('server_error');
  });

  it('sets Allow on a 405', async () => {
    const handler = chain('json', async () => {
      throw new MethodNotAllowedError(['POST']);
    });
    const res = await handler(apiEvent(), lambdaContext());
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('securityHeaders', () => {
  it('adds the headers to successful responses and keeps a chosen Cache-Control', async () => {
    const res = await chain('json', async () =>
      json(200, { ok: true }, { headers: { 'Cache-Control': 'public, max-age=300' } }),
    )(apiEvent(), lambdaContext());
    expect(res.headers).toMatchObject({
      'cache-control': 'public, max-age=300',
      'content-security-policy':
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-frame-options': 'DENY',
    });
    expect(res.headers.pragma).toBeUndefined();
  });
});
