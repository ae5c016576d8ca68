import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../../infra/local/api-gateway-event.js';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { ROUTES } from '../../../infra/routes.js';
import { DEFAULT_CONSOLE_DESTINATION } from '../../../shared/console/destination.js';
import { NEXT_ACTION_LINKS, nextStepFor } from '../../../shared/http/index.js';
import { apiEvent } from '../../support/events.js';
import { spawnCapturedRunner } from '../../support/log-capture.js';
import { createJar, step } from '../oidc/browserless.js';
import {
  choose,
  destinationOf,
  form,
  oidcSignIn,
  pickerFields,
  samlIdpInitiated,
  samlSpInitiated,
} from './flows.js';

/**
 * SECURITY.md §6 against the local runner (the same server `npm start` runs), item by item:
 * security headers on every route (errors included), open redirects on every redirecting input,
 * CSRF on the picker, the IdP-initiated policy, CORS, method and content-type strictness, uniform
 * error bodies. Cookies and framing in a real browser: test/e2e/web-layer.e2e.ts. Throttling:
 * ./throttling.test.ts.
 */
let gateway: LocalGateway;
const url = (path: string) => new URL(path, gateway.url);

beforeAll(async () => {
  gateway = await startLocalGateway({
    port: 0,
    configPath: 'infra/local/demo-config.yaml',
    plugins: defaultPlugins(),
  });
});
afterAll(async () => {
  await gateway?.stop();
});

