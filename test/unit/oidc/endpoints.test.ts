import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IDToken } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { type GatewayConfigInput, parseGatewayConfig } from '../../../shared/config/index.js';
import type { RoleAssumption } from '../../../shared/handback/index.js';
import {
  createOidcCallback,
  createOidcLogin,
  type OidcClient,
  type OidcTransaction,
  transactionKey,
} from '../../../shared/oidc/index.js';
import { createStaticSpaClients } from '../../../shared/spa/index.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig } from '../../support/signin-rig.js';

const STATE = 'A'.repeat(43);
const BASE = new URL('https://sso.example.com');

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'op',
      displayName: 'OP',
      protocol: 'oidc',
      oidc: { issuer: 'https://op.example', clientId: 'fedgate' },
      rules: [
        {
          id: 'no-contractors',
          priority: 1,
          effect: 'deny',
          when: [
            {
              claim: 'type',
              op: 'equals',
              value: 'contractor',
              quantifier: 'any',
              ifMissing: 'noMatch',
            },
          ],
        },
        {
          id: 'all',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'sub', op: 'matches', value: '.+' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/r', sessionName: 's-{subject}' },
        },
      ],
    },
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'oidc',
      oidc: { issuer: 'https://x.okta.com/app/123', clientId: 'c', profile: 'okta' },
    },
    {
      id: 'saml',
      displayName: 'S',
      protocol: 'saml',
      saml: { entityId: 'e', signingCertificates: ['A'.repeat(80)] },
    },
  ],
} as GatewayConfigInput);

const setup = (
  claims: IDToken = { iss: 'https://op.example', sub: 'u1', aud: 'fedgate', iat: 1, exp: 2 },
) => {
  const state = createMemoryStateStore();
  const seen: { redeem: number; destination?: string } = { redeem: 0 };
  const client: OidcClient = {
    authorizationUrl: async (_idp, r) => new URL(`https://op.example/authorize?state=${r.state}`),
    redeem: async () => {
      seen.redeem++;
      return claims;
    },
  };
  const assumed: string[] = [];
  const assume: RoleAssumption = async (g) => {
    assumed.push(g.roleArn);
    return {
      accessKeyId: 'A',
      secretAccessKey: 'B',
      sessionToken: 'C',
      expiration: new Date(Date.now() + 3_600_000),
    };
  };
  const signIn = createSignInRig({
    attributes: createMemoryAttributeStore(config),
    state,
    now: () => Math.floor(Date.now() / 1000),
    log: captureLogger(),
    publicBaseUrl: BASE,
  });
  signIn.assume.mockImplementation(assume);
  signIn.consoleUrl.mockImplementation(
    async (_s, d) => new URL(`https://signin.aws.amazon.com/federation?d=${d.href}`),
  );
  const endpoints = createOidcEndpoints({
    attributes: createMemoryAttributeStore(config),
    state,
    client,
    parseDestination: (raw) => {
      seen.destination = raw;
      return new URL(
        raw === 'https://console.aws.amazon.com/s3/' ? raw : 'https://console.aws.amazon.com/',
      );
    },
    complete: signIn.complete,
    publicBaseUrl: BASE,
    log: captureLogger(),
  });
  return { endpoints, state, seen, assumed };
};

const event = (path: string, idp: string, query = '', cookies?: string[], method = 'GET') =>
  apiEvent({
    path,
    method,
    rawQueryString: query,
    pathParameters: { idp },
    ...(cookies ? { cookies } : {}),
  } as Partial<APIGatewayProxyEventV2> & { path: string });

const txn = (over: Partial<OidcTransaction> = {}): OidcTransaction => ({
  v: 1,
  idp: 'op',
  nonce: 'N'.repeat(43),
  codeVerifier: 'V'.repeat(43),
  destination: 'https://console.aws.amazon.com/s3/',
  created: 1,
  ...over,
});

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'none',
    (e: { code?: string }) => e.code,
  );

describe('OIDC login endpoint', () => {
  it('stores the transaction (with the allowlisted destination) and sets the Lax __Host- cookie', async () => {
    const { endpoints, state, seen } = setup();
    const res = await endpoints.login(
      event('/oidc/op/login', 'op', 'return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F'),
    );
    expect(res.statusCode).toBe(302);
    const sent = new URL(String(res.headers?.location)).searchParams.get('state') as string;
    expect(res.cookies?.[0]).toContain(`__Host-fedgate-oidc-op=${sent};`);
    expect(res.cookies?.[0]).toContain('SameSite=Lax');
    expect(seen.destination).toBe('https://console.aws.amazon.com/s3/');
    expect(await state.get(transactionKey(sent))).toMatchObject({
      idp: 'op',
      destination: 'https://console.aws.amazon.com/s3/',
    });
  });

  it('keys the transaction by the SHA-256 of state: the state (the cookie) is nowhere in the table', async () => {
    const { endpoints, state } = setup();
    const res = await endpoints.login(event('/oidc/op/login', 'op'));
    const sent = new URL(String(res.headers?.location)).searchParams.get('state') as string;
    const hashed = createHash('sha256').update(sent).digest('base64url');
    expect([...state.items.keys()]).toEqual([`TXN#${hashed}`]);
    expect(JSON.stringify([...state.items.values()])).not.toContain(sent);
    expect(transactionKey(sent)).toBe(`TXN#${hashed}`);
  });

  it.each([
    ['an unknown IdP', 'nope', 'not_found'],
    ['a SAML IdP', 'saml', 'not_found'],
    ['an Okta issuer of neither shape', 'okta', 'server_error'],
  ])('%s: refused', async (_, idp, code) => {
    expect(await codeOf(setup().endpoints.login(event(`/oidc/${idp}/login`, idp)))).toBe(code);
  });

  it('POST is not allowed', async () => {
    expect(
      await codeOf(setup().endpoints.login(event('/oidc/op/login', 'op', '', undefined, 'POST'))),
    ).toBe('method_not_allowed');
  });
});

