import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import { createLambdaContext } from '../../../infra/local/api-gateway-event.js';
import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import type { LocalGateway } from '../../../infra/local/gateway.js';
import { ROUTES } from '../../../infra/routes.js';
import { DEFAULT_CONSOLE_DESTINATION } from '../../../shared/console/destination.js';
import { NEXT_ACTION_LINKS, nextStepFor } from '../../../shared/http/index.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { apiEvent } from '../../support/events.js';
import { spawnCapturedRunner } from '../../support/log-capture.js';
import {
  CONFIRM_COOKIE,
  type Confirmation,
  postConfirmation,
  readConfirmation,
  SESSION_COOKIE,
} from '../../support/portal-flow.js';
import { createJar, type Jar, step } from '../oidc/browserless.js';
import {
  destinationOf,
  form,
  oidcSignIn,
  open,
  openKeys,
  portalOf,
  samlConfirmed,
  samlIdpInitiated,
  samlSpInitiated,
} from './flows.js';

/**
 * SECURITY.md §6 against the local runner (the same server `npm start` runs), item by item:
 * security headers on every route (errors included) and on the pages of a live sign-in, open
 * redirects on every redirecting input, CSRF on the portal's forms and the sign-in confirmation,
 * the IdP-initiated policy, CORS, method and content-type strictness, uniform error bodies. Cookies and framing in a real browser: test/e2e/web-layer.e2e.ts. Throttling:
 * ./throttling.test.ts.
 */
/** The kit's runner for this file (the `gateway` fixture), for the helpers below. */
let gateway: LocalGateway;
const url = (path: string) => new URL(path, gateway.url);

test.beforeAll(({ gateway: runner }) => {
  gateway = runner;
});

/** One request per route in infra/routes.ts that reaches its function, good and bad. */
const requestsFor = (routeKey: string): { label: string; path: string; init?: RequestInit }[] => {
  const [method, path] = routeKey.split(' ') as [string, string];
  const idp = path.startsWith('/oidc/') ? 'demo-oidc' : 'demo-okta';
  const good = path.replace('{idp}', idp).replace('{id}', 'x');
  const unknown = path.replace('{idp}', 'no-such-idp').replace('{id}', 'x');
  // Bodies go with the route's own method (SCIM's PUT, PATCH and DELETE too).
  const post = (body: Record<string, string>) => ({ ...form(body), method });
  if (method === 'OPTIONS')
    return [
      {
        label: `${routeKey} (preflight from a foreign origin)`,
        path: `${good}?client_id=demo-spa`,
        init: {
          method: 'OPTIONS',
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        },
      },
    ];
  if (method === 'GET') {
    const out = [{ label: `${routeKey} (served)`, path: good }];
    if (path.includes('{idp}'))
      out.push({ label: `${routeKey} (unknown IdP: 404)`, path: unknown });
    if (path.endsWith('/callback'))
      out.push({ label: `${routeKey} (no transaction: 400)`, path: `${good}?code=x&state=y` });
    if (path.endsWith('/login'))
      out.push({
        label: `${routeKey} (parameter twice: 400)`,
        path: `${good}?return_to=a&return_to=b`,
      });
    return out;
  }
  return [
    { label: `${routeKey} (garbage form: 400)`, path: good, init: post({ SAMLResponse: 'abc' }) },
    { label: `${routeKey} (unknown IdP / no ticket)`, path: unknown, init: post({ x: 'y' }) },
    {
      label: `${routeKey} (JSON body: 400)`,
      path: good,
      init: { method, headers: { 'content-type': 'application/json' }, body: '{}' },
    },
  ];
};

const ALL_REQUESTS = ROUTES.flatMap((r) => requestsFor(r.routeKey));

