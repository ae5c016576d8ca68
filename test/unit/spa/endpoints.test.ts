import { describe, expect, it } from 'vitest';
import type { IdpConfig } from '../../../shared/config/index.js';
import { parseSessionToken, sessionIdOf } from '../../../shared/session/index.js';
import { codeKey, loginBindingHash, SPA_CODE_TTL_SECONDS } from '../../../shared/spa/index.js';
import { apiEvent, lambdaContext } from '../../support/events.js';
import {
  ADMIN,
  ALLOW_ADMIN,
  ALLOW_DEV,
  ALLOW_READER,
  alice,
  BINDING,
  bindingCookie,
  bodyOf,
  CHALLENGE,
  configWith,
  createSpaRig,
  DENY_DEVS,
  DEV,
  ORIGIN,
  OTHER_ACCOUNT_READER,
  OTHER_BINDING,
  post,
  SPA_STATE,
  sessionCookieOf,
  VERIFIER,
} from './fixtures.js';

const redeemBody = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  code_verifier: VERIFIER,
  ...extra,
});

/** Redeems a fresh code for alice in "this browser"; returns the session cookie. */
const signIn = async (rig: ReturnType<typeof createSpaRig>, grant?: string) => {
  const code = await rig.issue();
  const res = await rig.endpoints.redeem(
    post('/redeem', redeemBody(code, grant ? { grant } : {}), { cookies: [bindingCookie()] }),
  );
  return { res, cookie: sessionCookieOf(res) };
};

const refresh = (rig: ReturnType<typeof createSpaRig>, cookie: string, body: unknown = {}) =>
  rig.handlerFor((e) => rig.endpoints.credentials(e))(
    post('/credentials', body, { cookies: [cookie] }),
    lambdaContext(),
  );

