import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IDToken } from 'openid-client';
import { describe, expect, it, vi } from 'vitest';
import { parseGatewayConfig, type SamlIdpConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import {
  type OidcClient,
  OidcTransactionSchema,
  transactionKey,
} from '../../../shared/oidc/index.js';
import { createAcsEndpoint } from '../../../shared/saml/acs-endpoint.js';
import { createSamlLoginEndpoints } from '../../../shared/saml/login-endpoints.js';
import type { VerifiedAssertion } from '../../../shared/saml/types.js';
import type { SessionIdentity } from '../../../shared/session/index.js';
import { continueUrl, parseContinue } from '../../../shared/signin/index.js';
import { createStaticSpaClients } from '../../../shared/spa/index.js';
import { createReplayCache } from '../../../shared/store/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig, testParseDestination } from '../../support/signin-rig.js';

/**
 * `continue`: a sign-in started from a CLI page (no browser session yet) comes back to that page
 * once the browser session exists, through the one sign-in tail, for SAML and OIDC alike.
 */
const NOW = 1_795_338_000;
const BASE = new URL('https://sso.example.com');
const CERT = 'MIIC'.padEnd(200, 'A');
const AUTHORIZE =
  '/cli/authorize?redirect_uri=http%3A%2F%2F127.0.0.1%3A53123%2Fcallback&code_challenge=' +
  `${'c'.repeat(43)}&code_challenge_method=S256&state=${'s'.repeat(43)}&client=alice%40laptop`;

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: {
        entityId: 'http://www.okta.com/exk1',
        ssoUrl: 'https://corp.okta.com/app/sso/saml',
        signingCertificates: [CERT],
      },
      rules: [
        {
          id: 'devs',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/Dev' },
        },
      ],
    },
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
          grant: { roleArn: 'arn:aws:iam::111111111111:role/r' },
        },
      ],
    },
  ],
});

