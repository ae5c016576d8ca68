import type { LocalGateway } from '../../../infra/local/gateway.js';
import {
  createFedgateClient,
  FedgateError,
  type VerifierStorage,
} from '../../../shared/browser-client/fedgate-client.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { createJar, driveOp, step } from '../oidc/browserless.js';

/**
 * The browser client (shared/browser-client) run in Node against the local runner, with what a
 * browser would give it: a tab's sessionStorage, an address bar, and a fetch that sends the SPA's
 * Origin and keeps cookies. Chromium runs the same bundle in test/e2e/spa.e2e.ts.
 */
/** The kit's runner for this file (the `gateway` fixture), for the helpers below. */
let gateway: LocalGateway;
test.beforeAll(({ gateway: runner }) => {
  gateway = runner;
});

const browserFor = (origin: string) => {
  const jar = createJar();
  const items = new Map<string, string>();
  const storage: VerifierStorage = {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
  let address = '';
  const calls: string[] = [];
  const browserFetch: typeof fetch = async (input, init) => {
    calls.push(String(input));
    return step(jar, String(input), {
      ...init,
      headers: { ...(init?.headers as Record<string, string>), origin },
    });
  };
  return {
    jar,
    items,
    storage,
    calls,
    browserFetch,
    address: () => address,
    setAddress: (u: string) => {
      address = u;
    },
  };
};

const clientFor = (b: ReturnType<typeof browserFor>, now?: () => number) =>
  createFedgateClient({
    gatewayUrl: gateway.url.origin,
    clientId: 'demo-spa',
    idp: 'demo-oidc',
    redirectUri: `${gateway.url.origin}/_local/spa/`,
    storage: b.storage,
    fetch: b.browserFetch,
    navigate: b.setAddress,
    currentUrl: b.address,
    replaceUrl: b.setAddress,
    ...(now ? { now } : {}),
  });

/** login() → fedgate → the demo OP as `user` → fedgate's callback → the SPA's address bar. */
const signIn = async (b: ReturnType<typeof browserFor>, user: string) => {
  const fedgate = clientFor(b);
  await fedgate.login();
  const login = await step(b.jar, b.address());
  const { callback } = await driveOp(new URL(String(login.headers.get('location'))), user, b.jar);
  const back = await step(b.jar, callback);
  b.setAddress(String(back.headers.get('location')));
  return fedgate;
};

describe('the browser client against the runner', () => {
  it('login sends the S256 challenge and a state; handleRedirect checks it, redeems once at /redeem and cleans the address bar', async () => {
    const b = browserFor(gateway.url.origin);
    const fedgate = clientFor(b);
    await fedgate.login();
    const login = new URL(b.address());
    expect(login.pathname).toBe('/oidc/demo-oidc/login');
    expect(Object.fromEntries(login.searchParams)).toMatchObject({
      client_id: 'demo-spa',
      return_to: `${gateway.url.origin}/_local/spa/`,
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(JSON.parse(String([...b.items.values()][0]))).toEqual({
      verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: login.searchParams.get('state'),
    });

    // signIn() logs in again (a fresh pair and state) and follows the redirects.
    const signedIn = await signIn(b, 'paul');
    const back = new URL(b.address());
    expect(back.searchParams.has('code')).toBe(true);
    expect(back.searchParams.get('state')).toBe(JSON.parse(String([...b.items.values()][0])).state);
    const out = await signedIn.handleRedirect();
    expect(out).toMatchObject({ AccessKeyId: expect.stringMatching(/^ASIALOCAL/) });
    expect(b.calls.filter((c) => new URL(c).pathname === '/redeem')).toHaveLength(1);
    expect(b.address()).toBe(`${gateway.url.origin}/_local/spa/`);
    expect(b.items.size).toBe(0);
    expect(await signedIn.handleRedirect()).toBeUndefined();
  });

  it('a person with no grant: handleRedirect throws the refusal fedgate sent back (no_role_matched)', async () => {
    const b = browserFor(gateway.url.origin);
    const fedgate = await signIn(b, 'quinn');
    expect(new URL(b.address()).searchParams.get('error')).toBe('no_role_matched');
    const err = await fedgate.handleRedirect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FedgateError);
    expect(err).toMatchObject({ code: 'no_role_matched' });
    expect(b.address()).toBe(`${gateway.url.origin}/_local/spa/`);
    expect(b.calls.filter((c) => c.includes('/redeem'))).toEqual([]);
    expect(await fedgate.isSignedIn()).toBe(false);
  });

  it('an attacker-started login opened in the victim’s tab: the victim’s SPA refuses the code (state), no redemption', async () => {
    // The attacker's SPA login URL: the attacker's own client instance, PKCE pair and state.
    const attacker = browserFor(gateway.url.origin);
    await clientFor(attacker).login();
    const attackerUrl = attacker.address();
    // The victim's SPA has a login of its own under way; the victim opens the attacker's URL.
    const victim = browserFor(gateway.url.origin);
    const victimSpa = clientFor(victim);
    await victimSpa.login();
    const login = await step(victim.jar, attackerUrl);
    const { callback } = await driveOp(
      new URL(String(login.headers.get('location'))),
      'paul',
      victim.jar,
    );
    victim.setAddress(String((await step(victim.jar, callback)).headers.get('location')));
    const err = await victimSpa.handleRedirect().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'spa_state_mismatch' });
    expect(victim.calls.filter((c) => c.includes('/redeem'))).toEqual([]);
    expect(await victimSpa.isSignedIn()).toBe(false);
  });

  it('getCredentials: cached while fresh, refreshed near expiry, SDK shape; logout ends it', async () => {
    const b = browserFor(gateway.url.origin);
    let clock = Date.now();
    await signIn(b, 'paul');
    const timed = clientFor(b, () => clock);
    await timed.handleRedirect(b.address());
    expect(await timed.isSignedIn()).toBe(true);
    const first = await timed.getCredentials();
    expect(first).toEqual({
      accessKeyId: expect.stringMatching(/^ASIALOCAL/),
      secretAccessKey: expect.any(String),
      sessionToken: expect.any(String),
      expiration: expect.any(Date),
    });
    const provider = timed.credentialProvider();
    expect((await provider()).accessKeyId).toBe(first.accessKeyId);
    const posts = b.calls.filter((c) => c.includes('/credentials')).length;
    // Within the refresh margin of expiry: fresh credentials from the session, no login.
    clock = first.expiration.getTime() - 60_000;
    const second = await timed.getCredentials();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(b.calls.filter((c) => c.includes('/credentials')).length).toBe(posts + 1);
    await timed.logout();
    expect(await timed.isSignedIn()).toBe(false);
    await expect(timed.getCredentials({ forceRefresh: true })).rejects.toMatchObject({
      code: 'session_invalid',
      status: 401,
    });
  });

  it('several grants: handleRedirect returns the list; credentials per opaque grant id', async () => {
    const b = browserFor(gateway.url.origin);
    const fedgate = await signIn(b, 'olivia');
    const out = await fedgate.handleRedirect();
    expect(out && 'grants' in out && out.grants).toHaveLength(2);
    const { grants } = await fedgate.listGrants();
    const [a, c] = await Promise.all(
      grants.map((g) => fedgate.getDetailedCredentials({ grant: g.id })),
    );
    expect(new Set([a?.role.id, c?.role.id])).toEqual(new Set(grants.map((g) => g.id)));
    await expect(fedgate.getCredentials()).rejects.toMatchObject({ code: 'spa_grant_required' });
  });

  it('a redirect without a verifier in this tab is refused before any request', async () => {
    const b = browserFor(gateway.url.origin);
    const fedgate = clientFor(b);
    const err = await fedgate
      .handleRedirect(
        `${gateway.url.origin}/_local/spa/?code=${'a'.repeat(43)}&state=${'s'.repeat(43)}`,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FedgateError);
    expect(err).toMatchObject({ code: 'spa_verifier_missing' });
    expect(b.calls).toEqual([]);
  });

  it('from another origin every call is refused with spa_origin_not_allowed', async () => {
    const b = browserFor('https://evil.example');
    await expect(clientFor(b).listGrants()).rejects.toMatchObject({
      code: 'spa_origin_not_allowed',
      status: 403,
    });
  });
});
