import { describe, expect, it } from 'vitest';
import { apiEvent } from '../../support/events.js';
import { alice, codeOf, createCliRig, LOOPBACK } from './rig.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const STATE = 'xyzSTATExyzSTATExyzST';

const authorizeQuery = (over: Record<string, string | undefined> = {}) => {
  const q = new URLSearchParams();
  const fields: Record<string, string | undefined> = {
    redirect_uri: LOOPBACK,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: STATE,
    client: 'alice@laptop',
    ...over,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) q.set(k, v);
  return q.toString();
};
const authorizeGet = (query: string, cookies?: string[]) =>
  apiEvent({ path: '/cli/authorize', rawQueryString: query, ...(cookies ? { cookies } : {}) });

describe('GET /cli/authorize', () => {
  it('without a browser session offers the listed IdPs, each coming back here (continue)', async () => {
    const rig = createCliRig();
    const res = await rig.pages.authorize(authorizeGet(authorizeQuery()));
    expect(res.statusCode).toBe(200);
    const links = [...(res.body as string).matchAll(/href="([^"]+)"/g)].map((m) =>
      (m[1] as string).replaceAll('&amp;', '&'),
    );
    const signIn = links.map((l) => new URL(l)).filter((u) => u.pathname.endsWith('/login'));
    // Entra is not listed: only Okta is offered.
    expect(signIn.map((u) => u.pathname)).toEqual(['/oidc/okta/login']);
    expect(signIn[0]?.searchParams.get('continue')).toBe(`/cli/authorize?${authorizeQuery()}`);
  });

  it('with idp=… goes straight to that IdP (listed or not), coming back here', async () => {
    const rig = createCliRig();
    const res = await rig.pages.authorize(authorizeGet(authorizeQuery({ idp: 'entra' })));
    expect(res.statusCode).toBe(303);
    const to = new URL(res.headers.location as string);
    expect(to.origin + to.pathname).toBe('https://sso.example.com/oidc/entra/login');
    expect(to.searchParams.get('continue')).toBe(
      `/cli/authorize?${authorizeQuery({ idp: 'entra' })}`,
    );
  });

  it("with a browser session shows the consent: who, the CLI's label, the time, the port", async () => {
    const rig = createCliRig();
    const { cookies, csrf } = await rig.browser();
    const res = await rig.pages.authorize(authorizeGet(authorizeQuery(), cookies));
    expect(res.statusCode).toBe(200);
    const body = res.body as string;
    expect(body).toContain('Sign in the <strong>fedgate CLI on this computer</strong> as');
    expect(body).toContain('<strong>alice@example.com</strong> (Okta)');
    expect(body).toContain('alice@laptop');
    expect(body).toContain('2026-11-22 09:00:00 UTC');
    expect(body).toContain('port 53123');
    expect(body).toContain(`name="csrf" value="${csrf}"`);
    // The POST's answer redirects to the loopback listener: the CSP lets the form go there.
    expect(res.headers['content-security-policy']).toContain(
      "form-action 'self' http://127.0.0.1:53123",
    );
  });

  it('signed in with another IdP than the CLI names: sign in with that one first', async () => {
    const rig = createCliRig();
    const { cookies } = await rig.browser();
    const res = await rig.pages.authorize(authorizeGet(authorizeQuery({ idp: 'entra' }), cookies));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('/oidc/entra/login?continue=');
  });

  it.each([
    [
      'a redirect to another host',
      { redirect_uri: 'http://evil.example:53123/callback' },
      'cli_redirect_uri_invalid',
    ],
    ['localhost', { redirect_uri: 'http://localhost:53123/callback' }, 'cli_redirect_uri_invalid'],
    ['no redirect_uri', { redirect_uri: undefined }, 'cli_redirect_uri_invalid'],
    ['a plain challenge', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no challenge', { code_challenge: undefined }, 'invalid_request'],
    ['a short state', { state: 'abc' }, 'invalid_request'],
    ['no client label', { client: undefined }, 'invalid_request'],
    ['a client label with markup', { client: '<b>x</b>' }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'invalid_request'],
  ])('refuses %s with an error page, redirecting nowhere', async (_, over, code) => {
    const rig = createCliRig();
    const { cookies } = await rig.browser();
    expect(await codeOf(rig.pages.authorize(authorizeGet(authorizeQuery(over), cookies)))).toBe(
      code,
    );
  });
});