describe('parseContinue', () => {
  it.each([
    [AUTHORIZE],
    ['/cli/device'],
    ['/cli/device?user_code=BCDF-GHJK'],
    ['/cli/device?user_code=BCDF-GHJK&idp=okta'],
  ])('keeps the CLI page %s', (raw) => {
    expect(parseContinue(raw)).toBe(raw);
  });

  it('leaves an absent value absent', () => {
    expect(parseContinue(undefined)).toBeUndefined();
  });

  it.each([
    ['an absolute URL', 'https://evil.example/cli/authorize'],
    ['our own origin, absolute', 'https://sso.example.com/cli/authorize'],
    ['a protocol-relative URL', '//evil.example/cli/authorize'],
    ['a backslash', '/\\evil.example/cli/authorize'],
    ['a relative path', 'cli/authorize'],
    ['dot segments out of /cli/', '/cli/../portal/keys'],
    ['encoded dot segments', '/cli/%2e%2e/portal/keys'],
    ['another fedgate page', '/portal/keys?grant=x'],
    ['the portal', '/'],
    ['a nested path', '/cli/device/confirm'],
    ['a fragment', '/cli/device#x'],
    ['an empty fragment', '/cli/device#'],
    ['a space', '/cli/device?user_code=BCDF GHJK'],
    ['a tab', '/cli/device\t'],
    ['CR/LF', '/cli/device\r\nSet-Cookie: x=y'],
    ['non-ASCII', '/cli/dévice'],
    ['a quote the parser would encode', '/cli/device?x="y"'],
    ['javascript:', 'javascript:alert(1)'],
    ['too long', `/cli/device?x=${'a'.repeat(2048)}`],
    ['upper case', '/CLI/device'],
  ])('refuses %s (invalid_request)', (_, raw) => {
    expect(() => parseContinue(raw)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('builds the absolute URL under the public base URL, with its path prefix', () => {
    expect(continueUrl(new URL('https://sso.example.com/prod/'), AUTHORIZE).href).toBe(
      `https://sso.example.com/prod${AUTHORIZE}`,
    );
  });
});

describe('the sign-in tail with continueTo', () => {
  const alice: SessionIdentity = {
    idp: 'okta',
    protocol: 'saml',
    issuer: 'http://www.okta.com/exk1',
    subject: 'alice',
    subjectRef: hashSubject('okta:alice'),
    claims: { groups: ['devs'] },
  };
  const rig = () =>
    createSignInRig({
      attributes: createMemoryAttributeStore(config),
      state: createMemoryStateStore(clockAtSeconds(NOW)),
      now: () => NOW,
      log: captureLogger(),
      publicBaseUrl: BASE,
    });

  it('starts the browser session and 303s to the CLI page instead of the console', async () => {
    const r = rig();
    const res = await r.complete.browser({
      identity: alice,
      idp: config.idps[0] as SamlIdpConfig,
      destination: undefined,
      continueTo: AUTHORIZE,
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`https://sso.example.com${AUTHORIZE}`);
    expect(res.cookies?.at(-1)).toMatch(/^__Host-fedgate-session=okta\./);
    expect(r.assume).not.toHaveBeenCalled();
    expect(r.consoleUrl).not.toHaveBeenCalled();
  });

  it('checks continueTo again: a stored value that is not a CLI page starts no session', async () => {
    const r = rig();
    await expect(
      r.complete.browser({
        identity: alice,
        idp: config.idps[0] as SamlIdpConfig,
        destination: undefined,
        continueTo: '//evil.example/',
      }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    expect(r.sessionStore.sessions.size).toBe(0);
  });
});

describe('SAML: continue through the pending AuthnRequest', () => {
  const assertion = (): VerifiedAssertion => ({
    assertionId: '_a1',
    issuer: 'http://www.okta.com/exk1',
    nameId: 'alice@example.com',
    notOnOrAfter: NOW + 300,
    attributes: { groups: ['devs'] },
  });
  const make = () => {
    const state = createMemoryStateStore(clockAtSeconds(NOW));
    const log = captureLogger();
    const rig = createSignInRig({
      attributes: createMemoryAttributeStore(config),
      state,
      now: () => NOW,
      log,
      publicBaseUrl: BASE,
    });
    const login = createSamlLoginEndpoints({
      attributes: createMemoryAttributeStore(config),
      state,
      parseDestination: testParseDestination,
      publicBaseUrl: BASE,
      log,
      clock: clockAtSeconds(NOW),
    });
    const acs = createAcsEndpoint({
      attributes: createMemoryAttributeStore(config),
      state,
      replay: createReplayCache({ state }),
      verify: vi.fn(async () => assertion()),
      toIdentity: (idp, a) => ({
        idp: idp.id,
        issuer: a.issuer,
        subject: a.nameId,
        claims: a.attributes,
      }),
      parseDestination: testParseDestination,
      complete: rig.complete,
      confirmation: rig.confirmation,
      publicBaseUrl: BASE,
      log,
      clock: clockAtSeconds(NOW),
    });
    return { state, rig, login, acs };
  };
  const loginEvent = (query: string) =>
    apiEvent({ path: '/saml/okta/login', pathParameters: { idp: 'okta' }, rawQueryString: query });

  it('comes back to the CLI page after the ACS, with the browser session', async () => {
    const { login, acs, rig } = make();
    const res = await login.login(loginEvent(`continue=${encodeURIComponent(AUTHORIZE)}`));
    expect(res.statusCode).toBe(302);
    const pair = (res.cookies ?? [])[0]!.split(';')[0] as string;
    const back = await acs.acs(
      apiEvent({
        method: 'POST',
        path: '/saml/okta/acs',
        pathParameters: { idp: 'okta' },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'SAMLResponse=PHNhbWw%2B',
        cookies: [pair],
      }),
    );
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe(`https://sso.example.com${AUTHORIZE}`);
    expect(back.cookies?.at(-1)).toMatch(/^__Host-fedgate-session=okta\./);
    expect(rig.assume).not.toHaveBeenCalled();
  });

  it.each([
    ['an absolute URL', 'https://evil.example/cli/authorize'],
    ['a non-CLI page', '/portal/keys'],
    ['dot segments', '/cli/../portal'],
  ])('refuses %s before anything is stored', async (_, value) => {
    const { login, state } = make();
    await expect(
      login.login(loginEvent(`continue=${encodeURIComponent(value)}`)),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    expect(state.items.size).toBe(0);
  });
});

describe('OIDC: continue through the transaction', () => {
  const make = () => {
    const state = createMemoryStateStore();
    const claims: IDToken = {
      iss: 'https://op.example',
      sub: 'u1',
      aud: 'fedgate',
      iat: 1,
      exp: 2,
    };
    const client: OidcClient = {
      authorizationUrl: async (_idp, r) => new URL(`https://op.example/authorize?state=${r.state}`),
      redeem: async () => claims,
    };
    const rig = createSignInRig({
      attributes: createMemoryAttributeStore(config),
      state,
      now: () => Math.floor(Date.now() / 1000),
      log: captureLogger(),
      publicBaseUrl: BASE,
    });
    const endpoints = createOidcEndpoints({
      attributes: createMemoryAttributeStore(config),
      state,
      client,
      parseDestination: testParseDestination,
      complete: rig.complete,
      spaClients: createStaticSpaClients([
        {
          id: 'app',
          displayName: 'App',
          origin: 'https://app.example.com',
          returnPaths: ['/'],
          sessionMaxSeconds: 3600,
        },
      ]),
      publicBaseUrl: BASE,
      log: captureLogger(),
    });
    return { endpoints, state, rig };
  };
  const event = (path: string, query: string, cookies?: string[]) =>
    apiEvent({
      path,
      rawQueryString: query,
      pathParameters: { idp: 'op' },
      ...(cookies ? { cookies } : {}),
    } as Partial<APIGatewayProxyEventV2> & { path: string });

  it('keeps continue in the transaction and comes back to the CLI page from the callback', async () => {
    const { endpoints, state, rig } = make();
    const res = await endpoints.login(
      event('/oidc/op/login', `continue=${encodeURIComponent('/cli/device?user_code=BCDF-GHJK')}`),
    );
    const sent = new URL(String(res.headers.location)).searchParams.get('state') as string;
    const txn = OidcTransactionSchema.parse(await state.get(transactionKey(sent)));
    expect(txn.continueTo).toBe('/cli/device?user_code=BCDF-GHJK');
    const back = await endpoints.callback(
      event('/oidc/op/callback', `code=c&state=${sent}`, [`__Host-fedgate-oidc-op=${sent}`]),
    );
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('https://sso.example.com/cli/device?user_code=BCDF-GHJK');
    expect(rig.assume).not.toHaveBeenCalled();
  });

  it('refuses a bad continue, and an SPA login that also asks to continue', async () => {
    const { endpoints, state } = make();
    await expect(
      endpoints.login(event('/oidc/op/login', 'continue=%2F%2Fevil.example%2F')),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    const spa = new URLSearchParams({
      client_id: 'app',
      return_to: 'https://app.example.com/',
      code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S256',
      state: 'the-spas-own-state-of-30-chars',
      continue: '/cli/device',
    });
    // The SPA login alone is accepted (the fixture is right); with continue it is refused.
    const alone = new URLSearchParams(spa);
    alone.delete('continue');
    expect((await endpoints.login(event('/oidc/op/login', alone.toString()))).statusCode).toBe(302);
    state.items.clear();
    await expect(endpoints.login(event('/oidc/op/login', spa.toString()))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(state.items.size).toBe(0);
  });
});
