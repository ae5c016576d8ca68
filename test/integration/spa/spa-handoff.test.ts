import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { signInAtOp, step } from '../oidc/browserless.js';
import {
  CLIENT_ID,
  createJar,
  newPkce,
  RETURN_PATH,
  spaLoginUrl,
  spaPost,
  spaSignIn,
} from './flow.js';

/**
 * The SPA hand-off against the local runner (the server `npm start` runs: DynamoDB Local, the demo
 * OP, the STS stand-in verifying fedgate's web identity token): login with the SPA's challenge →
 * one-time code → POST /credentials (PKCE, Origin, CORS) → session refresh, grants, logout.
 */
let gateway: LocalGateway;
let origin: string;

beforeAll(async () => {
  gateway = await startLocalGateway({
    port: 0,
    configPath: 'infra/local/demo-config.yaml',
    plugins: defaultPlugins(),
  });
  origin = gateway.url.origin;
});
afterAll(async () => {
  await gateway?.stop();
});

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('login and the redirect back', () => {
  it('the callback sends the browser back to return_to with only a one-time code', async () => {
    const { returned, jar } = await spaSignIn(gateway.url, 'paul');
    expect(returned.origin + returned.pathname).toBe(`${origin}${RETURN_PATH}`);
    expect([...returned.searchParams.keys()]).toEqual(['code']);
    expect(returned.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The transaction cookie is gone; no session exists before the code is redeemed.
    expect([...jar.cookies.keys()].filter((k) => k.startsWith('__Host-fedgate'))).toEqual([]);
  });

  it.each([
    ['another origin', 'https://evil.example/_local/spa/'],
    ['a protocol-relative URL', '//evil.example/_local/spa/'],
    ['a backslash trick', '/\\evil.example/_local/spa/'],
    ['credentials in the URL', 'http://evil.example@127.0.0.1/_local/spa/'],
    ['javascript:', 'javascript:alert(1)//'],
    ['CR/LF', '/_local/spa/\r\nLocation: https://evil.example/'],
    ['a look-alike host', 'http://127.0.0.1.evil.example/_local/spa/'],
    ['another path', '/_local/spa/other'],
    ['a query', '/_local/spa/?next=https://evil.example/'],
    ['a fragment', '/_local/spa/#https://evil.example/'],
    ['a relative path', '/_local/spa/'],
    ['a tab in the host', 'http://127.0.0.1\t.evil.example/_local/spa/'],
  ])('return_to with %s falls back to a safe page, no redirect', async (_, raw) => {
    const returnTo =
      raw.startsWith('/') && !raw.startsWith('//') && raw !== '/_local/spa/'
        ? `${origin}${raw}`
        : raw.replace('127.0.0.1', gateway.url.host);
    const res = await fetch(
      spaLoginUrl(gateway.url, { challenge: newPkce().challenge, returnTo }),
      {
        redirect: 'manual',
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('spa_return_to_invalid');
  });

  it('an unknown client_id, a plain challenge or no challenge is refused before the IdP', async () => {
    const challenge = newPkce().challenge;
    const unknown = await fetch(spaLoginUrl(gateway.url, { challenge, clientId: 'nope' }), {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('spa_client_unknown');
    const plain = await fetch(spaLoginUrl(gateway.url, { challenge, method: 'plain' }), {
      redirect: 'manual',
    });
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain('invalid_request');
    const short = await fetch(spaLoginUrl(gateway.url, { challenge: 'abc' }), {
      redirect: 'manual',
    });
    expect(short.status).toBe(400);
  });

  it('a person with no grant gets no code (no_role_matched)', async () => {
    const { callback, jar } = await signInAtOp(
      spaLoginUrl(gateway.url, { challenge: newPkce().challenge }),
      'quinn',
    );
    const res = await step(jar, callback);
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('POST /credentials', () => {
  it('redeems the code with the verifier: credentials JSON, no-store, CORS for the origin, a session cookie', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const res = await spaPost(jar, gateway.url, '/credentials', { code, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      Version: 1,
      AccessKeyId: expect.stringMatching(/^ASIALOCAL/),
      SecretAccessKey: expect.any(String),
      SessionToken: expect.any(String),
      Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      role: {
        label: 'Developer',
        accountId: '111111111111',
        arn: 'arn:aws:iam::111111111111:role/fedgate-demo-developer',
      },
      tags: { department: 'Data' },
      identity: { idp: 'demo-oidc', displayName: 'paul@example.com' },
    });
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(
      /^__Host-fedgate-spa-demo-spa=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; Secure; HttpOnly; SameSite=None$/,
    );
  });

  it('a redeemed code cannot be redeemed again', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const first = await spaPost(jar, gateway.url, '/credentials', {
      code,
      code_verifier: verifier,
    });
    expect(first.status).toBe(200);
    const again = await spaPost(createJar(), gateway.url, '/credentials', {
      code,
      code_verifier: verifier,
    });
    expect(again.status).toBe(400);
    expect(await errorOf(again)).toBe('spa_code_invalid');
  });

  it('redeemed concurrently, exactly one of eight succeeds', async () => {
    const { code, verifier } = await spaSignIn(gateway.url, 'paul');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        spaPost(createJar(), gateway.url, '/credentials', { code, code_verifier: verifier }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    const refused = await Promise.all(results.filter((r) => r.status === 400).map(errorOf));
    expect(new Set(refused)).toEqual(new Set(['spa_code_invalid']));
  });

  it('a verifier that does not match the challenge is refused, and the code is spent', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const wrong = await spaPost(jar, gateway.url, '/credentials', {
      code,
      code_verifier: newPkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(await errorOf(wrong)).toBe('spa_verifier_mismatch');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const right = await spaPost(jar, gateway.url, '/credentials', {
      code,
      code_verifier: verifier,
    });
    expect(await errorOf(right)).toBe('spa_code_invalid');
  });

  it('from a foreign origin: no CORS grant, no credentials, and the code survives', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const foreign = await spaPost(
      jar,
      gateway.url,
      '/credentials',
      { code, code_verifier: verifier },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(await errorOf(foreign)).toBe('spa_origin_not_allowed');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    expect(foreign.headers.get('vary')).toBe('Origin');
    const preflight = await fetch(new URL(`/credentials?client_id=${CLIENT_ID}`, gateway.url), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.status).toBe(403);
    // The refusal happened before the code was touched: the SPA can still redeem it.
    const own = await spaPost(jar, gateway.url, '/credentials', { code, code_verifier: verifier });
    expect(own.status).toBe(200);
  });

  it('the preflight from the client origin grants POST with content-type and credentials', async () => {
    const res = await fetch(new URL(`/credentials?client_id=${CLIENT_ID}`, gateway.url), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      vary: 'Origin',
    });
  });

  it('a form post (no preflight) is refused', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const res = await step(jar, new URL(`/credentials?client_id=${CLIENT_ID}`, gateway.url), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code, code_verifier: verifier }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('invalid_request');
  });
});

describe('the session: refresh, grants, logout', () => {
  it('several grants: the list gives opaque ids, each refreshes; an id not granted is refused', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'olivia');
    const redeemed = await spaPost(jar, gateway.url, '/credentials', {
      code,
      code_verifier: verifier,
    });
    expect(redeemed.status).toBe(200);
    const first = (await redeemed.json()) as { grants: { id: string }[]; AccessKeyId?: string };
    expect(first.AccessKeyId).toBeUndefined();
    expect(first.grants).toHaveLength(2);

    const listed = await spaPost(jar, gateway.url, '/grants', {});
    expect(listed.status).toBe(200);
    const { grants } = (await listed.json()) as {
      grants: { id: string; label: string; arn?: string }[];
    };
    expect(grants.map((g) => g.label).sort()).toEqual(['Administrator', 'Developer']);
    for (const g of grants) expect(g).not.toHaveProperty('arn');

    const none = await spaPost(jar, gateway.url, '/credentials', {});
    expect(await errorOf(none)).toBe('spa_grant_required');
    for (const g of grants) {
      const res = await spaPost(jar, gateway.url, '/credentials', { grant: g.id });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { role: { id: string }; AccessKeyId: string };
      expect(body.role.id).toBe(g.id);
      expect(body.AccessKeyId).toMatch(/^ASIALOCAL/);
    }
    // Paul's grant id (another person's role) and an ARN are not grant ids of this session.
    for (const grant of ['arn:aws:iam::222222222222:role/fedgate-demo-admin', 'g-unknown']) {
      const res = await spaPost(jar, gateway.url, '/credentials', { grant });
      expect(res.status).toBe(403);
      expect(await errorOf(res)).toBe('spa_grant_not_allowed');
    }
  });

  it('refresh gives fresh credentials without a login, and stops after logout', async () => {
    const { code, verifier, jar } = await spaSignIn(gateway.url, 'paul');
    const first = (await (
      await spaPost(jar, gateway.url, '/credentials', { code, code_verifier: verifier })
    ).json()) as { AccessKeyId: string };
    const refreshed = await spaPost(jar, gateway.url, '/credentials', {});
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as { AccessKeyId: string };
    expect(second.AccessKeyId).toMatch(/^ASIALOCAL/);
    expect(second.AccessKeyId).not.toBe(first.AccessKeyId);

    const sessionCookie = jar.header();
    const out = await spaPost(jar, gateway.url, '/logout', {});
    expect(out.status).toBe(204);
    expect(out.headers.get('access-control-allow-origin')).toBe(origin);
    expect(out.headers.getSetCookie().join()).toMatch(/__Host-fedgate-spa-demo-spa=; Max-Age=0/);
    // Even a client that kept the old cookie gets nothing: the session item is gone.
    const after = await fetch(new URL(`/credentials?client_id=${CLIENT_ID}`, gateway.url), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', cookie: sessionCookie },
      body: '{}',
    });
    expect(after.status).toBe(401);
    expect(await errorOf(after)).toBe('spa_session_invalid');
  });

  it('without a session cookie there is nothing to refresh or list', async () => {
    const res = await spaPost(createJar(), gateway.url, '/credentials', {});
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('spa_session_invalid');
    const list = await spaPost(createJar(), gateway.url, '/grants', {});
    expect(await errorOf(list)).toBe('spa_session_invalid');
  });
});