describe('POST /cli/authorize (the consent)', () => {
  const consentFields = (csrf: string, decision: string) => ({
    csrf,
    decision,
    redirect_uri: LOOPBACK,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    state: STATE,
    client: 'alice@laptop',
  });

  it('allow: a one-time code to the loopback URI with the state (303), hashed in the table', async () => {
    const rig = createCliRig();
    const { cookies, csrf } = await rig.browser();
    const res = await rig.pages.consent(
      rig.formPost('/cli/authorize', consentFields(csrf, 'allow'), cookies),
    );
    expect(res.statusCode).toBe(303);
    const to = new URL(res.headers.location as string);
    expect(to.origin + to.pathname).toBe(LOOPBACK);
    expect(to.searchParams.get('state')).toBe(STATE);
    const code = to.searchParams.get('code') as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys = [...rig.state.items.keys()].filter((k) => k.startsWith('CLICODE#'));
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(code);
    expect(rig.state.items.get(keys[0] as string)?.expiresAt).toBe(rig.now() + 60);
  });

  it('deny: error=access_denied to the loopback URI, no code', async () => {
    const rig = createCliRig();
    const { cookies, csrf } = await rig.browser();
    const res = await rig.pages.consent(
      rig.formPost('/cli/authorize', consentFields(csrf, 'deny'), cookies),
    );
    const to = new URL(res.headers.location as string);
    expect([...to.searchParams]).toEqual([
      ['error', 'access_denied'],
      ['state', STATE],
    ]);
    expect([...rig.state.items.keys()].some((k) => k.startsWith('CLICODE#'))).toBe(false);
  });

  it.each([
    ['no CSRF token', (c: string) => ({ ...consentFields(c, 'allow'), csrf: '' }), 'csrf_invalid'],
    [
      'a forged CSRF token',
      (c: string) => consentFields(`${c.slice(1)}x`, 'allow'),
      'csrf_invalid',
    ],
    [
      'a redirect changed to another host',
      (c: string) => ({ ...consentFields(c, 'allow'), redirect_uri: 'http://evil.example:1/x' }),
      'cli_redirect_uri_invalid',
    ],
    [
      'no decision',
      (c: string) => ({ ...consentFields(c, 'allow'), decision: '' }),
      'invalid_request',
    ],
  ])('refuses %s and issues nothing', async (_, fields, code) => {
    const rig = createCliRig();
    const { cookies, csrf } = await rig.browser();
    expect(
      await codeOf(rig.pages.consent(rig.formPost('/cli/authorize', fields(csrf), cookies))),
    ).toBe(code);
    expect([...rig.state.items.keys()].some((k) => k.startsWith('CLICODE#'))).toBe(false);
  });

  it('refuses without a live browser session (session_invalid)', async () => {
    const rig = createCliRig();
    const { csrf } = await rig.browser();
    expect(
      await codeOf(
        rig.pages.consent(rig.formPost('/cli/authorize', consentFields(csrf, 'allow'), [])),
      ),
    ).toBe('session_invalid');
  });
});

