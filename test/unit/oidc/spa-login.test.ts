import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IDToken } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { type GatewayConfigInput, parseGatewayConfig } from '../../../shared/config/index.js';
import type { RoleAssumption } from '../../../shared/handback/index.js';
import {
  createOidcEndpoints,
  type OidcClient,
  OidcTransactionSchema,
  transactionKey,
} from '../../../shared/oidc/index.js';
import { codeKey, createStaticSpaClients, SpaCodeSchema } from '../../../shared/spa/index.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createSignInRig } from '../../support/signin-rig.js';

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
          id: 'all',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'sub', op: 'matches', value: '.+' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/r', sessionName: 's-{subject}' },
        },
      ],
    },
  ],
  spaClients: [{ id: 'app', origin: 'https://app.example.com', returnPaths: ['/cb'] }],
} as GatewayConfigInput);

const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const NOW = 1_800_000_000;

const setup = (withRegistry = true) => {
  const state = createMemoryStateStore(() => NOW);
  const claims: IDToken = {
    iss: 'https://op.example',
    sub: 'u1',
    aud: 'fedgate',
    iat: NOW,
    exp: NOW + 900,
  };
  const client: OidcClient = {
    authorizationUrl: async (_idp, r) => new URL(`https://op.example/authorize?state=${r.state}`),
    redeem: async () => claims,
  };
  const assumed: string[] = [];
  const assume: RoleAssumption = async (g) => {
    assumed.push(g.roleArn);
    throw new Error('the SPA branch must not assume a role at the callback');
  };
  const signIn = createSignInRig({
    attributes: createMemoryAttributeStore(config),
    state,
    now: () => NOW,
    log: captureLogger(),
  });
  signIn.assume.mockImplementation(assume);
  const endpoints = createOidcEndpoints({
    attributes: createMemoryAttributeStore(config),
    state,
    client,
    parseDestination: () => new URL('https://console.aws.amazon.com/'),
    complete: signIn.complete,
    ...(withRegistry ? { spaClients: createStaticSpaClients(config.spaClients) } : {}),
    publicBaseUrl: new URL('https://sso.example.com'),
    log: captureLogger(),
    now: () => NOW,
  });
  return { endpoints, state, assumed };
};

const login = (query: Record<string, string>) =>
  apiEvent({
    path: '/oidc/op/login',
    rawQueryString: new URLSearchParams(query).toString(),
    pathParameters: { idp: 'op' },
  } as Partial<APIGatewayProxyEventV2> & { path: string });

const spaQuery = {
  client_id: 'app',
  return_to: 'https://app.example.com/cb',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
};

describe('the OIDC endpoints with an SPA login', () => {
  it('login stores client, returnTo and the SPA challenge; the callback issues a code, no STS', async () => {
    const { endpoints, state, assumed } = setup();
    const res = await endpoints.login(login(spaQuery));
    expect(res.statusCode).toBe(302);
    const s = new URL(String(res.headers.location)).searchParams.get('state') as string;
    const stored = OidcTransactionSchema.parse(await state.get(transactionKey(s)));
    expect(stored).toMatchObject({
      client: 'app',
      returnTo: 'https://app.example.com/cb',
      spaCodeChallenge: CHALLENGE,
    });

    const cb = await endpoints.callback(
      apiEvent({
        path: '/oidc/op/callback',
        rawQueryString: `code=x&state=${s}`,
        pathParameters: { idp: 'op' },
        cookies: [`__Host-fedgate-oidc-op=${s}`],
      } as Partial<APIGatewayProxyEventV2> & { path: string }),
    );
    expect(cb.statusCode).toBe(302);
    const back = new URL(String(cb.headers.location));
    expect(back.origin + back.pathname).toBe('https://app.example.com/cb');
    expect([...back.searchParams.keys()]).toEqual(['code']);
    const code = SpaCodeSchema.parse(
      await state.get(codeKey(String(back.searchParams.get('code')))),
    );
    expect(code).toMatchObject({
      client: 'app',
      codeChallenge: CHALLENGE,
      upstreamExpiresAt: NOW + 900,
      person: { idp: 'op', protocol: 'oidc' },
    });
    expect(code.grants.map((g) => g.roleArn)).toEqual(['arn:aws:iam::111111111111:role/r']);
    expect(assumed).toEqual([]);
    expect(cb.cookies).toEqual([
      '__Host-fedgate-oidc-op=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax',
    ]);
  });

  it.each([
    [{ ...spaQuery, return_to: 'https://evil.example/cb' }, 'spa_return_to_invalid'],
    [{ ...spaQuery, client_id: 'nope' }, 'spa_client_unknown'],
    [{ ...spaQuery, code_challenge_method: 'plain' }, 'invalid_request'],
    [{ client_id: 'app', return_to: 'https://app.example.com/cb' }, 'invalid_request'],
  ])('refuses %j with %s before storing anything', async (query, code) => {
    const { endpoints, state } = setup();
    await expect(endpoints.login(login(query))).rejects.toMatchObject({ code });
    expect(state.items.size).toBe(0);
  });

  it('an SPA login without a registry is a server_error', async () => {
    const { endpoints } = setup(false);
    await expect(endpoints.login(login(spaQuery))).rejects.toMatchObject({ code: 'server_error' });
  });
});
