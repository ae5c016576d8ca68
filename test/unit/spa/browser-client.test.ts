import { describe, expect, it } from 'vitest';
import {
  createFedgateClient,
  FedgateError,
  type VerifierStorage,
} from '../../../shared/browser-client/fedgate-client.js';

/**
 * The browser client's login and redirect handling with what a browser gives it (a tab's
 * sessionStorage, an address bar, fetch), fetch answering as fedgate would. Against the runner:
 * test/integration/spa/browser-client.test.ts; in Chromium: test/e2e/spa.e2e.ts.
 */
const tab = () => {
  const items = new Map<string, string>();
  const storage: VerifierStorage = {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
  let address = 'https://app.example.com/';
  const requests: { url: string; body: unknown }[] = [];
  const fedgate = createFedgateClient({
    gatewayUrl: 'https://sso.example.com',
    clientId: 'app',
    idp: 'corp',
    redirectUri: 'https://app.example.com/callback',
    storage,
    navigate: (u) => {
      address = u;
    },
    currentUrl: () => address,
    replaceUrl: (u) => {
      address = u;
    },
    fetch: async (input, init) => {
      requests.push({ url: String(input), body: JSON.parse(String(init?.body)) });
      return new Response(
        JSON.stringify({
          Version: 1,
          AccessKeyId: 'ASIA1',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          role: { id: 'g', label: 'Dev', accountId: '111111111111', arn: 'arn' },
          tags: {},
          identity: { idp: 'corp', subject: 'abc' },
          session: { endsAt: new Date(Date.now() + 3_600_000).toISOString() },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    },
  });
  return {
    fedgate,
    items,
    requests,
    address: () => address,
    setAddress: (u: string) => {
      address = u;
    },
  };
};

/** login() in this tab; returns the state it sent to fedgate. */
const startLogin = async (t: ReturnType<typeof tab>) => {
  await t.fedgate.login();
  const url = new URL(t.address());
  return url.searchParams.get('state') as string;
};

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as FedgateError,
  );

describe('login()', () => {
  it('sends an S256 challenge and a fresh state; keeps verifier and state in this tab only', async () => {
    const t = tab();
    await t.fedgate.login();
    const url = new URL(t.address());
    expect(url.origin + url.pathname).toBe('https://sso.example.com/oidc/corp/login');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'app',
      return_to: 'https://app.example.com/callback',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const stored = JSON.parse(String(t.items.get('fedgate.login')));
    expect(stored).toEqual({ verifier: expect.any(String), state: url.searchParams.get('state') });
    expect(url.href).not.toContain(stored.verifier);
    const again = await startLogin(t);
    expect(again).not.toBe(url.searchParams.get('state'));
  });
});

describe('handleRedirect()', () => {
  it('with this tab’s state: redeems at POST /redeem with the verifier, cleans the address bar', async () => {
    const t = tab();
    const state = await startLogin(t);
    const { verifier } = JSON.parse(String(t.items.get('fedgate.login')));
    t.setAddress(`https://app.example.com/callback?keep=1&code=${'c'.repeat(43)}&state=${state}`);
    const out = await t.fedgate.handleRedirect();
    expect(out).toMatchObject({ AccessKeyId: 'ASIA1' });
    expect(t.requests).toEqual([
      {
        url: 'https://sso.example.com/redeem?client_id=app',
        body: { code: 'c'.repeat(43), code_verifier: verifier },
      },
    ]);
    expect(t.address()).toBe('https://app.example.com/callback?keep=1');
    expect(t.items.size).toBe(0);
    // The credentials are cached: no refresh call right after.
    await t.fedgate.getCredentials();
    expect(t.requests).toHaveLength(1);
  });

  it('a code with another state (someone else’s login) is refused before any request', async () => {
    const t = tab();
    await startLogin(t);
    t.setAddress(`https://app.example.com/callback?code=${'c'.repeat(43)}&state=${'a'.repeat(43)}`);
    const err = await errorOf(t.fedgate.handleRedirect());
    expect(err).toBeInstanceOf(FedgateError);
    expect(err?.code).toBe('spa_state_mismatch');
    expect(t.requests).toEqual([]);
    // The pending login is spent too, and the code is gone from the address bar.
    expect(t.items.size).toBe(0);
    expect(t.address()).toBe('https://app.example.com/callback');
  });

  it('a code without a state is refused', async () => {
    const t = tab();
    await startLogin(t);
    t.setAddress(`https://app.example.com/callback?code=${'c'.repeat(43)}`);
    expect((await errorOf(t.fedgate.handleRedirect()))?.code).toBe('spa_state_mismatch');
    expect(t.requests).toEqual([]);
  });

  it('a code in a tab that started no login is refused (spa_verifier_missing)', async () => {
    const t = tab();
    t.setAddress(`https://app.example.com/callback?code=${'c'.repeat(43)}&state=${'a'.repeat(43)}`);
    expect((await errorOf(t.fedgate.handleRedirect()))?.code).toBe('spa_verifier_missing');
    expect(t.requests).toEqual([]);
  });

  it('?error= with this tab’s state becomes a FedgateError with that code', async () => {
    const t = tab();
    const state = await startLogin(t);
    t.setAddress(`https://app.example.com/callback?error=no_role_matched&state=${state}`);
    const err = await errorOf(t.fedgate.handleRedirect());
    expect(err).toBeInstanceOf(FedgateError);
    expect([err?.code, err?.status]).toEqual(['no_role_matched', 400]);
    expect(t.address()).toBe('https://app.example.com/callback');
    expect(t.requests).toEqual([]);
  });

  it.each([
    ['temporarily_unavailable', 503],
    ['server_error', 500],
  ])('?error=%s has status %i', async (code, status) => {
    const t = tab();
    const state = await startLogin(t);
    t.setAddress(`https://app.example.com/callback?error=${code}&state=${state}`);
    expect((await errorOf(t.fedgate.handleRedirect()))?.status).toBe(status);
  });

  it('?error= with another state is not shown as fedgate’s answer', async () => {
    const t = tab();
    await startLogin(t);
    t.setAddress(`https://app.example.com/callback?error=no_role_matched&state=${'z'.repeat(43)}`);
    expect((await errorOf(t.fedgate.handleRedirect()))?.code).toBe('spa_state_mismatch');
  });

  it('no code and no error: nothing to do', async () => {
    const t = tab();
    await startLogin(t);
    expect(await t.fedgate.handleRedirect('https://app.example.com/callback?x=1')).toBeUndefined();
    expect(t.items.size).toBe(1);
  });
});
