import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IDToken } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { type GatewayConfigInput, parseGatewayConfig } from '../../../shared/config/index.js';
import { DependencyUnavailableError } from '../../../shared/http/index.js';
import {
  OidcAuthorizationError,
  type OidcClient,
  OidcIdTokenInvalidError,
  OidcTransactionSchema,
  transactionKey,
} from '../../../shared/oidc/index.js';
import {
  codeKey,
  createStaticSpaClients,
  loginBindingHash,
  SpaCodeSchema,
} from '../../../shared/spa/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig } from '../../support/signin-rig.js';

const ROLE = 'arn:aws:iam::111111111111:role/r';
const configWith = (spa: Record<string, unknown> = {}, rules?: unknown[]) =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'op',
        displayName: 'OP',
        protocol: 'oidc',
        oidc: { issuer: 'https://op.example', clientId: 'fedgate' },
        rules: rules ?? [
          {
            id: 'all',
            priority: 10,
            effect: 'allow',
            when: [{ claim: 'sub', op: 'matches', value: 'u.*' }],
            grant: { roleArn: ROLE, sessionName: 's-{subject}' },
          },
        ],
      },
    ],
    spaClients: [
      { id: 'app', origin: 'https://app.example.com', returnPaths: ['/cb', '/other'], ...spa },
    ],
  } as GatewayConfigInput);

const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const SPA_STATE = 'the-spas-own-state-0123456789';
const NOW = 1_800_000_000;

const setup = (
  opts: {
    config?: ReturnType<typeof configWith>;
    redeem?: () => Promise<IDToken>;
    authorizationUrl?: OidcClient['authorizationUrl'];
  } = {},
) => {
  const config = opts.config ?? configWith();
  const state = createMemoryStateStore(clockAtSeconds(NOW));
  const claims: IDToken = {
    iss: 'https://op.example',
    sub: 'u1',
    aud: 'fedgate',
    iat: NOW,
    exp: NOW + 900,
    email: 'u1@example.com',
  };
  const client: OidcClient = {
    authorizationUrl:
      opts.authorizationUrl ??
      (async (_idp, r) => new URL(`https://op.example/authorize?state=${r.state}`)),
    redeem: opts.redeem ?? (async () => claims),
  };
  const log = captureLogger();
  const signIn = createSignInRig({
    attributes: createMemoryAttributeStore(config),
    state,
    now: () => NOW,
    log,
  });
  const counted: { name: string; dimensions: Record<string, string> }[] = [];
  const endpoints = createOidcEndpoints({
    attributes: createMemoryAttributeStore(config),
    state,
    client,
    parseDestination: () => new URL('https://console.aws.amazon.com/'),
    complete: signIn.complete,
    spaClients: createStaticSpaClients(config.spaClients),
    publicBaseUrl: new URL('https://sso.example.com'),
    log,
    meter: {
      count: (name, dimensions) => counted.push({ name, dimensions }),
      milliseconds: () => undefined,
    },
    clock: clockAtSeconds(NOW),
  });
  return { endpoints, state, signIn, log, counted };
};

const login = (query: Record<string, string>, idp = 'op') =>
  apiEvent({
    path: `/oidc/${idp}/login`,
    rawQueryString: new URLSearchParams(query).toString(),
    pathParameters: { idp },
  } as Partial<APIGatewayProxyEventV2> & { path: string });

const spaQuery = {
  client_id: 'app',
  return_to: 'https://app.example.com/cb',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  state: SPA_STATE,
};

/** Login, then the IdP's answer at the callback in the same browser. */
const signInThrough = async (rig: ReturnType<typeof setup>) => {
  const res = await rig.endpoints.login(login(spaQuery));
  const s = new URL(String(res.headers.location)).searchParams.get('state') as string;
  return rig.endpoints.callback(
    apiEvent({
      path: '/oidc/op/callback',
      rawQueryString: `code=x&state=${s}`,
      pathParameters: { idp: 'op' },
      cookies: [`__Host-fedgate-oidc-op=${s}`],
    } as Partial<APIGatewayProxyEventV2> & { path: string }),
  );
};

const TXN_CLEARED = '__Host-fedgate-oidc-op=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax';