/** One request per route in infra/routes.ts that reaches its function, good and bad. */
const requestsFor = (routeKey: string): { label: string; path: string; init?: RequestInit }[] => {
  const [method, path] = routeKey.split(' ') as [string, string];
  const idp = path.startsWith('/oidc/') ? 'demo-oidc' : 'demo-okta';
  const good = path.replace('{idp}', idp);
  const unknown = path.replace('{idp}', 'no-such-idp');
  const post = (body: Record<string, string>) => form(body);
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
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
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
    ['select-role', 'GET', 'POST'],
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

  it.each([
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
  ])('form posts refuse content type "%s" with 400 invalid_request', async (type) => {
    const alice = await samlIdpInitiated(gateway.url, 'demo-okta', 'alice');
    const { csrf, grants } = pickerFields(await alice.res.text());
    const posts = [
      [
        '/saml/demo-okta/acs',
        new URLSearchParams({
          SAMLResponse: await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'carol'),
        }).toString(),
      ],
      [
        '/select-role',
        new URLSearchParams({ csrf, grant: grants[0] as string, target: 'keys' }).toString(),
      ],
    ] as const;
    for (const [path, body] of posts) {
      const res = await step(alice.jar, url(path), {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: type === '' ? new Blob([body]) : body,
      });
      const text = await res.text();
      expect([
        path,
        res.status,
        text.includes('invalid_request'),
        text.includes('ASIALOCAL'),
      ]).toEqual([path, 400, true, false]);
    }
  });
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
  it('the positive control: an AWS console deep link is kept on all three inputs', async () => {
    const relay = await samlIdpInitiated(gateway.url, 'demo-okta', 'carol', { RelayState: KEPT });
    const sp = await samlSpInitiated(gateway.url, 'demo-okta', 'carol', KEPT);
    const oidc = await oidcSignIn(gateway.url, 'paul', KEPT);
    expect([destinationOf(relay.res), destinationOf(sp.res), destinationOf(oidc.res)]).toEqual([
      KEPT,
      KEPT,
      KEPT,
    ]);
  });

  it.each(VECTORS.map((v) => [JSON.stringify(v), v] as const))(
    'RelayState, SAML return_to and OIDC return_to %s → the default console',
    async (_, vector) => {
      const relay = await samlIdpInitiated(gateway.url, 'demo-okta', 'carol', {
        RelayState: vector,
      });
      const sp = await samlSpInitiated(gateway.url, 'demo-okta', 'carol', vector);
      const oidc = await oidcSignIn(gateway.url, 'paul', vector);
      for (const res of [relay.res, sp.res, oidc.res]) {
        expect(res.status).toBe(302);
        // The redirect goes to the federation endpoint from the config, never elsewhere.
        const location = new URL(res.headers.get('location') ?? '');
        expect(location.origin + location.pathname).toBe(url('/_local/federation').href);
        expect(res.headers.get('location')).not.toMatch(/[\r\n]/);
      }
      expect([destinationOf(relay.res), destinationOf(sp.res), destinationOf(oidc.res)]).toEqual([
        DEFAULT_CONSOLE_DESTINATION,
        DEFAULT_CONSOLE_DESTINATION,
        DEFAULT_CONSOLE_DESTINATION,
      ]);
    },
  );

  it('percent-encoded CR/LF stays inert inside a kept console path (no header split)', async () => {
    const vector = 'https://console.aws.amazon.com/%0d%0aLocation:%20https://evil.example';
    const relay = await samlIdpInitiated(gateway.url, 'demo-okta', 'carol', { RelayState: vector });
    const location = relay.res.headers.get('location') ?? '';
    expect(location).not.toMatch(/[\r\n]/);
    expect(relay.res.headers.get('set-cookie')).toBeNull();
    expect(new URL(destinationOf(relay.res) ?? '').host).toBe('console.aws.amazon.com');
  });

  it('through the role picker too: the ticket keeps the safe default, not the vector', async () => {
    const alice = await samlIdpInitiated(gateway.url, 'demo-okta', 'alice', {
      RelayState: 'https://console.aws.amazon.com.evil.example/',
    });
    const { csrf, grants } = pickerFields(await alice.res.text());
    const res = await choose(gateway.url, alice.jar, {
      csrf,
      grant: grants[0] as string,
      target: 'console',
    });
    expect(destinationOf(res)).toBe(DEFAULT_CONSOLE_DESTINATION);
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

describe('CSRF on the role picker', () => {
  const pickerFor = async (user = 'alice') => {
    const alice = await samlIdpInitiated(gateway.url, 'demo-okta', user);
    expect(alice.res.status).toBe(200);
    return { ...pickerFields(await alice.res.text()), jar: alice.jar };
  };

  it('refuses a post without the token, with a wrong one, with another ticket’s; the real one still works', async () => {
    const mine = await pickerFor();
    const other = await pickerFor();
    const grant = mine.grants[0] as string;
    const cases: [string, Record<string, string>, number, string][] = [
      ['no token', { grant, target: 'keys' }, 400, 'invalid_request'],
      [
        'wrong token',
        { grant, target: 'keys', csrf: 'A'.repeat(mine.csrf.length) },
        403,
        'ticket_invalid',
      ],
      [
        'another ticket’s token',
        { grant, target: 'keys', csrf: other.csrf },
        403,
        'ticket_invalid',
      ],
      ['empty token', { grant, target: 'keys', csrf: '' }, 400, 'invalid_request'],
    ];
    for (const [label, fields, status, code] of cases) {
      const res = await step(mine.jar, url('/select-role'), form(fields));
      const text = await res.text();
      expect([label, res.status, text.includes(code), text.includes('ASIALOCAL')]).toEqual([
        label,
        status,
        true,
        false,
      ]);
    }
    // the right token without this browser's ticket cookie (a cross-site post carries none)
    const bare = await fetch(url('/select-role'), {
      ...form({ grant, target: 'keys', csrf: mine.csrf }),
      redirect: 'manual',
    });
    expect([bare.status, (await bare.text()).includes('ticket_invalid')]).toEqual([403, true]);
    // both tickets survived the forged posts
    for (const p of [mine, other]) {
      const ok = await choose(gateway.url, p.jar, {
        csrf: p.csrf,
        grant: p.grants[0] as string,
        target: 'console',
      });
      expect(ok.status).toBe(302);
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

  const failures = async () => {
    const carol = () => fetchDemoSamlResponse(gateway.url, 'demo-okta', 'carol');
    const xmlOf = async () => Buffer.from(await carol(), 'base64').toString('utf8');
    const b64 = (xml: string) => Buffer.from(xml).toString('base64');
    const replayed = await carol();
    await fetch(url('/saml/demo-okta/acs'), {
      ...form({ SAMLResponse: replayed }),
      redirect: 'manual',
    });
    return {
      'not base64': ['demo-okta', 'abc%%%'],
      'not XML': ['demo-okta', b64('hello, this is not xml at all')],
      'content tampered': [
        'demo-okta',
        b64((await xmlOf()).replace('carol@example.com', 'mallory@example.com')),
      ],
      'signature value altered': [
        'demo-okta',
        b64(
          (await xmlOf()).replace(
            /<ds:SignatureValue>(.)/,
            (_, c) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`,
          ),
        ),
      ],
      'signature removed': [
        'demo-okta',
        b64((await xmlOf()).replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '')),
      ],
      'another IdP’s response': ['demo-entra', await carol()],
      replayed: ['demo-okta', replayed],
      'no role for the person': [
        'demo-okta',
        await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'dave'),
      ],
    } as Record<string, [string, string]>;
  };

  it.each(['text/html', 'application/json'])(
    'SAML failures differ only in the code (Accept: %s)',
    async (accept) => {
      const seen = new Map<string, { status: number; body: string }>();
      for (const [label, [idp, samlResponse]] of Object.entries(await failures())) {
        const res = await fetch(url(`/saml/${idp}/acs`), {
          ...form({ SAMLResponse: samlResponse }),
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
        });
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
        expect(p.code, p.label).toBeTruthy();
        expect(p.status, p.label).toBeGreaterThanOrEqual(400);
        expect(p.status, p.label).toBeLessThan(500);
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
    expect(withCookie.res.status).toBeGreaterThanOrEqual(400);
    // SP-initiated still works, and the other IdP (allow) still takes IdP-initiated sign-in
    const sp = await samlSpInitiated(runner.url, 'demo-okta', 'carol');
    expect(sp.res.status).toBe(302);
    const entra = await samlIdpInitiated(runner.url, 'demo-entra', 'erin');
    expect(entra.res.status).toBe(200);
  });
});
