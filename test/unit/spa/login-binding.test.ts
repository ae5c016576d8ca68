import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../shared/http/index.js';
import { hashSubject } from '../../../shared/log.js';
import type { OidcClient } from '../../../shared/oidc/index.js';
import { createStaticSpaClients } from '../../../shared/spa/index.js';
import { clockFromSeconds } from '../../support/clock.js';
import { apiEvent } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig } from '../../support/signin-rig.js';
import { ALLOW_DEV, configWith, createSpaRig, ORIGIN, post } from './fixtures.js';

/**
 * The login-binding design (shared/spa/README.md) against the attack it exists for: an SPA login
 * URL started by someone else. Each "browser" is a cookie jar and the person signed in at the IdP
 * in it; the login, the callback and the redemption are fedgate's real endpoints over one set of
 * in-memory tables.
 */
const setup = () => {
  const config = configWith([ALLOW_DEV]);
  const rig = createSpaRig(config);
  const attributes = createMemoryAttributeStore(config);
  // The IdP: the authorization code names who signed in in that browser.
  const client: OidcClient = {
    authorizationUrl: async (_idp, r) => new URL(`https://op.example/authorize?state=${r.state}`),
    redeem: async (_idp, r) => {
      const who = r.callbackUrl.searchParams.get('code') as string;
      return {
        iss: 'https://op.example',
        sub: `u-${who}`,
        aud: 'fedgate',
        iat: rig.now(),
        exp: rig.now() + 3600,
        groups: ['devs'],
      };
    },
  };
  const oidc = createOidcEndpoints({
    attributes,
    state: rig.state,
    client,
    parseDestination: () => new URL('https://console.aws.amazon.com/'),
    complete: createSignInRig({ attributes, state: rig.state, now: rig.now, log: rig.log })
      .complete,
    spaClients: createStaticSpaClients(config.spaClients),
    publicBaseUrl: new URL('https://sso.example.com'),
    log: rig.log,
    clock: clockFromSeconds(rig.now),
  });

  const browser = (person: string) => {
    const jar = new Map<string, string>();
    const keep = (res: HttpResponse) => {
      for (const c of res.cookies ?? []) {
        const [pair = ''] = c.split(';');
        const [name = '', value = ''] = pair.split('=');
        if (value === '') jar.delete(name);
        else jar.set(name, value);
      }
      return res;
    };
    const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`);
    return {
      jar,
      /** Opens a login URL in this browser and signs in at the IdP as this browser's person. */
      async open(loginUrl: URL): Promise<URL> {
        const login = keep(
          await oidc.login(
            apiEvent({
              path: loginUrl.pathname,
              rawQueryString: loginUrl.search.slice(1),
              pathParameters: { idp: 'corp' },
              cookies: cookies(),
            } as Partial<APIGatewayProxyEventV2> & { path: string }),
          ),
        );
        const state = new URL(String(login.headers.location)).searchParams.get('state');
        const back = keep(
          await oidc.callback(
            apiEvent({
              path: '/oidc/corp/callback',
              rawQueryString: `code=${person}&state=${state}`,
              pathParameters: { idp: 'corp' },
              cookies: cookies(),
            } as Partial<APIGatewayProxyEventV2> & { path: string }),
          ),
        );
        return new URL(String(back.headers.location));
      },
      /** The SPA in this browser redeeming a code (its fetch sends the SPA's Origin and cookies). */
      redeem: (code: string, verifier: string) =>
        rig.endpoints
          .redeem(post('/redeem', { code, code_verifier: verifier }, { cookies: cookies() }))
          .then(
            (res) => ({ status: res.statusCode, error: undefined as string | undefined, res }),
            (err: { status: number; code: string }) => ({
              status: err.status,
              error: err.code,
              res: undefined,
            }),
          ),
    };
  };
  return { rig, browser };
};

/** A login URL as an SPA builds it, with a PKCE pair and state of whoever builds it. */
const spaLoginUrl = () => {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(32).toString('base64url');
  const url = new URL('https://sso.example.com/oidc/corp/login');
  url.search = new URLSearchParams({
    client_id: 'app',
    return_to: `${ORIGIN}/callback`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
  }).toString();
  return { url, verifier, state };
};

describe('a code is redeemable only by the browser that started the login, with its verifier', () => {
  it('the honest flow: same browser, its own verifier → a session for the person who signed in', async () => {
    const { rig, browser } = setup();
    const alice = browser('alice');
    const login = spaLoginUrl();
    const back = await alice.open(login.url);
    expect(back.searchParams.get('state')).toBe(login.state);
    const out = await alice.redeem(String(back.searchParams.get('code')), login.verifier);
    expect(out.status).toBe(200);
    expect(rig.assumed.map((a) => a.person.subjectRef)).toEqual([hashSubject('corp:u-alice')]);
  });

  it('attacker-started login opened by the victim: the victim’s SPA, with its own verifier, cannot redeem it', async () => {
    const { rig, browser } = setup();
    const attacker = spaLoginUrl();
    const victim = browser('victim');
    const back = await victim.open(attacker.url);
    // Back at the victim's SPA with the attacker's state: the browser client refuses it before any
    // request (test/unit/spa/browser-client.test.ts); an SPA that posted it anyway with the
    // verifier of its own login gets nothing either.
    expect(back.searchParams.get('state')).toBe(attacker.state);
    const own = spaLoginUrl();
    const out = await victim.redeem(String(back.searchParams.get('code')), own.verifier);
    expect([out.status, out.error]).toEqual([400, 'spa_verifier_mismatch']);
    expect(rig.assumed).toEqual([]);
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it('attacker-started login opened by the victim: the attacker, with the leaked code and the verifier but not the victim’s cookie, cannot redeem it', async () => {
    const { rig, browser } = setup();
    const attacker = spaLoginUrl();
    const victim = browser('victim');
    const back = await victim.open(attacker.url);
    const leaked = String(back.searchParams.get('code'));
    // The attacker's own browser, with a login-binding cookie of the attacker's own login.
    const mallory = browser('mallory');
    await mallory.open(spaLoginUrl().url);
    expect(mallory.jar.get('__Host-fedgate-spa-login')).toBeDefined();
    const withOwnCookie = await mallory.redeem(leaked, attacker.verifier);
    expect([withOwnCookie.status, withOwnCookie.error]).toEqual([400, 'spa_login_binding_invalid']);
    expect(rig.assumed).toEqual([]);
    expect(rig.sessionStore.sessions.size).toBe(0);
    // …and the attempt spent the code: the victim's browser cannot be made to use it later.
    const later = await victim.redeem(leaked, attacker.verifier);
    expect(later.error).toBe('spa_code_invalid');
  });

  it('the leaked code without any cookie: refused, nothing issued', async () => {
    const { rig, browser } = setup();
    const attacker = spaLoginUrl();
    const back = await browser('victim').open(attacker.url);
    const out = await browser('mallory').redeem(
      String(back.searchParams.get('code')),
      attacker.verifier,
    );
    expect([out.status, out.error]).toEqual([400, 'spa_login_binding_invalid']);
    expect(rig.assumed).toEqual([]);
  });

  it('login CSRF: the attacker’s own code planted in the victim’s SPA fails the cookie check', async () => {
    const { rig, browser } = setup();
    const mallory = browser('mallory');
    const own = spaLoginUrl();
    const back = await mallory.open(own.url);
    // The victim's browser has a login of its own under way (its own binding cookie).
    const victim = browser('victim');
    await victim.open(spaLoginUrl().url);
    // The planted URL carries the attacker's state (the browser client refuses it: state check);
    // even with the attacker's verifier the victim's browser cannot redeem the attacker's code.
    const out = await victim.redeem(String(back.searchParams.get('code')), own.verifier);
    expect([out.status, out.error]).toEqual([400, 'spa_login_binding_invalid']);
    expect(rig.assumed).toEqual([]);
    expect(rig.sessionStore.sessions.size).toBe(0);
  });
});