describe('an SPA login', () => {
  it('stores client, return_to, challenge, state and the login binding’s hash; sets the binding cookie', async () => {
    const { endpoints, state } = setup();
    const res = await endpoints.login(login(spaQuery));
    expect(res.statusCode).toBe(302);
    const s = new URL(String(res.headers.location)).searchParams.get('state') as string;
    // fedgate's own state towards the IdP is not the SPA's.
    expect(s).not.toBe(SPA_STATE);
    expect(res.cookies).toEqual([
      `__Host-fedgate-oidc-op=${s}; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax`,
      expect.stringMatching(
        /^__Host-fedgate-spa-login=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=None$/,
      ),
    ]);
    const binding = /spa-login=([^;]+)/.exec(String(res.cookies?.[1]))?.[1] as string;
    const stored = OidcTransactionSchema.parse(await state.get(transactionKey(s)));
    expect(stored).toMatchObject({
      client: 'app',
      returnTo: 'https://app.example.com/cb',
      spaCodeChallenge: CHALLENGE,
      spaState: SPA_STATE,
      spaLoginBinding: loginBindingHash(binding),
    });
    // The table never holds the binding cookie itself.
    expect(JSON.stringify([...state.items])).not.toContain(binding);
  });

  it('each login gets a fresh binding', async () => {
    const { endpoints } = setup();
    const a = (await endpoints.login(login(spaQuery))).cookies?.[1];
    const b = (await endpoints.login(login(spaQuery))).cookies?.[1];
    expect(a).not.toBe(b);
  });

  it.each([
    [{ ...spaQuery, return_to: 'https://evil.example/cb' }, 'spa_return_to_invalid'],
    [{ ...spaQuery, client_id: 'nope' }, 'spa_client_unknown'],
    [{ ...spaQuery, code_challenge_method: 'plain' }, 'invalid_request'],
    [
      { client_id: 'app', return_to: 'https://app.example.com/cb', state: SPA_STATE },
      'invalid_request',
    ],
    [{ ...spaQuery, state: '' }, 'invalid_request'],
    [{ ...spaQuery, state: 'short-state' }, 'invalid_request'],
    [{ ...spaQuery, state: 'x'.repeat(129) }, 'invalid_request'],
    [{ ...spaQuery, state: `${'x'.repeat(30)}<script>` }, 'invalid_request'],
    [
      Object.fromEntries(Object.entries(spaQuery).filter(([k]) => k !== 'state')),
      'invalid_request',
    ],
  ])('refuses %j with %s (an error page) before storing anything', async (query, code) => {
    const { endpoints, state } = setup();
    await expect(endpoints.login(login(query))).rejects.toMatchObject({ code });
    expect(state.items.size).toBe(0);
  });

  it('once client, return_to and state are good, a refusal goes back to the SPA (unknown IdP)', async () => {
    const { endpoints, state } = setup();
    const res = await endpoints.login(login(spaQuery, 'gone'));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(
      `https://app.example.com/cb?error=not_found&state=${SPA_STATE}`,
    );
    expect(res.cookies).toBeUndefined();
    expect(state.items.size).toBe(0);
  });

  it('the IdP’s discovery failing goes back to the SPA as temporarily_unavailable', async () => {
    const { endpoints, counted } = setup({
      authorizationUrl: async () => {
        throw new DependencyUnavailableError('oidc', 'discovery timed out');
      },
    });
    const res = await endpoints.login(login(spaQuery));
    expect(res.headers.location).toBe(
      `https://app.example.com/cb?error=temporarily_unavailable&state=${SPA_STATE}`,
    );
    expect(counted).toEqual([
      { name: 'Failures', dimensions: { code: 'temporarily_unavailable' } },
    ]);
  });
});

