import { readFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../../../shared/http/index.js';
import { describe, expect, test as kit } from '../../kit/index.js';
import { lambdaContext } from '../../support/events.js';

/**
 * The recorded events of the SPA functions (events/credentials.*.json, events/oidc-login.spa.json,
 * written by `npm run events`) through the handlers themselves, with the runner providing the
 * tables and environment under the events' public base URL.
 */
const test = kit.extend(
  'gatewayOptions',
  { scope: 'file' },
  { publicBaseUrl: 'http://127.0.0.1:8787' },
);
const it = test;
type Handler = (
  e: APIGatewayProxyEventV2,
  c: ReturnType<typeof lambdaContext>,
) => Promise<HttpResponse>;
let credentials: Handler;
let oidcLogin: Handler;

// The runner (the kit's `gateway`) sets the environment the handlers read at import.
test.beforeAll(async ({ gateway: _ }) => {
  credentials = ((await import('../../../functions/credentials.js')) as { handler: Handler })
    .handler;
  oidcLogin = ((await import('../../../functions/oidc-login.js')) as { handler: Handler }).handler;
});

const event = async (name: string) =>
  JSON.parse(await readFile(`events/${name}.json`, 'utf8')) as APIGatewayProxyEventV2;

const CORS = {
  'access-control-allow-origin': 'http://127.0.0.1:8787',
  'access-control-allow-credentials': 'true',
  vary: 'Origin',
};

describe('events/credentials.*.json', () => {
  it('preflight: 204 with the CORS grant for the registered origin', async () => {
    const res = await credentials(await event('credentials.preflight'), lambdaContext());
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      ...CORS,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'cache-control': 'no-store',
    });
  });

  it.each([
    ['credentials.redeem-used-code', 400, 'spa_code_invalid', true],
    ['credentials.foreign-origin', 403, 'spa_origin_not_allowed', false],
    ['credentials.refresh-without-session', 401, 'session_invalid', true],
    ['credentials.grants-without-session', 401, 'session_invalid', true],
  ])('%s: %i %s', async (name, status, code, cors) => {
    const res = await credentials(await event(name), lambdaContext());
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(String(res.body))).toEqual({
      error: code,
      error_description: expect.any(String),
    });
    expect(res.headers.vary).toBe('Origin');
    if (cors) expect(res.headers).toMatchObject(CORS);
    else expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('credentials.logout: 204 and the session cookie cleared', async () => {
    const res = await credentials(await event('credentials.logout'), lambdaContext());
    expect(res.statusCode).toBe(204);
    expect(res.cookies).toEqual([
      '__Host-fedgate-spa-demo-spa=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=None',
    ]);
  });

  it('oidc-login.spa with its return_to changed: 400 spa_return_to_invalid, no redirect', async () => {
    // The recorded event itself needs the demo OP at :8787 (discovery); a changed return_to is
    // refused before any discovery.
    const e = await event('oidc-login.spa');
    const query = new URLSearchParams(e.rawQueryString);
    expect(query.get('client_id')).toBe('demo-spa');
    query.set('return_to', 'https://evil.example/_local/spa/');
    const res = await oidcLogin({ ...e, rawQueryString: query.toString() }, lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(String(res.body)).toContain('spa_return_to_invalid');
  });
});