describe('POST /redeem', () => {
  it('the verifier and this browser’s login binding start a session of kind spa: credentials and cookies', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { res, cookie } = await signIn(rig);
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      Version: 1,
      AccessKeyId: 'ASIA1',
      role: { label: 'Dev', accountId: '111111111111', arn: DEV },
      tags: { team: 'blue' },
      identity: { idp: 'corp', subject: alice.subjectRef, displayName: 'alice@example.com' },
      session: { endsAt: new Date((rig.now() + 3600) * 1000).toISOString() },
    });
    expect(res.cookies).toEqual([
      expect.stringMatching(
        /^__Host-fedgate-spa-app=corp\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; Secure; HttpOnly; SameSite=None$/,
      ),
      '__Host-fedgate-spa-login=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=None',
    ]);
    // The table holds the session under a hash of the token's secret, never the token.
    const token = parseSessionToken(cookie.split('=')[1]);
    expect(token).toBeDefined();
    const stored = rig.sessionStore.sessions.get(sessionIdOf(token as NonNullable<typeof token>));
    expect(JSON.parse(String(stored?.data))).toMatchObject({
      v: 1,
      kind: 'spa',
      client: 'app',
      identity: { subject: 'u-alice' },
    });
    expect(JSON.stringify([...rig.sessionStore.sessions])).not.toContain(token?.secret);
    expect(stored?.data).not.toContain('roleArn');
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([DEV]);
    expect(rig.counted).toEqual([
      { name: 'SignIns', dimensions: { protocol: 'oidc', target: 'spa' } },
    ]);
  });

  it('the session is bounded by the upstream login when that ends first', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue({ upstreamEndsAt: rig.now() + 1200 });
    const res = await rig.endpoints.redeem(
      post('/redeem', redeemBody(code), { cookies: [bindingCookie()] }),
    );
    expect(sessionCookieOf(res)).not.toBe('');
    expect(res.cookies?.[0]).toContain('Max-Age=1200;');
    // Credentials last no longer than the session (but at least STS's 900 s).
    expect(rig.assumed[0]?.grant.durationSeconds).toBe(1200);
  });

  it('an upstream login that has already ended starts nothing (session_invalid)', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue({ upstreamEndsAt: rig.now() });
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'session_invalid' });
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it('a code older than 60 s is refused', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    rig.advance(SPA_CODE_TTL_SECONDS);
    const res = await rig.handlerFor((e) => rig.endpoints.redeem(e))(
      post('/redeem', redeemBody(code), { cookies: [bindingCookie()] }),
      lambdaContext(),
    );
    expect([res.statusCode, bodyOf(res).error]).toEqual([400, 'spa_code_invalid']);
    expect(rig.assumed).toEqual([]);
  });

  it("another client's code is refused", async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue({ client: 'other' });
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it.each([
    ['no login-binding cookie', []],
    ['another login’s binding cookie', [bindingCookie(OTHER_BINDING)]],
    ['the binding cookie twice', [bindingCookie(), bindingCookie(OTHER_BINDING)]],
  ])('%s: spa_login_binding_invalid, nothing issued, and the code is spent', async (_, cookies) => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies })),
    ).rejects.toMatchObject({ code: 'spa_login_binding_invalid', status: 400 });
    expect(rig.assumed).toEqual([]);
    expect(rig.sessionStore.sessions.size).toBe(0);
    // It leaked: not even this browser, with the right cookie, may use it now.
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
  });

  it('a verifier that does not match the challenge is refused and the code is spent', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    await expect(
      rig.endpoints.redeem(
        post('/redeem', { code, code_verifier: 'w'.repeat(43) }, { cookies: [bindingCookie()] }),
      ),
    ).rejects.toMatchObject({ code: 'spa_verifier_mismatch' });
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
    expect(rig.assumed).toEqual([]);
  });

  it.each([
    ['a short verifier', { code: 'x'.repeat(43), code_verifier: 'short' }],
    ['an extra field', { code: 'x'.repeat(43), code_verifier: VERIFIER, role: ADMIN }],
    ['grants in the body', { code: 'x'.repeat(43), code_verifier: VERIFIER, grants: [ADMIN] }],
    ['an ARN as the grant', { code: 'x'.repeat(43), code_verifier: VERIFIER, grant: ADMIN }],
    ['a malformed code', { code: 'a b', code_verifier: VERIFIER }],
    ['no code (a refresh body)', {}],
  ])('%s is invalid_request, before the code is touched', async (_, body) => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    await expect(
      rig.endpoints.redeem(post('/redeem', body, { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    expect(rig.state.items.has(codeKey(code))).toBe(true);
  });

  it('a code minted before a revocation of its person is refused at redemption: no session, nothing issued', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    // The person is revoked while the code waits for the SPA (it lives 60 s).
    rig.advance(5);
    await rig.sessionStore.revoke(
      { kind: 'subject', idp: alice.idp, subjectRef: alice.subjectRef },
      rig.now() * 1000,
      rig.now() + 86_400,
    );
    rig.advance(5);
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'session_revoked' });
    expect(rig.assumed).toEqual([]);
    expect(rig.sessionStore.sessions.size).toBe(0);
    // A sign-in after the revocation is a new one, and works.
    const fresh = await rig.issue();
    const res = await rig.endpoints.redeem(
      post('/redeem', redeemBody(fresh), { cookies: [bindingCookie()] }),
    );
    expect(res.statusCode).toBe(200);
  });

  it('a forged code item naming grants is refused: codes hold an identity, never grants', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = 'f'.repeat(43);
    await rig.state.put(
      codeKey(code),
      {
        v: 3,
        client: 'app',
        identity: alice,
        codeChallenge: CHALLENGE,
        state: SPA_STATE,
        loginBinding: loginBindingHash(BINDING),
        upstreamEndsAt: rig.now() + 3600,
        verifiedAt: rig.now() * 1000,
        grants: [{ id: 'g', roleArn: ADMIN }],
      },
      rig.now() + 60,
    );
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
    expect(rig.assumed).toEqual([]);
  });

  it('a code of the former shape (person + grants) is refused', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN]));
    const code = 'o'.repeat(43);
    await rig.state.put(
      codeKey(code),
      {
        v: 1,
        client: 'app',
        person: { idp: 'corp', protocol: 'oidc', subjectRef: alice.subjectRef },
        grants: [{ id: 'g', roleArn: ADMIN }],
        codeChallenge: CHALLENGE,
        upstreamExpiresAt: rig.now() + 3600,
      },
      rig.now() + 60,
    );
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
  });

  it('runs the rules as they are at redemption: a rule deleted since the callback grants nothing', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    rig.setConfig(configWith([]));
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'no_role_matched' });
    expect(rig.sessionStore.sessions.size).toBe(0);
    expect(rig.assumed).toEqual([]);
  });

  it('an IdP removed since the callback starts nothing (session_invalid)', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    const without = configWith([ALLOW_DEV]);
    rig.setConfig({ ...without, idps: [] });
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'session_invalid' });
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it('several grants and none named: the session starts and the list comes back', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV]));
    const { res, cookie } = await signIn(rig);
    expect(cookie).not.toBe('');
    const body = bodyOf(res);
    expect(body.AccessKeyId).toBeUndefined();
    expect((body.grants as { label: string }[]).map((g) => g.label)).toEqual(['Admin', 'Dev']);
    expect(JSON.stringify(body)).not.toContain('arn:aws');
    expect(rig.assumed).toEqual([]);
  });

  it('a named grant the rules give: credentials for it at once', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV]));
    const first = await signIn(rig);
    const devId = (bodyOf(first.res).grants as { id: string; label: string }[]).find(
      (g) => g.label === 'Dev',
    )?.id;
    const { res } = await signIn(rig, devId);
    expect(bodyOf(res)).toMatchObject({ role: { id: devId, arn: DEV } });
  });
});