describe('security headers on every route, errors included', () => {
  it('covers every route of infra/routes.ts', () => {
    for (const r of ROUTES)
      expect(ALL_REQUESTS.some((q) => q.label.startsWith(r.routeKey))).toBe(true);
  });

  it.each(ALL_REQUESTS.map((r) => [r.label, r] as const))('%s', async (_, r) => {
    const res = await fetch(url(r.path), { redirect: 'manual', ...r.init });
    const h = Object.fromEntries(res.headers);
    const body = await res.text();
    expect(res.status, body.slice(0, 200)).not.toBe(500);
    expect(h).toMatchObject({
      'strict-transport-security': expect.stringMatching(/^max-age=(\d{8,}); includeSubDomains/),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
    });
    expect(h['content-security-policy']).toContain("default-src 'none'");
    expect(h['content-security-policy']).toContain("base-uri 'none'");
    expect(h['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    // Only the published documents (public keys and metadata, never credentials) may be cached.
    const published = /metadata|well-known/.test(r.path) && res.status === 200;
    expect(h['cache-control']).toBe(published ? 'public, max-age=300' : 'no-store');
    // CORS: without a registered Origin no route grants a cross-origin read.
    expect(h['access-control-allow-origin']).toBeUndefined();
    expect(h['access-control-allow-credentials']).toBeUndefined();
  });

  it('HEAD on a GET route carries the same headers', async () => {
    const res = await fetch(url('/'), { method: 'HEAD' });
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('the pages of a live sign-in carry them too, never cached: the confirmation, the portal, the access keys', async () => {
    const jar = createJar();
    const held = await samlIdpInitiated(gateway.url, 'demo-okta', 'alice', {}, jar);
    const confirmationHeaders = Object.fromEntries(held.res.headers);
    const signedIn = await samlConfirmed(gateway.url, 'demo-okta', 'alice');
    const home = await portalOf(gateway.url, signedIn.jar);
    const keys = await openKeys(gateway.url, signedIn.jar, {
      csrf: home.portal.csrf,
      grant: home.portal.grantFor('fedgate-demo-developer'),
    });
    expect(keys.status).toBe(200);
    expect(await keys.text()).toContain('ASIALOCAL');
    for (const [label, status, h] of [
      ['confirmation', held.res.status, confirmationHeaders],
      ['portal', home.res.status, Object.fromEntries(home.res.headers)],
      ['access keys', keys.status, Object.fromEntries(keys.headers)],
    ] as const) {
      expect([label, status, h['cache-control'], h.pragma]).toEqual([
        label,
        200,
        'no-store',
        'no-cache',
      ]);
      expect(h, label).toMatchObject({
        'strict-transport-security': expect.stringMatching(/^max-age=(\d{8,}); includeSubDomains/),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
      const csp = h['content-security-policy'] ?? '';
      expect(csp, label).toContain("frame-ancestors 'none'");
      expect(csp, label).toContain("default-src 'none'");
      expect(csp, label).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      // Forms may post only to fedgate itself.
      const formAction = /form-action ([^;]+)/.exec(csp)?.[1]?.trim().split(/\s+/) ?? ["'none'"];
      for (const source of formAction)
        expect(["'self'", "'none'", gateway.url.origin], `${label}: ${source}`).toContain(source);
    }
  });

  it('every form that changes something posts to fedgate with a CSRF token (portal, confirmation, keys, sign-in and error pages)', async () => {
    const held = await samlIdpInitiated(gateway.url, 'demo-okta', 'alice');
    const confirmation = await held.res.text();
    const signedIn = await samlConfirmed(gateway.url, 'demo-okta', 'alice');
    const home = await portalOf(gateway.url, signedIn.jar);
    const keys = await (
      await openKeys(gateway.url, signedIn.jar, {
        csrf: home.portal.csrf,
        grant: home.portal.grantFor('fedgate-demo-admin'),
      })
    ).text();
    const signInPage = await (await fetch(url('/'))).text();
    const errorPage = await (
      await fetch(url('/portal/open'), { ...form({ csrf: 'x' }), redirect: 'manual' })
    ).text();
    const pages = { confirmation, portal: home.html, keys, signInPage, errorPage };
    const forms = Object.entries(pages).flatMap(([label, html]) =>
      [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
        label,
        attrs: m[1] as string,
        body: m[2] as string,
      })),
    );
    // The portal: one form per role row and Sign out; the confirmation: Continue.
    const count = (label: string) => forms.filter((f) => f.label === label).length;
    expect([count('portal'), count('confirmation')]).toEqual([home.portal.rows.length + 1, 1]);
    expect(home.portal.rows.length).toBe(3);
    for (const f of forms) {
      expect(f.attrs, f.label).toMatch(/^ method="post" action="[^"]+"$/);
      const action = new URL(/action="([^"]+)"/.exec(f.attrs)?.[1] as string);
      expect(action.origin, f.label).toBe(gateway.url.origin);
      expect(['/portal/open', '/signout', '/signin/confirm'], f.label).toContain(action.pathname);
      expect(f.body, f.label).toMatch(
        /<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/,
      );
    }
  });
});

/** The SPA routes (shared/spa): the only ones with a CORS grant, to a registered origin. */
const SPA_ROUTES = ROUTES.filter((r) => r.fn === 'credentials');

describe('CORS only where designed', () => {
  it.each(ALL_REQUESTS.map((r) => [r.label, r] as const))(
    '%s with a foreign Origin',
    async (_, r) => {
      const res = await fetch(url(r.path), {
        redirect: 'manual',
        ...r.init,
        headers: { ...(r.init?.headers as Record<string, string>), origin: 'https://evil.example' },
      });
      await res.arrayBuffer();
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    },
  );

  it('a preflight (OPTIONS) on a non-SPA route reaches no function and allows nothing', async () => {
    const withPreflight = new Set(
      ROUTES.filter((r) => r.routeKey.startsWith('OPTIONS ')).map((r) => r.routeKey.slice(8)),
    );
    for (const r of ROUTES) {
      const path = r.routeKey.split(' ')[1]?.replace('{idp}', 'demo-okta') as string;
      if (withPreflight.has(path)) continue;
      const res = await fetch(url(path), {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
        },
      });
      expect([res.status, await res.text()]).toEqual([404, '{"message":"Not Found"}']);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('the SPA routes grant exactly the registered origin, with Vary: Origin, never to others', async () => {
    expect(SPA_ROUTES.length).toBeGreaterThan(0);
    const registered = gateway.url.origin; // demo-spa's origin in the demo config
    for (const r of SPA_ROUTES) {
      const [method, path] = r.routeKey.split(' ') as [string, string];
      const send = (origin: string | undefined, clientId = 'demo-spa') =>
        fetch(url(`${path}?client_id=${clientId}`), {
          method,
          redirect: 'manual',
          headers: {
            ...(origin ? { origin } : {}),
            ...(method === 'OPTIONS'
              ? { 'access-control-request-method': 'POST' }
              : { 'content-type': 'application/json' }),
          },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
      const own = await send(registered);
      await own.arrayBuffer();
      expect([r.routeKey, own.headers.get('access-control-allow-origin')]).toEqual([
        r.routeKey,
        registered,
      ]);
      expect(own.headers.get('access-control-allow-credentials')).toBe('true');
      expect(own.headers.get('vary')).toMatch(/origin/i);
      for (const [label, origin, clientId] of [
        ['foreign origin', 'https://evil.example', 'demo-spa'],
        ['null origin', 'null', 'demo-spa'],
        ['look-alike origin', `${registered}.evil.example`, 'demo-spa'],
        ['no origin', undefined, 'demo-spa'],
        ['unknown client', registered, 'no-such-client'],
      ] as const) {
        const res = await send(origin, clientId);
        await res.arrayBuffer();
        expect([r.routeKey, label, res.headers.get('access-control-allow-origin')]).toEqual([
          r.routeKey,
          label,
          null,
        ]);
        expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      }
    }
  });
});

describe('method and content-type strictness', () => {
  it('a method no route has is answered by the gateway (404) and reaches no function', async () => {
    for (const r of ROUTES) {
      const [method, path] = r.routeKey.split(' ') as [string, string];
      const other = method === 'GET' ? 'POST' : 'GET';
      // A path served with both methods (the CLI's authorize and device pages) has no other.
      if (ROUTES.some((o) => o.routeKey === `${other} ${path}`)) continue;
      const res = await fetch(url(path.replace('{idp}', 'demo-okta')), {
        method: other,
        redirect: 'manual',
        ...(other === 'POST' ? form({ a: 'b' }) : {}),
      });
      expect([r.routeKey, res.status, await res.text()]).toEqual([
        r.routeKey,
        404,
        '{"message":"Not Found"}',
      ]);
    }
  });

  it.each([
    ['saml-acs', 'GET', 'POST'],
    ['saml-login', 'POST', 'GET'],
    ['oidc-login', 'POST', 'GET'],
    ['oidc-callback', 'POST', 'GET'],
    ['home', 'DELETE', 'GET, HEAD'],
  ])(
    '%s invoked with %s directly (a $default route, npm run invoke) → 405 with Allow',
    async (fn, method, allow) => {
      const { handler } = (await import(`../../../functions/${fn}.ts`)) as {
        handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
      };
      const event = apiEvent({
        method,
        path: fn.startsWith('oidc') ? '/oidc/demo-oidc/login' : '/saml/demo-okta/acs',
        pathParameters: { idp: fn.startsWith('oidc') ? 'demo-oidc' : 'demo-okta' },
      });
      const result = (await handler(event, createLambdaContext(`fedgate-${fn}`))) as {
        statusCode: number;
        headers: Record<string, string>;
        body: string;
      };
      expect([result.statusCode, result.headers.allow]).toEqual([405, allow]);
      expect(result.body).toContain('method_not_allowed');
      expect(result.headers['x-frame-options']).toBe('DENY');
    },
  );

  it('portal invoked on a route key it does not serve (a $default route) → 404 not_found, no action runs', async () => {
    const { handler } = (await import('../../../functions/portal.js')) as {
      handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
    };
    for (const method of ['GET', 'POST']) {
      const event = { ...apiEvent({ method, path: '/portal/open' }), routeKey: '$default' };
      const result = (await handler(event, createLambdaContext('fedgate-portal'))) as {
        statusCode: number;
        headers: Record<string, string>;
        body: string;
      };
      expect([method, result.statusCode]).toEqual([method, 404]);
      expect(result.body).toContain('<code>not_found</code>');
      expect(result.headers['x-frame-options']).toBe('DENY');
    }
  });

  it.each([
    ['POST /portal/open', 'GET', 'POST'],
    ['GET /portal/keys', 'POST', 'GET'],
    ['POST /signout', 'GET', 'POST'],
    ['POST /signin/confirm', 'GET', 'POST'],
  ])(
    'portal: %s invoked with %s (a route key and a method that disagree) → 405 with Allow',
    async (routeKey, method, allow) => {
      const { handler } = (await import('../../../functions/portal.js')) as {
        handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;
      };
      const path = routeKey.split(' ')[1] as string;
      const event = { ...apiEvent({ method, path }), routeKey };
      const result = (await handler(event, createLambdaContext('fedgate-portal'))) as {
        statusCode: number;
        headers: Record<string, string>;
        body: string;
      };
      expect([result.statusCode, result.headers.allow]).toEqual([405, allow]);
      expect(result.body).toContain('method_not_allowed');
      expect(result.headers['x-frame-options']).toBe('DENY');
    },
  );

  it.each([
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
  ])(
    'form posts refuse content type "%s" with 400 invalid_request, and change nothing',
    async (type) => {
      const alice = await samlConfirmed(gateway.url, 'demo-okta', 'alice');
      const { portal } = await portalOf(gateway.url, alice.jar);
      const held = createJar();
      const carol = await samlIdpInitiated(gateway.url, 'demo-okta', 'carol', {}, held);
      const confirmation = await readConfirmation(carol.res);
      const posts: [string, Jar, string][] = [
        [
          '/saml/demo-okta/acs',
          alice.jar,
          new URLSearchParams({
            SAMLResponse: await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'carol'),
          }).toString(),
        ],
        [
          '/portal/open',
          alice.jar,
          new URLSearchParams({
            csrf: portal.csrf,
            grant: portal.grantFor('fedgate-demo-developer'),
            target: 'keys',
          }).toString(),
        ],
        ['/signout', alice.jar, new URLSearchParams({ csrf: portal.csrf }).toString()],
        ['/signin/confirm', held, new URLSearchParams({ csrf: confirmation.csrf }).toString()],
      ];
      for (const [path, jar, body] of posts) {
        const res = await step(jar, url(path), {
          method: 'POST',
          headers: type ? { 'content-type': type } : {},
          body: type === '' ? new Blob([body]) : body,
        });
        const text = await res.text();
        expect([
          path,
          res.status,
          text.includes('<code>invalid_request</code>'),
          text.includes('ASIALOCAL'),
          res.headers.get('location'),
          res.headers.getSetCookie(),
        ]).toEqual([path, 400, true, false, null, []]);
      }
      // Nothing changed: the session was not ended, the held sign-in not spent.
      expect((await portalOf(gateway.url, alice.jar)).portal.csrf).toBe(portal.csrf);
      expect((await postConfirmation(gateway.url, confirmation)).status).toBe(302);
    },
  );
});

/** Open-redirect vectors (SECURITY.md §6): every one must fall back to the safe default. */
const VECTORS = [
  '//evil.example/',
  '/\\evil.example/',
  '\\\\evil.example',
  'https://console.aws.amazon.com@evil.example/',
  'https://evil.example@console.aws.amazon.com.evil.example/',
  'https://console.aws.amazon.com.evil.example/',
  'https://evil.example/https://console.aws.amazon.com/',
  'https://evilconsole.aws.amazon.com.example/',
  'javascript:alert(document.cookie)',
  'data:text/html,<script>alert(1)</script>',
  'http://console.aws.amazon.com/',
  'https://console.aws.amazon.com:8443/',
  'https://console.aws.amazon.com/\r\nSet-Cookie: x=y',
  'https:/\\evil.example/',
  'https:evil.example',
  ' https://evil.example/',
  '\thttps://console.aws.amazon.com.evil.example/',
  'https://cоnsole.aws.amazon.com/', // Cyrillic о
  'https://xn--cnsole-2ve.aws.amazon.com/',
  'https://console.aws.amazon.com./',
  '/saml/demo-okta/login',
  'https://evil.example/',
] as const;
const KEPT = 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:';

describe('open redirects: every redirecting input falls back to the safe default', () => {
  /**
   * Alice's portal (several grants), signed in once: its Console form takes a `destination`
   * (free text: the fourth redirecting input).
   */
  let alice: { jar: Jar; csrf: string; grant: string };
  beforeAll(async () => {
    const signedIn = await samlConfirmed(gateway.url, 'demo-okta', 'alice');
    const { portal } = await portalOf(gateway.url, signedIn.jar);
    alice = { jar: signedIn.jar, csrf: portal.csrf, grant: portal.grantFor('fedgate-demo-admin') };
  });
  const portalConsole = (destination: string) =>
    open(gateway.url, alice.jar, {
      csrf: alice.csrf,
      grant: alice.grant,
      target: 'console',
      destination,
    });

  it('the positive control: an AWS console deep link is kept on all four inputs', async () => {
    // RelayState of an IdP-initiated sign-in: kept with the held sign-in, used at Continue.
    const relay = await samlConfirmed(gateway.url, 'demo-okta', 'carol', { RelayState: KEPT });
    const sp = await samlSpInitiated(gateway.url, 'demo-okta', 'carol', KEPT);
    const oidc = await oidcSignIn(gateway.url, 'paul', KEPT);
    const portal = await portalConsole(KEPT);
    expect([relay.res.status, sp.res.status, oidc.res.status, portal.status]).toEqual([
      302, 302, 302, 303,
    ]);
    expect([
      destinationOf(relay.res),
      destinationOf(sp.res),
      destinationOf(oidc.res),
      destinationOf(portal),
    ]).toEqual([KEPT, KEPT, KEPT, KEPT]);
  });

  it.each(VECTORS.map((v) => [JSON.stringify(v), v] as const))(
    'RelayState, SAML return_to, OIDC return_to and the portal’s destination %s → the default console',
    async (_, vector) => {
      const relay = await samlConfirmed(gateway.url, 'demo-okta', 'carol', {
        RelayState: vector,
      });
      const sp = await samlSpInitiated(gateway.url, 'demo-okta', 'carol', vector);
      const oidc = await oidcSignIn(gateway.url, 'paul', vector);
      const portal = await portalConsole(vector);
      for (const [res, status] of [
        [relay.res, 302],
        [sp.res, 302],
        [oidc.res, 302],
        [portal, 303],
      ] as const) {
        expect(res.status).toBe(status);
        // The redirect goes to the federation endpoint from the config, never elsewhere.
        const location = new URL(res.headers.get('location') ?? '');
        expect(location.origin + location.pathname).toBe(url('/_local/federation').href);
        expect(res.headers.get('location')).not.toMatch(/[\r\n]/);
      }
      expect([
        destinationOf(relay.res),
        destinationOf(sp.res),
        destinationOf(oidc.res),
        destinationOf(portal),
      ]).toEqual([
        DEFAULT_CONSOLE_DESTINATION,
        DEFAULT_CONSOLE_DESTINATION,
        DEFAULT_CONSOLE_DESTINATION,
        DEFAULT_CONSOLE_DESTINATION,
      ]);
    },
  );

  it('percent-encoded CR/LF stays inert inside a kept console path (no header split)', async () => {
    const vector = 'https://console.aws.amazon.com/%0d%0aLocation:%20https://evil.example';
    const relay = await samlConfirmed(gateway.url, 'demo-okta', 'carol', { RelayState: vector });
    const portal = await portalConsole(vector);
    for (const res of [relay.res, portal]) {
      const location = res.headers.get('location') ?? '';
      expect(location).not.toMatch(/[\r\n]/);
      // Only fedgate's own cookies (the sign-in's session; clearing the confirmation), no `x=y`.
      for (const line of res.headers.getSetCookie()) expect(line).toMatch(/^__Host-fedgate-/);
      expect(new URL(destinationOf(res) ?? '').host).toBe('console.aws.amazon.com');
    }
  });

  it('through the portal too: a sign-in’s deep link reaches the portal allowlisted, a vector as the default', async () => {
    const vector = 'https://console.aws.amazon.com.evil.example/';
    const signedIn = await samlConfirmed(gateway.url, 'demo-okta', 'alice', { RelayState: vector });
    expect(signedIn.res.status).toBe(303);
    const portalUrl = new URL(signedIn.res.headers.get('location') ?? '');
    expect(portalUrl.origin + portalUrl.pathname).toBe(url('/').href);
    expect(portalUrl.searchParams.get('destination')).toBe(DEFAULT_CONSOLE_DESTINATION);
    // The portal prefills what it was sent; a vector put in its address is not shown either.
    for (const address of [portalUrl, url(`/?${new URLSearchParams({ destination: vector })}`)]) {
      const html = await (await step(signedIn.jar, address)).text();
      expect(html).toContain(`name="destination"`);
      expect(html).not.toContain('evil.example');
      const prefilled = [...html.matchAll(/name="destination"[^>]*value="([^"]*)"/g)].map(
        (m) => m[1],
      );
      expect(new Set(prefilled)).toEqual(new Set([DEFAULT_CONSOLE_DESTINATION]));
    }
  });

  it('URLs are built from the configuration, never from Host or X-Forwarded-*', async () => {
    const jar = createJar();
    const res = await step(jar, url('/saml/demo-okta/login'), {
      headers: {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        forwarded: 'host=evil.example;proto=https',
      },
    });
    expect(new URL(res.headers.get('location') ?? '').origin).toBe(gateway.url.origin);
    const home = await (
      await fetch(url('/'), { headers: { 'x-forwarded-host': 'evil.example' } })
    ).text();
    expect(home).not.toContain('evil.example');
  });
});

describe('CSRF on the portal’s forms and the sign-in confirmation', () => {
  /** A person signed in to the portal (several grants): the jar holds the session cookie. */
  const portalFor = async (user = 'alice') => {
    const signedIn = await samlConfirmed(gateway.url, 'demo-okta', user);
    expect(signedIn.res.status).toBe(303);
    const { portal } = await portalOf(gateway.url, signedIn.jar);
    return { jar: signedIn.jar, csrf: portal.csrf, grant: portal.grantFor('fedgate-demo-admin') };
  };
  /** An answer that refused with its code and changed nothing it shows. */
  const refusal = async (res: Response) => [
    res.status,
    /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1],
    res.headers.get('location'),
    res.headers.getSetCookie(),
  ];

  it('the portal’s Console and Access keys refuse a post without the token, with a wrong one, with another session’s, or without the session cookie; the real one still works', async () => {
    const mine = await portalFor();
    const other = await portalFor();
    expect(other.csrf).not.toBe(mine.csrf);
    const { grant } = mine;
    const cases: [string, Record<string, string>, Jar | undefined, number, string][] = [
      ['no token', { grant, target: 'keys' }, mine.jar, 403, 'csrf_invalid'],
      ['empty token', { grant, target: 'keys', csrf: '' }, mine.jar, 403, 'csrf_invalid'],
      [
        'wrong token',
        { grant, target: 'console', csrf: 'A'.repeat(mine.csrf.length) },
        mine.jar,
        403,
        'csrf_invalid',
      ],
      [
        'another session’s token',
        { grant, target: 'console', csrf: other.csrf },
        mine.jar,
        403,
        'csrf_invalid',
      ],
      // the right token without the browser's session cookie: what a cross-site post carries
      // (SameSite=Lax keeps the cookie off it; test/e2e/web-layer.e2e.ts shows it in Chromium)
      [
        'the right token, no session cookie',
        { grant, target: 'console', csrf: mine.csrf },
        undefined,
        401,
        'session_invalid',
      ],
    ];
    for (const [label, fields, jar, status, code] of cases) {
      const res = await step(jar ?? createJar(), url('/portal/open'), form(fields));
      expect([label, ...(await refusal(res))]).toEqual([label, status, code, null, []]);
    }
    // both sessions survived the forged posts
    for (const p of [mine, other]) {
      const ok = await open(gateway.url, p.jar, {
        csrf: p.csrf,
        grant: p.grant,
        target: 'console',
      });
      expect(ok.status).toBe(303);
      expect(destinationOf(ok)).not.toBeNull();
    }
  });

  it('Sign out needs the session’s own token: a foreign page cannot sign a person out', async () => {
    const mine = await portalFor();
    const other = await portalFor();
    for (const [label, fields] of [
      ['no token', {}],
      ['another session’s token', { csrf: other.csrf }],
    ] as const) {
      const res = await step(mine.jar, url('/signout'), form(fields));
      expect([label, ...(await refusal(res))]).toEqual([label, 403, 'csrf_invalid', null, []]);
    }
    expect((await portalOf(gateway.url, mine.jar)).portal.csrf).toBe(mine.csrf);
    // The real sign-out ends the session and clears the cookie; the old page's forms are refused.
    const out = await step(mine.jar, url('/signout'), form({ csrf: mine.csrf }));
    expect([out.status, out.headers.get('location')]).toEqual([303, url('/').href]);
    expect(out.headers.getSetCookie()).toEqual([
      `${SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax`,
    ]);
    expect(mine.jar.cookies.has(SESSION_COOKIE)).toBe(false);
    const stale = await open(gateway.url, mine.jar, {
      csrf: mine.csrf,
      grant: mine.grant,
      target: 'console',
    });
    expect((await refusal(stale)).slice(0, 3)).toEqual([401, 'session_invalid', null]);
    // the other person's session is untouched
    expect((await portalOf(gateway.url, other.jar)).portal.csrf).toBe(other.csrf);
  });

  it('an ended session’s cookie, replayed after Sign out, opens nothing', async () => {
    const mine = await portalFor();
    const cookie = mine.jar.header();
    expect(cookie).toContain(`${SESSION_COOKIE}=`);
    await step(mine.jar, url('/signout'), form({ csrf: mine.csrf }));
    const replayed = await fetch(url('/portal/open'), {
      ...form({ csrf: mine.csrf, grant: mine.grant, target: 'console' }),
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    expect((await refusal(replayed)).slice(0, 3)).toEqual([401, 'session_invalid', null]);
    // `/` with it: the sign-in page, and the dead cookie is cleared
    const home = await fetch(url('/'), { headers: { cookie } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<h1>Sign in to AWS</h1>');
    expect(home.headers.getSetCookie()).toEqual([
      `${SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax`,
    ]);
  });

  it('with `confirm`, an unsolicited response is held, not completed: the confirmation page, a Strict cookie, no session', async () => {
    const held = await samlIdpInitiated(gateway.url, 'demo-okta', 'carol');
    expect([held.res.status, held.res.headers.get('location')]).toEqual([200, null]);
    const cookies = held.res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(
      new RegExp(
        `^${CONFIRM_COOKIE}=[A-Za-z0-9_-]{43}; Max-Age=300; Path=/; Secure; HttpOnly; SameSite=Strict$`,
      ),
    );
    const page = await readConfirmation(held.res);
    expect(page.html).toContain('carol@example.com');
    expect(page.html).toContain('Okta (demo)');
    expect(page.html).not.toContain('ASIALOCAL');
  });

  it('the confirmation refuses a post without the token, with a wrong one, with another confirmation’s, or without its cookie; the real ones still work', async () => {
    const [mine, other] = (await Promise.all(
      ['carol', 'carol'].map(async (user) =>
        readConfirmation((await samlIdpInitiated(gateway.url, 'demo-okta', user)).res),
      ),
    )) as [Confirmation, Confirmation];
    const post = (cookie: string | undefined, fields: Record<string, string>) =>
      fetch(url('/signin/confirm'), {
        ...form(fields),
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(cookie ? { cookie } : {}),
        },
      });
    const cases: [string, Response][] = [
      ['no token', await post(mine.cookie, {})],
      ['empty token', await post(mine.cookie, { csrf: '' })],
      ['wrong token', await post(mine.cookie, { csrf: 'A'.repeat(mine.csrf.length) })],
      ['another confirmation’s token', await post(mine.cookie, { csrf: other.csrf })],
      // what a cross-site post carries: SameSite=Strict keeps the cookie home
      ['the right token, no cookie', await post(undefined, { csrf: mine.csrf })],
      ['another confirmation’s cookie', await post(other.cookie, { csrf: mine.csrf })],
    ];
    for (const [label, res] of cases) {
      expect([label, ...(await refusal(res))]).toEqual([
        label,
        403,
        'signin_confirmation_invalid',
        null,
        [],
      ]);
    }
    // both held sign-ins survived the forged posts, and each completes once
    for (const c of [mine, other]) {
      const ok = await postConfirmation(gateway.url, c);
      expect(ok.status).toBe(302);
      expect((await refusal(await postConfirmation(gateway.url, c))).slice(0, 2)).toEqual([
        403,
        'signin_confirmation_invalid',
      ]);
    }
  });
});

describe('uniform error bodies: no oracle beyond the code', () => {
  /** A body with its code, that code's description and next step, and the request id taken out. */
  const skeleton = (body: string, code: string, description: string) =>
    body
      .replaceAll(code, '<code>')
      .replaceAll(description, '<description>')
      .replaceAll(nextStepFor(code).person, '<next-step>')
      .replaceAll(`>${NEXT_ACTION_LINKS[nextStepFor(code).action]}</a>`, '><next-link></a>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<request-id>');

  /** Each failure as a request (with the Accept header the test gives); its answer is compared. */
  const failures = async (): Promise<Record<string, (accept: string) => Promise<Response>>> => {
    const carol = () => fetchDemoSamlResponse(gateway.url, 'demo-okta', 'carol');
    const xmlOf = async () => Buffer.from(await carol(), 'base64').toString('utf8');
    const b64 = (xml: string) => Buffer.from(xml).toString('base64');
    const replayed = await carol();
    await fetch(url('/saml/demo-okta/acs'), {
      ...form({ SAMLResponse: replayed }),
      redirect: 'manual',
    });
    const acs = (idp: string, samlResponse: string) => (accept: string) =>
      fetch(url(`/saml/${idp}/acs`), {
        ...form({ SAMLResponse: samlResponse }),
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
      });
    // Dave gets no role: demo-okta holds his sign-in first; the refusal comes at Continue.
    const dave = await readConfirmation(
      (await samlIdpInitiated(gateway.url, 'demo-okta', 'dave')).res,
    );
    return {
      'not base64': acs('demo-okta', 'abc%%%'),
      'not XML': acs('demo-okta', b64('hello, this is not xml at all')),
      'content tampered': acs(
        'demo-okta',
        b64((await xmlOf()).replace('carol@example.com', 'mallory@example.com')),
      ),
      'signature value altered': acs(
        'demo-okta',
        b64(
          (await xmlOf()).replace(
            /<ds:SignatureValue>(.)/,
            (_, c) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`,
          ),
        ),
      ),
      'signature removed': acs(
        'demo-okta',
        b64((await xmlOf()).replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '')),
      ),
      'another IdP’s response': acs('demo-entra', await carol()),
      replayed: acs('demo-okta', replayed),
      'no role for the person (at Continue)': (accept) =>
        postConfirmation(gateway.url, dave, { accept }),
    };
  };

  it.each(['text/html', 'application/json'])(
    'SAML failures differ only in the code (Accept: %s)',
    async (accept) => {
      const seen = new Map<string, { status: number; body: string }>();
      for (const [label, send] of Object.entries(await failures())) {
        const res = await send(accept);
        seen.set(label, { status: res.status, body: await res.text() });
      }
      const parsed = [...seen].map(([label, { status, body }]) => {
        const code = /Error code <code>([a-z_]+)<\/code>|"error":"([a-z_]+)"/.exec(body);
        const description =
          /<p>([^<]+)<\/p>\s*<p class="muted">Error code|"error_description":"([^"]+)"/.exec(body);
        return {
          label,
          status,
          code: (code?.[1] ?? code?.[2]) as string,
          description: (description?.[1] ?? description?.[2]) as string,
          body,
        };
      });
      for (const p of parsed) {
        // no detail, no library message, no XML, no stack in what the person sees
        expect(p.body, p.label).not.toMatch(
          /detail|stack|Error:|at \w+ \(|<saml|xmldom|xml-crypto|sha256/i,
        );
      }
      // everything but code, description and request id is byte-identical across all failures
      const skeletons = new Set(parsed.map((p) => skeleton(p.body, p.code, p.description)));
      expect(skeletons.size, [...skeletons].join('\n----\n')).toBe(1);
      // one code, one description, one status: within a code nothing says which check failed
      const byCode = new Map<string, Set<string>>();
      for (const p of parsed)
        byCode.set(p.code, (byCode.get(p.code) ?? new Set()).add(`${p.status} ${p.description}`));
      for (const [code, variants] of byCode) expect(variants.size, code).toBe(1);
      // a digest mismatch (content changed) and a bad signature value share one code: nothing
      // says which cryptographic check failed (a missing signature has its own code, which tells
      // the sender nothing it did not know)
      const sig = parsed.filter((p) => /tampered|altered/.test(p.label)).map((p) => p.code);
      expect(sig).toEqual(['saml_signature_invalid', 'saml_signature_invalid']);
      // every failure was one, with its own status and code (a case that stopped being refused
      // would shrink the comparison; a 500 is no refusal)
      expect(parsed.map((p) => `${p.label}: ${p.status} ${p.code}`)).toEqual([
        'not base64: 400 saml_malformed',
        'not XML: 400 saml_malformed',
        'content tampered: 400 saml_signature_invalid',
        'signature value altered: 400 saml_signature_invalid',
        'signature removed: 400 saml_signature_missing',
        'another IdP’s response: 400 saml_signature_invalid',
        'replayed: 400 replay_detected',
        'no role for the person (at Continue): 403 no_role_matched',
      ]);
    },
  );
});

describe('IdP-initiated login CSRF: saml.idpInitiated deny', () => {
  let runner: Awaited<ReturnType<typeof spawnCapturedRunner>>;
  beforeAll(async () => {
    const dir = resolve('.local/web-layer');
    await mkdir(dir, { recursive: true });
    const demo = await readFile('infra/local/demo-config.yaml', 'utf8');
    const config = demo
      .replaceAll('../../.local/demo/', `${resolve('.local/demo')}/`)
      .replace(/(metadataFile: \S+demo-okta\.metadata\.xml)/, '$1\n      idpInitiated: deny');
    expect(config).toContain('idpInitiated: deny');
    await writeFile(`${dir}/idp-initiated-deny.yaml`, config);
    runner = await spawnCapturedRunner(['--config', `${dir}/idp-initiated-deny.yaml`]);
  }, 120_000);
  afterAll(async () => {
    await runner?.stop();
  });

  it('refuses an unsolicited response (saml_unsolicited_refused) and accepts the SP-initiated one', async () => {
    const unsolicited = await samlIdpInitiated(runner.url, 'demo-okta', 'carol');
    const text = await unsolicited.res.text();
    expect([unsolicited.res.status, text.includes('saml_unsolicited_refused')]).toEqual([
      403,
      true,
    ]);
    expect(unsolicited.res.headers.get('location')).toBeNull();
    // an unrelated pending request in the browser does not make it solicited either
    const jar = createJar();
    await step(jar, new URL('/saml/demo-okta/login', runner.url));
    const withCookie = await samlIdpInitiated(runner.url, 'demo-okta', 'carol', {}, jar);
    // with a pending request the response must answer it: this one answers nothing
    expect([
      withCookie.res.status,
      /<code>([a-z_]+)<\/code>/.exec(await withCookie.res.text())?.[1],
      withCookie.res.headers.get('location'),
    ]).toEqual([400, 'saml_in_response_to_invalid', null]);
    // SP-initiated still works, and the other IdP (allow) still takes IdP-initiated sign-in:
    // Erin has two grants, so straight to the portal, with no confirmation page in between
    const sp = await samlSpInitiated(runner.url, 'demo-okta', 'carol');
    expect(sp.res.status).toBe(302);
    expect(sp.res.headers.get('location')).toContain('/_local/federation?Action=login');
    const entra = await samlIdpInitiated(runner.url, 'demo-entra', 'erin');
    expect([entra.res.status, entra.res.headers.get('location')]).toEqual([
      303,
      new URL('/', runner.url).href,
    ]);
    expect(entra.res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      true,
    );
  });
});
