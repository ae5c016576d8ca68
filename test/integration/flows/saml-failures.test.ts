import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { startEmbeddedDynamoDb } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs } from '../../support/local-runner.js';
import {
  completeConfirmation,
  getPortal,
  postPortalOpen,
  readPortal,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';

/**
 * What a person sees when a dependency fails: a clear 503 page, and nothing issued. Where STS is
 * called: at the end of a one-grant sign-in (Carol; demo-okta confirms IdP-initiated sign-ins, so
 * at Continue) and at the portal's Console for a person with several grants (Alice).
 */
describe('SAML sign-in when a dependency fails', () => {
  let gateway: LocalGateway;
  let db: Awaited<ReturnType<typeof startEmbeddedDynamoDb>>;
  const faults = (body: object | null) =>
    fetch(new URL('/_local/faults', gateway.url), {
      method: body ? 'PUT' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    db = await startEmbeddedDynamoDb({ prefer: 'dynalite' });
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: defaultPlugins(),
      dynamoEndpoint: db.endpoint,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await db?.stop();
  });

  const expect503 = async (res: Response) => {
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body).toContain('<code>temporarily_unavailable</code>');
    for (const leak of ['ASIALOCAL', 'SigninToken', 'at ', 'Error:'])
      expect(body).not.toContain(leak);
  };

  /** Carol's IdP-initiated sign-in at demo-okta, through the confirmation: the last answer. */
  const carol = async () =>
    completeConfirmation(
      gateway.url,
      await postToAcs(
        gateway.url,
        'demo-okta',
        await demoSamlResponse(gateway.url, 'demo-okta', 'carol'),
      ),
    );

  /** Alice's portal (several grants): her session cookie and the Console form for the developer. */
  const alicesPortal = async () => {
    const signedIn = await completeConfirmation(
      gateway.url,
      await postToAcs(
        gateway.url,
        'demo-okta',
        await demoSamlResponse(gateway.url, 'demo-okta', 'alice'),
      ),
    );
    expect(signedIn.status).toBe(303);
    const cookie = setCookiePair(signedIn, SESSION_COOKIE) as string;
    const portal = readPortal(await (await getPortal(gateway.url, cookie)).text());
    const choice = {
      csrf: portal.csrf,
      grant: portal.grantFor('fedgate-demo-developer'),
      target: 'console',
    } as const;
    return { open: () => postPortalOpen(gateway.url, cookie, choice) };
  };

  it.each([
    ['STS throttles', { sts: 'throttle' }],
    ['STS is down', { sts: 'down' }],
    ['STS resets the connection', { sts: 'reset' }],
    ['the federation endpoint is down', { federation: 'down' }],
  ])(
    '%s: 503 at the sign-in and at the portal, and both work once it recovers',
    async (_, fault) => {
      const alice = await alicesPortal();
      expect((await faults(fault)).ok).toBe(true);
      await expect503(await carol());
      await expect503(await alice.open());
      await faults(null);
      const ok = await carol();
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toContain('/_local/federation?Action=login');
      const opened = await alice.open();
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toContain('/_local/federation?Action=login');
    },
  );

  it('DynamoDB down: 503 at the ACS and at the portal, nothing issued (last: it stops the table)', async () => {
    const response = await demoSamlResponse(gateway.url, 'demo-okta', 'carol');
    const alice = await alicesPortal();
    await db.stop();
    await expect503(await postToAcs(gateway.url, 'demo-okta', response));
    await expect503(await alice.open());
  });
});