describe('OIDC callback endpoint', () => {
  const cookie = [`__Host-fedgate-oidc-op=${STATE}`];

  it('consumes the transaction once, hands back, clears the cookie', async () => {
    const { endpoints, state, assumed } = setup();
    await state.put(transactionKey(STATE), txn(), Math.floor(Date.now() / 1000) + 60);
    const res = await endpoints.callback(
      event('/oidc/op/callback', 'op', `code=c&state=${STATE}`, cookie),
    );
    expect(res.statusCode).toBe(302);
    expect(String(res.headers?.location)).toContain('d=https://console.aws.amazon.com/s3/');
    expect(res.cookies).toContain(
      '__Host-fedgate-oidc-op=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax',
    );
    expect(assumed).toEqual(['arn:aws:iam::111111111111:role/r']);
    expect(await state.get(transactionKey(STATE))).toBeUndefined();
  });

  it.each([
    [
      'a malformed state that matches its cookie',
      `code=c&state=short`,
      ['__Host-fedgate-oidc-op=short'],
      'oidc_state_mismatch',
    ],
    ['a state sent twice', `code=c&state=${STATE}&state=${STATE}`, cookie, 'invalid_request'],
    ['an 8 KiB query', `code=${'c'.repeat(9000)}&state=${STATE}`, cookie, 'oidc_state_mismatch'],
    ['no live transaction', `code=c&state=${STATE}`, cookie, 'oidc_transaction_invalid'],
  ])('%s: refused before the code is redeemed', async (_, query, cookies, code) => {
    const { endpoints, seen } = setup();
    expect(await codeOf(endpoints.callback(event('/oidc/op/callback', 'op', query, cookies)))).toBe(
      code,
    );
    expect(seen.redeem).toBe(0);
  });

  it("another IdP's transaction is refused (and consumed)", async () => {
    const { endpoints, state, seen } = setup();
    await state.put(
      transactionKey(STATE),
      txn({ idp: 'other' }),
      Math.floor(Date.now() / 1000) + 60,
    );
    expect(
      await codeOf(endpoints.callback(event('/oidc/op/callback', 'op', `state=${STATE}`, cookie))),
    ).toBe('oidc_transaction_invalid');
    expect(seen.redeem).toBe(0);
    expect(await state.get(transactionKey(STATE))).toBeUndefined();
  });

  it('a deny rule refuses with no_role_matched and assumes nothing', async () => {
    const { endpoints, state, assumed } = setup({
      iss: 'https://op.example',
      sub: 'u1',
      aud: 'fedgate',
      iat: 1,
      exp: 2,
      type: 'contractor',
    });
    await state.put(transactionKey(STATE), txn(), Math.floor(Date.now() / 1000) + 60);
    expect(
      await codeOf(endpoints.callback(event('/oidc/op/callback', 'op', `state=${STATE}`, cookie))),
    ).toBe('no_role_matched');
    expect(assumed).toEqual([]);
  });

  it('the login function has no callback, and a callback cannot be built without the sign-in tail (a type error, not a run-time server_error)', () => {
    const deps = {
      attributes: createMemoryAttributeStore(config),
      state: createMemoryStateStore(),
      client: {
        authorizationUrl: async () => new URL('https://op.example/'),
        redeem: async () => ({}),
      } as never,
      spaClients: createStaticSpaClients([]),
      parseDestination: () => new URL('https://console.aws.amazon.com/'),
      publicBaseUrl: BASE,
      log: captureLogger(),
    };
    expect(Object.keys(createOidcLogin(deps)).sort()).toEqual(['login', 'steps']);
    // @ts-expect-error `complete` is required: the function that builds a callback has the tail.
    expect(() => createOidcCallback(deps)).not.toThrow();
  });

  it('login and callback are their named steps, in order', () => {
    expect(setup().endpoints.steps).toEqual({
      login: ['requireGet', 'parseSpaLogin', 'parseContinue', 'startAtIdp'],
      callback: [
        'requireGet',
        'loadOidcIdp',
        'boundQuery',
        'consumeTransaction',
        'handToSpa',
        'redeemCode',
        'mapOidcIdentity',
        'completeSignIn',
      ],
    });
  });
});