describe('the device pages', () => {
  const startDevice = async (rig: ReturnType<typeof createCliRig>) => {
    const res = await rig.api.device(rig.apiCall('/cli/device', { client: 'build-box' }));
    return JSON.parse(res.body as string) as { device_code: string; user_code: string };
  };
  const deviceGet = (query: string, cookies?: string[]) =>
    apiEvent({ path: '/cli/device', rawQueryString: query, ...(cookies ? { cookies } : {}) });

  it('without a session offers sign-in, carrying the (well-formed) user code back', async () => {
    const rig = createCliRig();
    const res = await rig.pages.device(deviceGet('user_code=bcdf-ghjk&idp=okta'));
    expect(res.statusCode).toBe(303);
    const to = new URL(res.headers.location as string);
    expect(to.pathname).toBe('/oidc/okta/login');
    expect(to.searchParams.get('continue')).toBe('/cli/device?user_code=BCDF-GHJK&idp=okta');
  });

  it('with a session and no code: the code form', async () => {
    const rig = createCliRig();
    const { cookies } = await rig.browser();
    const res = await rig.pages.device(deviceGet('', cookies));
    expect(res.body).toContain('name="user_code"');
  });

  it("shows the machine's request with the phishing warning, then approval records a decision once", async () => {
    const rig = createCliRig();
    const { user_code } = await startDevice(rig);
    const { cookies, csrf } = await rig.browser();
    const page = await rig.pages.device(deviceGet(`user_code=${user_code}`, cookies));
    const body = page.body as string;
    expect(body).toContain(
      'Only continue if you started this on a computer you control, right now.',
    );
    expect(body).toContain(user_code);
    expect(body).toContain('build-box');
    expect(body).toContain('198.51.100.7');
    expect(body).toContain('2026-11-22 09:00:00 UTC');

    const confirm = (code: string) =>
      rig.pages.confirm(
        rig.formPost(
          '/cli/device/confirm',
          { csrf, user_code: code, decision: 'approve' },
          cookies,
        ),
      );
    const done = await confirm(user_code);
    expect(done.body).toContain('The fedgate CLI is signed in');
    expect([...rig.state.items.keys()].filter((k) => k.endsWith('.decision'))).toHaveLength(1);
    // Reused: the code was spent.
    expect(await codeOf(confirm(user_code))).toBe('cli_user_code_invalid');
  });

  it.each([
    ['a wrong code', 'BCDF-GHJK'],
    ['not a code at all', 'hello'],
  ])('refuses %s (cli_user_code_invalid)', async (_, code) => {
    const rig = createCliRig();
    await startDevice(rig);
    const { cookies } = await rig.browser();
    expect(await codeOf(rig.pages.device(deviceGet(`user_code=${code}`, cookies)))).toBe(
      'cli_user_code_invalid',
    );
  });

  it('refuses an expired code', async () => {
    const rig = createCliRig();
    const { user_code } = await startDevice(rig);
    const { cookies, csrf } = await rig.browser();
    rig.advance(601);
    expect(await codeOf(rig.pages.device(deviceGet(`user_code=${user_code}`, cookies)))).toBe(
      'cli_user_code_invalid',
    );
    expect(
      await codeOf(
        rig.pages.confirm(
          rig.formPost('/cli/device/confirm', { csrf, user_code, decision: 'approve' }, cookies),
        ),
      ),
    ).toBe('cli_user_code_invalid');
  });

  it('a forged confirmation (no CSRF) does not spend the code', async () => {
    const rig = createCliRig();
    const { user_code } = await startDevice(rig);
    const { cookies, csrf } = await rig.browser();
    expect(
      await codeOf(
        rig.pages.confirm(
          rig.formPost(
            '/cli/device/confirm',
            { csrf: 'x', user_code, decision: 'approve' },
            cookies,
          ),
        ),
      ),
    ).toBe('csrf_invalid');
    const ok = await rig.pages.confirm(
      rig.formPost('/cli/device/confirm', { csrf, user_code, decision: 'deny' }, cookies),
    );
    expect(ok.body).toContain('Denied');
  });

  it('rate-limits user codes per source address, right or wrong (cli_too_many_attempts)', async () => {
    const rig = createCliRig(); // 5 per source, 8 overall per window
    const { cookies } = await rig.browser();
    for (let i = 0; i < 5; i++) {
      expect(await codeOf(rig.pages.device(deviceGet('user_code=BCDF-GHJK', cookies)))).toBe(
        'cli_user_code_invalid',
      );
    }
    const { user_code } = await startDevice(rig);
    // The right code from the same source is refused now too: guessing cannot continue.
    expect(await codeOf(rig.pages.device(deviceGet(`user_code=${user_code}`, cookies)))).toBe(
      'cli_too_many_attempts',
    );
    // Another source gets through until the overall bound.
    const other = (ip: string) =>
      rig.pages.device({
        ...deviceGet(`user_code=${user_code}`, cookies),
        requestContext: {
          ...deviceGet('').requestContext,
          http: { ...deviceGet('').requestContext.http, sourceIp: ip },
        },
      });
    expect((await other('203.0.113.1')).statusCode).toBe(200);
    expect((await other('203.0.113.2')).statusCode).toBe(200);
    expect(await codeOf(other('203.0.113.3'))).toBe('cli_too_many_attempts');
    // The next window starts afresh.
    rig.advance(600);
    expect(await codeOf(rig.pages.device(deviceGet('user_code=BCDF-GHJK', cookies)))).toBe(
      'cli_user_code_invalid',
    );
  });

  it('names who approves: the browser identity, not anything the CLI sent', async () => {
    const rig = createCliRig();
    const { user_code } = await startDevice(rig);
    const { cookies } = await rig.browser({ ...alice, displayName: 'alice@corp.example' });
    const page = await rig.pages.device(deviceGet(`user_code=${user_code}`, cookies));
    expect(page.body).toContain('<strong>alice@corp.example</strong> (Okta)');
  });
});
