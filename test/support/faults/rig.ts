import { expect } from 'vitest';
import {
  type AwsStandIns,
  type AwsStandInsOptions,
  awsStandIns,
} from '../../../infra/local/aws/index.js';
import { demoOidcIdp } from '../../../infra/local/demo/oidc-idp.js';
import { demoProvisioning } from '../../../infra/local/demo/provisioning.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { startEmbeddedDynamoDb } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs } from '../local-runner.js';
import {
  completeConfirmation,
  getKeys,
  getPortal,
  isConfirmation,
  type PortalChoice,
  postPortalOpen,
  readPortal,
  SESSION_COOKIE,
  setCookiePair,
} from '../portal-flow.js';
import { type DynamoFaultProxy, startDynamoFaultProxy } from './dynamodb-proxy.js';

/**
 * The local runner with every dependency behind a fault switch: DynamoDB Local behind
 * {@link startDynamoFaultProxy}, the STS and federation stand-ins (their own `setFaults`), the demo
 * SAML IdPs and the demo OpenID provider.
 */
export interface FaultRig {
  gateway: LocalGateway;
  proxy: DynamoFaultProxy;
  standIns: AwsStandIns;
  /** The DynamoDB engine itself (behind the proxy). */
  dbEndpoint: string;
  stop(): Promise<void>;
}

export const startFaultRig = async (
  opts: { standIns?: AwsStandInsOptions } = {},
): Promise<FaultRig> => {
  const db = await startEmbeddedDynamoDb({});
  const proxy = await startDynamoFaultProxy(db.endpoint);
  const standIns = awsStandIns(opts.standIns);
  let gateway: LocalGateway;
  try {
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      // The demo provisioning run, as `npm start` does: the demo IdPs' directories sign in only
      // the people they provision (demo-config.yaml, requireProvisioned).
      plugins: [demoSamlIdps(), demoOidcIdp(), ...standIns.plugins, demoProvisioning()],
      dynamoEndpoint: proxy.endpoint,
    });
  } catch (err) {
    await proxy.stop();
    await db.stop();
    throw err;
  }
  return {
    gateway,
    proxy,
    standIns,
    dbEndpoint: db.endpoint,
    stop: async () => {
      await gateway.stop();
      await proxy.stop();
      await db.stop();
    },
  };
};

/** A fresh IdP-initiated response for a demo person, posted to the runner's ACS (raw answer). */
export const postSignIn = async (rig: FaultRig, user: string, samlResponse?: string) =>
  postToAcs(
    rig.gateway.url,
    'demo-okta',
    samlResponse ?? (await demoSamlResponse(rig.gateway.url, 'demo-okta', user)),
  );

/**
 * An IdP-initiated sign-in at demo-okta as the person would make it: the response posted to the
 * ACS and, since demo-okta confirms unsolicited sign-ins, Continue on the confirmation page.
 * Returns the last answer: the ACS's when it showed no confirmation (a refusal, a 503), else the
 * confirmation's (the console for one grant, the portal for several, or a refusal).
 */
export const signIn = async (rig: FaultRig, user: string, samlResponse?: string) => {
  const acs = await postSignIn(rig, user, samlResponse);
  return isConfirmation(acs) ? completeConfirmation(rig.gateway.url, acs) : acs;
};

/** A signed-in person's portal: the session cookie from a sign-in's 303 and the page it shows. */
export const openPortal = async (rig: FaultRig, signedIn: Response) => {
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe(new URL('/', rig.gateway.url).href);
  const cookie = setCookiePair(signedIn, SESSION_COOKIE);
  if (!cookie) throw new Error('the sign-in set no session cookie');
  const page = await getPortal(rig.gateway.url, cookie);
  expect(page.status).toBe(200);
  const portal = readPortal(await page.text());
  return {
    cookie,
    portal,
    /** The portal's Console (or Access keys) form for a role, as its button posts it. */
    choice: (roleName: string, target: 'console' | 'keys' = 'console'): PortalChoice => ({
      csrf: portal.csrf,
      grant: portal.grantFor(roleName),
      target,
    }),
  };
};

/** The portal's action for a role: `POST /portal/open` with the session cookie. */
export const portalOpen = (rig: FaultRig, cookie: string, choice: PortalChoice) =>
  postPortalOpen(rig.gateway.url, cookie, choice);

/** The portal's Access keys for a role: `POST /portal/open`, then its `GET /portal/keys`. */
export const portalKeys = async (rig: FaultRig, cookie: string, choice: PortalChoice) => {
  const opened = await postPortalOpen(rig.gateway.url, cookie, { ...choice, target: 'keys' });
  return getKeys(rig.gateway.url, cookie, opened);
};

/**
 * A sign-in (or a portal Console) that reached the console: a redirect through the federation
 * stand-in. The sign-in tail answers 302; the portal's POST answers 303 (See Other).
 */
export const expectSignedIn = (res: Response, status: 302 | 303 = 302) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('location')).toContain('/_local/federation?Action=login');
};

/** An access keys page with fresh keys from the STS stand-in. */
export const expectKeys = async (res: Response) => {
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.text()).toMatch(/aws_access_key_id = ASIALOCAL/);
};

/**
 * The page a person sees when a dependency fails: 503 `temporarily_unavailable`, no redirect, no
 * credentials, no sign-in link, no stack.
 */
export const expectUnavailable = async (res: Response, code = 'temporarily_unavailable') => {
  const body = await res.text();
  expect(res.status).toBe(503);
  expect(body).toContain(`<code>${code}</code>`);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('cache-control')).toBe('no-store');
  for (const leak of ['ASIALOCAL', 'SigninToken', 'Action=login', '    at ', 'Error:'])
    expect(body).not.toContain(leak);
};

/** A refusal page with its stable code and nothing issued. */
export const expectRefused = async (res: Response, status: number, code: string) => {
  const body = await res.text();
  expect(res.status).toBe(status);
  expect(body).toContain(`<code>${code}</code>`);
  expect(res.headers.get('location')).toBeNull();
  expect(body).not.toContain('ASIALOCAL');
};