describe('POST /credentials: the session re-evaluated at every refresh', () => {
  it('refresh works until the session maximum, then stops (session_invalid)', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.advance(3000);
    const fresh = await refresh(rig, cookie);
    expect(fresh.statusCode).toBe(200);
    // 600 s left, but STS's minimum is 900 s.
    expect(rig.assumed[1]?.grant.durationSeconds).toBe(900);
    rig.advance(600);
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed).toHaveLength(2);
  });

  it('a deleted rule takes effect at the next refresh: the admin role is gone', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV]));
    const { res } = await signIn(rig);
    const cookie = sessionCookieOf(res);
    const ids = Object.fromEntries(
      (bodyOf(res).grants as { id: string; label: string }[]).map((g) => [g.label, g.id]),
    );
    expect((await refresh(rig, cookie, { grant: ids.Admin })).statusCode).toBe(200);
    rig.setConfig(configWith([ALLOW_DEV]));
    const admin = await refresh(rig, cookie, { grant: ids.Admin });
    expect([admin.statusCode, bodyOf(admin).error]).toEqual([403, 'grant_not_available']);
    // What is left still works, and with one grant left none needs naming.
    const dev = await refresh(rig, cookie);
    expect(bodyOf(dev)).toMatchObject({ role: { arn: DEV } });
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([ADMIN, DEV]);
  });

  it('a new deny takes effect at the next refresh: nothing is issued', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.setConfig(configWith([DENY_DEVS, ALLOW_DEV]));
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([403, 'no_role_matched']);
    const grants = await rig.endpoints.grants(post('/grants', {}, { cookies: [cookie] }));
    expect(bodyOf(grants).grants).toEqual([]);
    expect(rig.assumed).toHaveLength(1);
  });

  it('a removed IdP ends the session at the next refresh', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.setConfig({ ...configWith([ALLOW_DEV]), idps: [] });
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed).toHaveLength(1);
  });

  it('a revocation of the subject ends the session at the next refresh', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.advance(1);
    await rig.sessionStore.revoke(
      { kind: 'subject', idp: 'corp', subjectRef: alice.subjectRef },
      rig.now() * 1000,
      rig.now() + 86_400,
    );
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([401, 'session_revoked']);
    expect(rig.assumed).toHaveLength(1);
  });

  it('allowedRoles: a role the rules grant but the client does not allow is never offered or issued', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV], { allowedRoles: [DEV] }));
    const { res, cookie } = await signIn(rig);
    // Only one grant is left for this client: the redemption issues it straight away.
    expect(bodyOf(res)).toMatchObject({ role: { arn: DEV } });
    const listed = await rig.endpoints.grants(post('/grants', {}, { cookies: [cookie] }));
    expect((bodyOf(listed).grants as { label: string }[]).map((g) => g.label)).toEqual(['Dev']);
    // The admin grant's id (from a session of a client without the filter) is refused here.
    const open = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV]));
    const adminId = (
      bodyOf((await signIn(open)).res).grants as { id: string; label: string }[]
    ).find((g) => g.label === 'Admin')?.id;
    const admin = await refresh(rig, cookie, { grant: adminId });
    expect([admin.statusCode, bodyOf(admin).error]).toEqual([403, 'grant_not_available']);
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([DEV]);
  });

  it('allowedRoles by account id: every role of that account, none of another', async () => {
    const rig = createSpaRig(
      configWith([ALLOW_ADMIN, ALLOW_DEV, ALLOW_READER], { allowedRoles: ['222222222222'] }),
    );
    const { res } = await signIn(rig);
    expect(bodyOf(res)).toMatchObject({ role: { arn: OTHER_ACCOUNT_READER } });
  });

  it('allowedRoles that leave nothing: no session starts (no_role_matched)', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV], { allowedRoles: [ADMIN] }));
    const code = await rig.issue();
    await expect(
      rig.endpoints.redeem(post('/redeem', redeemBody(code), { cookies: [bindingCookie()] })),
    ).rejects.toMatchObject({ code: 'no_role_matched' });
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it('POST /credentials does one job: a redeem body (a one-time code and its verifier) is invalid_request, the code untouched, no credentials', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.assumed.length = 0;
    const code = await rig.issue();
    const res = await refresh(rig, cookie, redeemBody(code));
    expect([res.statusCode, bodyOf(res).error]).toEqual([400, 'invalid_request']);
    expect(rig.state.items.has(codeKey(code))).toBe(true);
    expect(rig.assumed).toEqual([]);
  });

  it('grant ids not granted, and ARNs, are refused; several need a choice', async () => {
    const rig = createSpaRig(configWith([ALLOW_ADMIN, ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    const other = await refresh(rig, cookie, { grant: 'g-unknown' });
    expect([other.statusCode, bodyOf(other).error]).toEqual([403, 'grant_not_available']);
    const arn = await refresh(rig, cookie, { grant: ADMIN });
    expect([arn.statusCode, bodyOf(arn).error]).toEqual([400, 'invalid_request']);
    const none = await refresh(rig, cookie);
    expect([none.statusCode, bodyOf(none).error]).toEqual([400, 'spa_grant_required']);
    expect(rig.assumed).toEqual([]);
  });

  it('the session is bound to its client: another client’s cookie name or a browser session gets nothing', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    const token = cookie.split('=')[1] as string;
    const moved = await rig.handlerFor((e) => rig.endpoints.credentials(e))(
      post(
        '/credentials',
        {},
        {
          cookies: [`__Host-fedgate-spa-other=${token}`],
          clientId: 'other',
          origin: 'https://other.example.com',
        },
      ),
      lambdaContext(),
    );
    expect([moved.statusCode, bodyOf(moved).error]).toEqual([401, 'session_invalid']);
    const browser = await rig.sessions.start({
      identity: alice,
      idp: configWith([ALLOW_DEV]).idps[0] as IdpConfig,
      kind: 'browser',
    });
    const asSpa = await refresh(rig, `__Host-fedgate-spa-app=${browser.tokenValue}`);
    expect([asSpa.statusCode, bodyOf(asSpa).error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed).toHaveLength(1);
  });

  it('an edited session item naming grants gets nothing beyond what its identity gets now', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    const token = parseSessionToken(cookie.split('=')[1]) as NonNullable<
      ReturnType<typeof parseSessionToken>
    >;
    const item = rig.sessionStore.sessions.get(sessionIdOf(token));
    if (!item) throw new Error('no session item');
    // An attacker with write access to the item adds a grant list: the strict record refuses it.
    item.data = JSON.stringify({ ...JSON.parse(item.data), grants: [{ roleArn: ADMIN }] });
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([DEV]);
  });

  it('logout ends the session: refresh stops, also with a copy of the cookie', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    const out = await rig.endpoints.logout(post('/logout', {}, { cookies: [cookie] }));
    expect(out.statusCode).toBe(204);
    expect(out.cookies).toEqual([
      '__Host-fedgate-spa-app=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=None',
    ]);
    expect(rig.sessionStore.sessions.size).toBe(0);
    const res = await refresh(rig, cookie);
    expect([res.statusCode, bodyOf(res).error]).toEqual([401, 'session_invalid']);
  });

  it('a refresh records the use (idle timer, recently used grant)', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    rig.advance(120);
    await refresh(rig, cookie);
    const [item] = [...rig.sessionStore.sessions.values()];
    expect(item?.lastUsedAt).toBe(rig.now() * 1000);
    expect(item?.recent).toHaveLength(1);
  });
});

