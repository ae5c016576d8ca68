import type { LocalGateway } from '../../../infra/local/gateway.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { signInAtOp, step } from '../oidc/browserless.js';
import {
  CLIENT_ID,
  createJar,
  type Jar,
  newPkce,
  newState,
  RETURN_PATH,
  redeemBody,
  spaLoginUrl,
  spaPost,
  spaSignIn,
} from './flow.js';

/**
 * The SPA hand-off against the local runner (the server `npm start` runs: DynamoDB Local, the demo
 * OP, the STS stand-in verifying fedgate's web identity token): login with the SPA's challenge and
 * state → one-time code → POST /redeem (PKCE, login binding, Origin, CORS) → a session of kind
 * `spa`: refresh (POST /credentials), grants, logout.
 */
/** The kit's runner for this file (the `gateway` fixture), for the helpers below. */
let gateway: LocalGateway;
let origin: string;

test.beforeAll(({ gateway: runner }) => {
  gateway = runner;
  origin = gateway.url.origin;
});

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('login and the redirect back', () => {
  it('the callback sends the browser back to return_to with only a one-time code and the SPA’s state', async () => {
    const { returned, jar, state } = await spaSignIn(gateway.url, 'paul');
    expect(returned.origin + returned.pathname).toBe(`${origin}${RETURN_PATH}`);
    expect([...returned.searchParams.keys()]).toEqual(['code', 'state']);
    expect(returned.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(returned.searchParams.get('state')).toBe(state);
    // The transaction cookie is gone, the login binding stays for the redemption; no session
    // exists before the code is redeemed.
    expect([...jar.cookies.keys()].filter((k) => k.startsWith('__Host-fedgate'))).toEqual([
      '__Host-fedgate-spa-login',
    ]);
  });

  it('the login response sets the login-binding cookie: __Host-, HttpOnly, SameSite=None, 10 minutes', async () => {
    const res = await fetch(spaLoginUrl(gateway.url, { challenge: newPkce().challenge }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.getSetCookie()).toContainEqual(
      expect.stringMatching(
        /^__Host-fedgate-spa-login=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=None$/,
      ),
    );
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

  it.each([
    ['no state', ''],
    ['a short state', 'abc'],
    ['a state with a quote', `${'a'.repeat(30)}"`],
  ])(
    'an SPA login with %s is refused before the IdP (error page, nothing stored)',
    async (_, state) => {
      const res = await fetch(spaLoginUrl(gateway.url, { challenge: newPkce().challenge, state }), {
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(await res.text()).toContain('invalid_request');
    },
  );

  it('a person with no grant goes back to the SPA with error=no_role_matched and the SPA’s state, no code', async () => {
    const state = newState();
    const { callback, jar } = await signInAtOp(
      spaLoginUrl(gateway.url, { challenge: newPkce().challenge, state }),
      'quinn',
    );
    const res = await step(jar, callback);
    expect(res.status).toBe(302);
    const back = new URL(String(res.headers.get('location')));
    expect(back.origin + back.pathname).toBe(`${origin}${RETURN_PATH}`);
    expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'no_role_matched', state });
  });

  it('an error the IdP sends back after the state check goes back to the SPA too', async () => {
    const state = newState();
    const jar = createJar();
    const login = await step(
      jar,
      spaLoginUrl(gateway.url, { challenge: newPkce().challenge, state }),
    );
    const authorize = new URL(String(login.headers.get('location')));
    // The IdP refuses (RFC 6749 §4.1.2.1): ?error=access_denied with fedgate's own state.
    const callback = new URL('/oidc/demo-oidc/callback', gateway.url);
    callback.search = new URLSearchParams({
      error: 'access_denied',
      state: String(authorize.searchParams.get('state')),
      iss: `${origin}/_local/oidc`,
    }).toString();
    const res = await step(jar, callback);
    expect(res.status).toBe(302);
    const back = new URL(String(res.headers.get('location')));
    expect(back.origin + back.pathname).toBe(`${origin}${RETURN_PATH}`);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'oidc_authorization_failed',
      state,
    });
  });
});

/** A copy of a jar: another request from the same browser (its cookies), sent concurrently. */
const copyOf = (jar: Jar) => {
  const copy = createJar();
  for (const [k, v] of jar.cookies) copy.cookies.set(k, v);
  return copy;
};

describe('POST /redeem', () => {
  it('redeems the code with the verifier and the login binding: credentials JSON, no-store, CORS, a session cookie', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const res = await spaPost(s.jar, gateway.url, '/redeem', redeemBody(s));
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
    expect(res.headers.getSetCookie()).toEqual([
      expect.stringMatching(
        /^__Host-fedgate-spa-demo-spa=demo-oidc\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; Secure; HttpOnly; SameSite=None$/,
      ),
      '__Host-fedgate-spa-login=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=None',
    ]);
  });

  it('a redeemed code cannot be redeemed again', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const replayJar = copyOf(s.jar);
    const first = await spaPost(s.jar, gateway.url, '/redeem', redeemBody(s));
    expect(first.status).toBe(200);
    const again = await spaPost(replayJar, gateway.url, '/redeem', redeemBody(s));
    expect(again.status).toBe(400);
    expect(await errorOf(again)).toBe('spa_code_invalid');
  });

  it('redeemed concurrently from the same browser, exactly one of eight succeeds', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        spaPost(copyOf(s.jar), gateway.url, '/redeem', redeemBody(s)),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400]);
    const refused = await Promise.all(results.filter((r) => r.status === 400).map(errorOf));
    expect(new Set(refused)).toEqual(new Set(['spa_code_invalid']));
  });

  it('a verifier that does not match the challenge is refused, and the code is spent', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const retry = copyOf(s.jar);
    const wrong = await spaPost(s.jar, gateway.url, '/redeem', {
      code: s.code,
      code_verifier: newPkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(await errorOf(wrong)).toBe('spa_verifier_mismatch');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const right = await spaPost(retry, gateway.url, '/redeem', redeemBody(s));
    expect(await errorOf(right)).toBe('spa_code_invalid');
  });

  it('from a foreign origin: no CORS grant, no credentials, and the code survives', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const foreign = await spaPost(s.jar, gateway.url, '/redeem', redeemBody(s), {
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(await errorOf(foreign)).toBe('spa_origin_not_allowed');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    expect(foreign.headers.get('vary')).toBe('Origin');
    const preflight = await fetch(new URL(`/redeem?client_id=${CLIENT_ID}`, gateway.url), {
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
    const own = await spaPost(s.jar, gateway.url, '/redeem', redeemBody(s));
    expect(own.status).toBe(200);
  });

  it.each(['/redeem', '/credentials'])(
    'the preflight of %s from the client origin grants POST with content-type and credentials',
    async (path) => {
      const res = await fetch(new URL(`${path}?client_id=${CLIENT_ID}`, gateway.url), {
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
    },
  );

  it('a form post (no preflight) is refused', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const res = await step(s.jar, new URL(`/redeem?client_id=${CLIENT_ID}`, gateway.url), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: s.code, code_verifier: s.verifier }).toString(),
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('invalid_request');
  });

  it('POST /credentials with a code is not a redemption any more (no body sniffing)', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const res = await spaPost(s.jar, gateway.url, '/credentials', redeemBody(s));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('invalid_request');
    // …and the code is untouched: /redeem still takes it.
    expect((await spaPost(s.jar, gateway.url, '/redeem', redeemBody(s))).status).toBe(200);
  });
});

describe('an SPA login URL started by someone else (the login binding)', () => {
  /** The attacker's SPA login URL: the attacker's PKCE pair and state. */
  const attackerLogin = () => {
    const pkce = newPkce();
    const state = newState();
    return { url: spaLoginUrl(gateway.url, { ...pkce, state }), verifier: pkce.verifier, state };
  };

  it('the victim opens it: the code comes back with the attacker’s state; the victim’s verifier cannot redeem it', async () => {
    const attacker = attackerLogin();
    const { callback, jar } = await signInAtOp(attacker.url, 'paul');
    const back = new URL(String((await step(jar, callback)).headers.get('location')));
    expect(back.searchParams.get('state')).toBe(attacker.state);
    const res = await spaPost(jar, gateway.url, '/redeem', {
      code: back.searchParams.get('code'),
      code_verifier: newPkce().verifier,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('spa_verifier_mismatch');
  });

  it('the victim opens it: the attacker, with the leaked code and the verifier but not the victim’s cookie, cannot redeem it', async () => {
    const attacker = attackerLogin();
    const { callback, jar } = await signInAtOp(attacker.url, 'paul');
    const back = new URL(String((await step(jar, callback)).headers.get('location')));
    // The attacker's browser holds a binding cookie of the attacker's own login.
    const mallory = (await spaSignIn(gateway.url, 'olivia')).jar;
    const res = await spaPost(mallory, gateway.url, '/redeem', {
      code: back.searchParams.get('code'),
      code_verifier: attacker.verifier,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('spa_login_binding_invalid');
    expect(res.headers.getSetCookie()).toEqual([]);
    // The code is spent: not even the victim's browser can be made to use it now.
    const later = await spaPost(jar, gateway.url, '/redeem', {
      code: back.searchParams.get('code'),
      code_verifier: attacker.verifier,
    });
    expect(await errorOf(later)).toBe('spa_code_invalid');
  });

  it('login CSRF: the attacker’s own code planted in the victim’s browser fails the cookie check', async () => {
    const mallory = await spaSignIn(gateway.url, 'olivia');
    // The victim's browser, with a login of its own (its own binding cookie).
    const victim = await spaSignIn(gateway.url, 'paul');
    const res = await spaPost(victim.jar, gateway.url, '/redeem', redeemBody(mallory));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('spa_login_binding_invalid');
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('the session: refresh, grants, logout', () => {
  it('several grants: the list gives opaque ids, each refreshes; an id not granted is refused', async () => {
    const s = await spaSignIn(gateway.url, 'olivia');
    const { jar } = s;
    const redeemed = await spaPost(jar, gateway.url, '/redeem', redeemBody(s));
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
    // A grant id the rules do not give this person is refused; an ARN is not a grant id at all.
    const unknown = await spaPost(jar, gateway.url, '/credentials', { grant: 'g-unknown' });
    expect([unknown.status, await errorOf(unknown)]).toEqual([403, 'grant_not_available']);
    const arn = await spaPost(jar, gateway.url, '/credentials', {
      grant: 'arn:aws:iam::222222222222:role/fedgate-demo-admin',
    });
    expect([arn.status, await errorOf(arn)]).toEqual([400, 'invalid_request']);
  });

  it('refresh gives fresh credentials without a login, and stops after logout', async () => {
    const s = await spaSignIn(gateway.url, 'paul');
    const { jar } = s;
    const first = (await (await spaPost(jar, gateway.url, '/redeem', redeemBody(s))).json()) as {
      AccessKeyId: string;
    };
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
    expect(await errorOf(after)).toBe('session_invalid');
  });

  it('without a session cookie there is nothing to refresh or list', async () => {
    const res = await spaPost(createJar(), gateway.url, '/credentials', {});
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('session_invalid');
    const list = await spaPost(createJar(), gateway.url, '/grants', {});
    expect(await errorOf(list)).toBe('session_invalid');
  });
});
