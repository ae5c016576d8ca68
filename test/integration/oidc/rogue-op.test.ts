import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useDynamoDb } from '../../support/dynamodb.js';
import { ID_TOKEN_CATALOGUE } from './id-token-catalogue.js';
import { codeOf, cookieOf, createRig, oidcIdp, type Rig } from './rig.js';
import { type RogueOp, rogueKey, startRogueOp } from './rogue-op.js';

/**
 * SECURITY.md §4's catalogue against fedgate's relying party, with an OP written as test code
 * that lies where told. Each case: refused with its code, no role assumed (no STS call).
 */
describe('OIDC relying party against a rogue OP', () => {
  const db = useDynamoDb();
  let rogue: RogueOp;
  let rig: Rig;
  const newRig = (opts: Parameters<typeof createRig>[2] = {}) =>
    createRig(db, [oidcIdp('rogue', { issuer: rogue.issuer, clientId: 'fedgate' })], opts);

  beforeAll(async () => {
    rogue = await startRogueOp();
  });
  afterAll(() => rogue?.stop());
  afterEach(() => {
    rogue.scenario = {};
    rogue.jwksBody = undefined;
    rogue.discoveryDelayMs = 0;
    rogue.discoveryIssuer = undefined;
    vi.useRealTimers();
  });

  /** fedgate login → the rogue's /authorize (which answers at once) → the callback URL. */
  const authorize = async (r: Rig) => {
    const login = await r.login('rogue');
    expect(login.statusCode).toBe(302);
    const back = await fetch(String(login.headers?.location), { redirect: 'manual' });
    return { callbackUrl: new URL(String(back.headers.get('location'))), cookies: cookieOf(login) };
  };
  const signIn = async (r: Rig) => {
    const { callbackUrl, cookies } = await authorize(r);
    return r.callback('rogue', callbackUrl, cookies);
  };
  /** Refused with its code: no role assumed and no session started (nothing to use later). */
  const refused = async (expected: string, r: Rig = rig) => {
    const created = r.sessions.calls.create;
    expect(await codeOf(() => signIn(r))).toBe(expected);
    expect(r.assumed).toEqual([]);
    expect(r.sessions.calls.create).toBe(created);
  };
  /** Two grants: the answer is the portal, whose session is granted both roles. */
  const BOTH_ROLES = [
    'arn:aws:iam::111111111111:role/dev',
    'arn:aws:iam::111111111111:role/reader',
  ];

  it('accepts the honest token (the baseline every case below changes one thing of)', async () => {
    rig = newRig();
    const res = await signIn(rig);
    expect(await rig.portalRoles(res)).toEqual(BOTH_ROLES);
    expect(rig.sessions.calls.create).toBe(1);
    expect(res.cookies?.some((c) => c.startsWith('__Host-fedgate-oidc-rogue=;'))).toBe(true);
  });

  it.each(ID_TOKEN_CATALOGUE.map((c) => [c.name, c] as const))(
    'ID token catalogue, %s',
    async (_, { scenario, expected, clockSkewSeconds }) => {
      rig = newRig(clockSkewSeconds !== undefined ? { clockSkewSeconds } : {});
      rogue.scenario = await scenario(rogue);
      if (expected === 'accepted') {
        expect(await rig.portalRoles(await signIn(rig))).toEqual(BOTH_ROLES);
        expect(rig.assumed).toEqual([]); // nothing assumed before a role is opened
      } else {
        await refused(expected);
      }
    },
  );

  it('sends PKCE S256, state and nonce, and the one redirect URI of this IdP', async () => {
    rig = newRig();
    const login = await rig.login('rogue');
    const url = new URL(String(login.headers?.location));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(
      'https://sso.example.com/oidc/rogue/callback',
    );
    expect(login.cookies?.[0]).toMatch(
      /^__Host-fedgate-oidc-rogue=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
  });

  it.each([
    [
      'RFC 9207 iss parameter of another issuer (mix-up)',
      { issParam: 'https://other-op.example' },
      'oidc_issuer_invalid',
    ],
    ['RFC 9207 iss parameter missing though advertised', { issParam: null }, 'oidc_issuer_invalid'],
  ] as const)('%s: refused', async (_, scenario, code) => {
    rig = newRig();
    rogue.scenario = scenario as never;
    await refused(code);
  });

  it('maxAuthAgeSeconds: max_age is sent, and an older auth_time is refused', async () => {
    rig = createRig(db, [
      oidcIdp('rogue', { issuer: rogue.issuer, clientId: 'fedgate', maxAuthAgeSeconds: 60 }),
    ]);
    const login = await rig.login('rogue');
    expect(new URL(String(login.headers?.location)).searchParams.get('max_age')).toBe('60');
    rogue.scenario = { claims: (c) => ({ ...c, auth_time: Math.floor(Date.now() / 1000) - 3600 }) };
    await refused('oidc_auth_too_old');
    rogue.scenario = { claims: (c) => ({ ...c, auth_time: Math.floor(Date.now() / 1000) - 5 }) };
    expect(await rig.portalRoles(await signIn(rig))).toEqual(BOTH_ROLES);
  });

  it('an unknown kid is refused, and the JWKS is not refetched within a minute (rate limit)', async () => {
    rig = newRig();
    await signIn(rig); // warms discovery + JWKS
    const fetches = rogue.jwksFetches;
    rig.assumed.length = 0;
    rogue.scenario = { key: await rogueKey('unknown-kid') };
    await refused('oidc_key_not_found');
    expect(rogue.jwksFetches).toBe(fetches);
  });

  it('key rotation: an unknown kid a minute later refetches the JWKS once and verifies', async () => {
    rig = newRig();
    await signIn(rig);
    const fetches = rogue.jwksFetches;
    const next = await rogueKey('next-key');
    rogue.keys.unshift(next);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    rig.assumed.length = 0;
    const res = await signIn(rig);
    expect(await rig.portalRoles(res)).toEqual(BOTH_ROLES);
    expect(rogue.jwksFetches).toBe(fetches + 1);
    rogue.keys.shift();
  });

  it('an oversized token response is refused before it is parsed', async () => {
    rig = newRig({ maxResponseBytes: 64 * 1024 });
    rogue.scenario = { tokenPadding: 200 * 1024 };
    await refused('oidc_response_too_large');
  });

  it('an oversized JWKS is refused', async () => {
    rig = newRig({ maxResponseBytes: 64 * 1024 });
    rogue.jwksBody = JSON.stringify({ keys: [], padding: 'x'.repeat(200 * 1024) });
    await refused('oidc_response_too_large');
  });

  it('a slow token endpoint is a 503 within the deadline, not a hung function', async () => {
    rig = newRig({ timeoutMs: 300 });
    rogue.scenario = { tokenDelayMs: 2000 };
    const started = Date.now();
    await refused('temporarily_unavailable');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a discovery document for another issuer is refused at login (oidcc discovery issuer mismatch)', async () => {
    rig = newRig();
    rogue.discoveryIssuer = 'https://accounts.google.com';
    expect(await codeOf(() => rig.login('rogue'))).toBe('oidc_discovery_invalid');
  });

  it.each([500, 502, 503])(
    'a token endpoint failing with %i (HTML body) is a 503',
    async (status) => {
      rig = newRig();
      rogue.scenario = { tokenFailure: status };
      await refused('temporarily_unavailable');
    },
  );

  it('an IdP that refuses connections is a 503 at login', async () => {
    const down = createRig(db, [
      oidcIdp('rogue', { issuer: 'http://127.0.0.1:9', clientId: 'fedgate' }),
    ]);
    expect(await codeOf(() => down.login('rogue'))).toBe('temporarily_unavailable');
  });

  it('a slow discovery endpoint is a 503 at login', async () => {
    rig = newRig({ timeoutMs: 300 });
    rogue.discoveryDelayMs = 2000;
    expect(await codeOf(() => rig.login('rogue'))).toBe('temporarily_unavailable');
  });

  describe('state and transaction', () => {
    it('no transaction cookie: refused before the code is redeemed', async () => {
      rig = newRig();
      const { callbackUrl } = await authorize(rig);
      const before = rogue.tokenRequests;
      expect(await codeOf(() => rig.callback('rogue', callbackUrl, undefined))).toBe(
        'oidc_state_mismatch',
      );
      expect(rogue.tokenRequests).toBe(before);
    });

    it("another browser's cookie (a foreign transaction): refused", async () => {
      rig = newRig();
      const victim = await authorize(rig);
      const attacker = await authorize(rig);
      expect(await codeOf(() => rig.callback('rogue', victim.callbackUrl, attacker.cookies))).toBe(
        'oidc_state_mismatch',
      );
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(0);
    });

    it('a replayed callback (state reused): refused, the transaction is single-use', async () => {
      rig = newRig();
      const { callbackUrl, cookies } = await authorize(rig);
      expect(await rig.portalRoles(await rig.callback('rogue', callbackUrl, cookies))).toEqual(
        BOTH_ROLES,
      );
      rig.assumed.length = 0;
      expect(await codeOf(() => rig.callback('rogue', callbackUrl, cookies))).toBe(
        'oidc_transaction_invalid',
      );
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(1);
    });

    it('a callback without state: refused', async () => {
      rig = newRig();
      const { callbackUrl, cookies } = await authorize(rig);
      callbackUrl.searchParams.delete('state');
      expect(await codeOf(() => rig.callback('rogue', callbackUrl, cookies))).toBe(
        'oidc_state_mismatch',
      );
    });

    it('code replay: a used code injected into a fresh transaction is refused by the OP (PKCE, single use)', async () => {
      rig = newRig();
      const first = await authorize(rig);
      expect(
        await rig.portalRoles(await rig.callback('rogue', first.callbackUrl, first.cookies)),
      ).toEqual(BOTH_ROLES);
      rig.assumed.length = 0;
      const second = await authorize(rig);
      const injected = new URL(second.callbackUrl);
      injected.searchParams.set('code', first.callbackUrl.searchParams.get('code') as string);
      expect(await codeOf(() => rig.callback('rogue', injected, second.cookies))).toBe(
        'oidc_token_request_failed',
      );
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(1);
    });

    it('an error response from the IdP is refused with a fixed text (its description is not reflected)', async () => {
      rig = newRig();
      const { callbackUrl, cookies } = await authorize(rig);
      const state = callbackUrl.searchParams.get('state') as string;
      const errorUrl = new URL(callbackUrl.origin + callbackUrl.pathname);
      errorUrl.search = new URLSearchParams({
        error: 'access_denied',
        error_description: '<script>alert(1)</script>',
        state,
        iss: rogue.issuer,
      }).toString();
      let thrown: { code?: string; description?: string } = {};
      try {
        await rig.callback('rogue', errorUrl, cookies);
      } catch (err) {
        thrown = err as typeof thrown;
      }
      expect(thrown.code).toBe('oidc_authorization_failed');
      expect(thrown.description).not.toContain('script');
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(0);
    });
  });

  it('never logs the code, the state, the tokens or the verifier', async () => {
    rig = newRig();
    const { callbackUrl, cookies } = await authorize(rig);
    await rig.callback('rogue', callbackUrl, cookies);
    rogue.scenario = { sign: 'corrupt' };
    await codeOf(() => signIn(rig));
    const logged = rig.log.text();
    expect(logged).not.toContain(callbackUrl.searchParams.get('code'));
    expect(logged).not.toContain(callbackUrl.searchParams.get('state'));
    expect(logged).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