describe('CORS and CSRF', () => {
  it('a foreign origin with a valid cookie gets nothing (CSRF): no STS call, no CORS', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const { cookie } = await signIn(rig);
    const res = await rig.handlerFor((e) => rig.endpoints.credentials(e))(
      post('/credentials', {}, { cookies: [cookie], origin: 'https://evil.example' }),
      lambdaContext(),
    );
    expect([res.statusCode, bodyOf(res).error]).toEqual([403, 'spa_origin_not_allowed']);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
    expect(rig.assumed).toHaveLength(1);
  });

  it('a redemption from a foreign origin is refused before the code is touched', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const code = await rig.issue();
    await expect(
      rig.endpoints.redeem(
        post('/redeem', redeemBody(code), {
          cookies: [bindingCookie()],
          origin: 'https://evil.example',
        }),
      ),
    ).rejects.toMatchObject({ code: 'spa_origin_not_allowed' });
    expect(rig.state.items.has(codeKey(code))).toBe(true);
  });

  it('errors to the client origin carry the CORS grant, so the SPA can read the code', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const res = await refresh(rig, '__Host-fedgate-other=x');
    expect(res.statusCode).toBe(401);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-credentials': 'true',
      'cache-control': 'no-store',
    });
  });

  it('an unknown client_id gets spa_client_unknown and no CORS', async () => {
    const rig = createSpaRig(configWith([ALLOW_DEV]));
    const res = await rig.handlerFor((e) => rig.endpoints.credentials(e))(
      post('/credentials', {}, { clientId: 'nope' }),
      lambdaContext(),
    );
    expect([res.statusCode, bodyOf(res).error]).toEqual([400, 'spa_client_unknown']);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(['/redeem', '/credentials'])(
    'the preflight of %s answers the client origin only',
    async (path) => {
      const rig = createSpaRig(configWith([ALLOW_DEV]));
      const pre = (origin: string) =>
        rig.handlerFor((e) => rig.endpoints.preflight(e))(
          apiEvent({
            method: 'OPTIONS',
            path,
            rawQueryString: 'client_id=app',
            headers: { origin },
          }),
          lambdaContext(),
        );
      const ok = await pre(ORIGIN);
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
      const bad = await pre('https://app.example.com.evil.example');
      expect(bad.statusCode).toBe(403);
      expect(bad.headers['access-control-allow-origin']).toBeUndefined();
    },
  );
});