describe('the callback of an SPA login', () => {
  it('issues a one-time code holding the identity (never grants) and returns code and state', async () => {
    const rig = setup();
    const cb = await signInThrough(rig);
    expect(cb.statusCode).toBe(302);
    const back = new URL(String(cb.headers.location));
    expect(back.origin + back.pathname).toBe('https://app.example.com/cb');
    expect([...back.searchParams.keys()]).toEqual(['code', 'state']);
    expect(back.searchParams.get('state')).toBe(SPA_STATE);
    const code = SpaCodeSchema.parse(
      await rig.state.get(codeKey(String(back.searchParams.get('code')))),
    );
    expect(code).toMatchObject({
      v: 3,
      client: 'app',
      codeChallenge: CHALLENGE,
      state: SPA_STATE,
      identity: { idp: 'op', protocol: 'oidc', subject: 'u1', displayName: 'u1@example.com' },
    });
    expect(JSON.stringify(code)).not.toContain(ROLE);
    // When the sign-in was verified (a revocation after it refuses the redemption).
    expect(code.verifiedAt).toBeGreaterThan(0);
    // OIDC sets no session bound: the ID token's `exp` (NOW + 900) is not one (shared/session).
    expect(code.upstreamEndsAt).toBeUndefined();
    // No role is assumed and no session started at the callback: that is the redemption's.
    expect(rig.signIn.assume).not.toHaveBeenCalled();
    expect(rig.signIn.sessionStore.sessions.size).toBe(0);
    expect(cb.cookies).toEqual([TXN_CLEARED]);
  });

  const refusedTo = async (rig: ReturnType<typeof setup>, location: string) => {
    const cb = await signInThrough(rig);
    expect(cb.statusCode).toBe(302);
    expect(cb.headers.location).toBe(location);
    expect(cb.cookies).toEqual([TXN_CLEARED]);
    expect([...rig.state.items.keys()].filter((k) => k.startsWith('CODE#'))).toEqual([]);
    return cb;
  };

  it('no_role_matched goes back to the SPA (the first return path), not to a fedgate page', async () => {
    const rig = setup({
      redeem: async () => ({ iss: 'x', sub: 'x1', aud: 'a', iat: 1, exp: NOW + 60 }),
    });
    await refusedTo(rig, `https://app.example.com/cb?error=no_role_matched&state=${SPA_STATE}`);
    expect(rig.counted).toEqual([{ name: 'Refusals', dimensions: { code: 'no_role_matched' } }]);
    expect(rig.log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'request refused' }),
    );
  });

  it('the client’s errorPath is used when set', async () => {
    const rig = setup({
      config: configWith({ errorPath: '/signin-failed' }),
      redeem: async () => ({ iss: 'x', sub: 'x1', aud: 'a', iat: 1, exp: NOW + 60 }),
    });
    await refusedTo(
      rig,
      `https://app.example.com/signin-failed?error=no_role_matched&state=${SPA_STATE}`,
    );
  });

  it('allowedRoles that exclude every grant: no_role_matched, no code', async () => {
    const rig = setup({ config: configWith({ allowedRoles: ['222222222222'] }) });
    await refusedTo(rig, `https://app.example.com/cb?error=no_role_matched&state=${SPA_STATE}`);
  });

  it.each([
    [
      'the IdP’s own error',
      new OidcAuthorizationError('access_denied', 'denied'),
      'oidc_authorization_failed',
    ],
    ['an ID token error', new OidcIdTokenInvalidError('aud'), 'oidc_id_token_invalid'],
    [
      'a dependency failing (503)',
      new DependencyUnavailableError('oidc', 'token endpoint 503'),
      'temporarily_unavailable',
    ],
    ['anything unexpected (500)', new Error('boom: secret detail'), 'server_error'],
  ])('%s goes back to the SPA as error=%s, never with a detail', async (_, err, code) => {
    const rig = setup({
      redeem: async () => {
        throw err;
      },
    });
    const cb = await refusedTo(rig, `https://app.example.com/cb?error=${code}&state=${SPA_STATE}`);
    expect(String(cb.headers.location)).not.toContain('secret');
  });

  it('a return path removed since the login: the refusal goes to the error URL, no code', async () => {
    const rig = setup();
    const res = await rig.endpoints.login(
      login({ ...spaQuery, return_to: 'https://app.example.com/other' }),
    );
    const s = new URL(String(res.headers.location)).searchParams.get('state') as string;
    const narrowed = configWith({ returnPaths: ['/cb'] });
    const later = createOidcEndpoints({
      attributes: createMemoryAttributeStore(narrowed),
      state: rig.state,
      client: {
        authorizationUrl: async () => new URL('https://op.example/'),
        redeem: async () => ({ iss: 'x', sub: 'u1', aud: 'a', iat: 1, exp: NOW + 60 }),
      },
      parseDestination: () => new URL('https://console.aws.amazon.com/'),
      complete: rig.signIn.complete,
      spaClients: createStaticSpaClients(narrowed.spaClients),
      publicBaseUrl: new URL('https://sso.example.com'),
      log: captureLogger(),
      clock: clockAtSeconds(NOW),
    });
    const cb = await later.callback(
      apiEvent({
        path: '/oidc/op/callback',
        rawQueryString: `code=x&state=${s}`,
        pathParameters: { idp: 'op' },
        cookies: [`__Host-fedgate-oidc-op=${s}`],
      } as Partial<APIGatewayProxyEventV2> & { path: string }),
    );
    expect(cb.headers.location).toBe(
      `https://app.example.com/cb?error=spa_return_to_invalid&state=${SPA_STATE}`,
    );
  });

  it('before the transaction is known, a refusal is fedgate’s error page (no redirect to anyone)', async () => {
    const rig = setup();
    await rig.endpoints.login(login(spaQuery));
    await expect(
      rig.endpoints.callback(
        apiEvent({
          path: '/oidc/op/callback',
          rawQueryString: `code=x&state=${'s'.repeat(43)}`,
          pathParameters: { idp: 'op' },
          cookies: [`__Host-fedgate-oidc-op=${'t'.repeat(43)}`],
        } as Partial<APIGatewayProxyEventV2> & { path: string }),
      ),
    ).rejects.toMatchObject({ code: 'oidc_state_mismatch' });
  });

  it('a transaction marked as an SPA’s but missing its state or binding is refused (error page)', async () => {
    const rig = setup();
    const s = 'S'.repeat(43);
    await rig.state.put(
      transactionKey(s),
      {
        v: 1,
        idp: 'op',
        nonce: 'n'.repeat(43),
        codeVerifier: 'c'.repeat(43),
        destination: 'https://console.aws.amazon.com/',
        client: 'app',
        returnTo: 'https://app.example.com/cb',
        spaCodeChallenge: CHALLENGE,
        created: NOW,
      },
      NOW + 600,
    );
    await expect(
      rig.endpoints.callback(
        apiEvent({
          path: '/oidc/op/callback',
          rawQueryString: `code=x&state=${s}`,
          pathParameters: { idp: 'op' },
          cookies: [`__Host-fedgate-oidc-op=${s}`],
        } as Partial<APIGatewayProxyEventV2> & { path: string }),
      ),
    ).rejects.toMatchObject({ code: 'oidc_transaction_invalid' });
  });
});
