import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLambdaContext, toApiGatewayEvent } from '../../infra/local/api-gateway-event.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../../infra/manifest.js';
import { FUNCTIONS, ROUTES } from '../../infra/routes.js';
import { createRouteMatcher } from '../../shared/http/index.js';

describe('route table', () => {
  it('names an existing function file for every route, each route once', () => {
    for (const fn of FUNCTIONS) expect(existsSync(`functions/${fn}.ts`), fn).toBe(true);
    expect(new Set(ROUTES.map((r) => r.routeKey)).size).toBe(ROUTES.length);
  });
});

describe('route matcher (API Gateway HTTP API semantics)', () => {
  const match = createRouteMatcher([
    { routeKey: 'GET /', fn: 'home' },
    { routeKey: 'POST /saml/{idp}/acs', fn: 'acs' },
    { routeKey: 'GET /saml/{idp}/metadata', fn: 'meta' },
    { routeKey: 'GET /saml/static/metadata', fn: 'static' },
    { routeKey: 'GET /files/{proxy+}', fn: 'files' },
  ]);

  it('matches method and path, with path parameters decoded', () => {
    expect(match('POST', '/saml/okta%2Dx/acs')).toMatchObject({
      route: { fn: 'acs' },
      pathParameters: { idp: 'okta-x' },
    });
    expect(match('GET', '/saml/static/metadata')?.route.fn).toBe('static');
    expect(match('GET', '/files/a/b/c')?.pathParameters).toEqual({ proxy: 'a/b/c' });
    expect(match('HEAD', '/')?.route.fn).toBe('home');
  });

  it('does not match another method or a longer path', () => {
    expect(match('GET', '/saml/okta/acs')).toBeUndefined();
    expect(match('POST', '/saml/okta/acs/x')).toBeUndefined();
    expect(match('GET', '/saml//metadata')).toBeUndefined();
  });
});

describe('API Gateway v2 event', () => {
  const base = {
    method: 'POST',
    sourceIp: '127.0.0.1',
    routeKey: 'POST /saml/{idp}/acs',
    pathParameters: { idp: 'okta' },
    domainName: '127.0.0.1:8787',
  };

  it('base64-encodes a form body, moves cookies out of headers and joins repeated values', () => {
    const event = toApiGatewayEvent({
      ...base,
      url: '/saml/okta/acs?a=1&a=2&b=3',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        cookie: 'x=1; __Host-y=2',
        'x-multi': ['p', 'q'],
      },
      body: Buffer.from('SAMLResponse=abc'),
    });
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/saml/okta/acs',
      rawQueryString: 'a=1&a=2&b=3',
      queryStringParameters: { a: '1,2', b: '3' },
      cookies: ['x=1', '__Host-y=2'],
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-multi': 'p,q' },
      pathParameters: { idp: 'okta' },
      isBase64Encoded: true,
      body: Buffer.from('SAMLResponse=abc').toString('base64'),
      requestContext: {
        http: { method: 'POST', path: '/saml/okta/acs', sourceIp: '127.0.0.1' },
        stage: '$default',
      },
    });
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes JSON as text', () => {
    const event = toApiGatewayEvent({
      ...base,
      url: '/credentials',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"a":1}'),
    });
    expect(event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });
});

describe('Lambda context', () => {
  it('gives a local invocation the time the deployed function has, not less', () => {
    // middy answers 500 when the context's time runs out: a runner (or a test through it) with
    // less time than Lambda refuses under load what AWS would complete.
    expect(FUNCTION_TIMEOUT_SECONDS).toBe(29);
    const remaining = createLambdaContext('fedgate-scim').getRemainingTimeInMillis();
    expect(remaining).toBeGreaterThan(FUNCTION_TIMEOUT_SECONDS * 1000 - 1000);
    expect(remaining).toBeLessThanOrEqual(FUNCTION_TIMEOUT_SECONDS * 1000);
  });
});
