import { expect } from 'vitest';
import {
  type AwsStandIns,
  type AwsStandInsOptions,
  awsStandIns,
} from '../../../infra/local/aws/index.js';
import { demoOidcIdp } from '../../../infra/local/demo/oidc-idp.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { startEmbeddedDynamoDb } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs } from '../local-runner.js';
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
      plugins: [demoSamlIdps(), demoOidcIdp(), ...standIns.plugins],
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

/** A fresh IdP-initiated response for a demo person, posted to the runner's ACS. */
export const signIn = async (rig: FaultRig, user: string, samlResponse?: string) =>
  postToAcs(
    rig.gateway.url,
    'demo-okta',
    samlResponse ?? (await demoSamlResponse(rig.gateway.url, 'demo-okta', user)),
  );

/** The role picker's choices, read from the page, and the ticket cookie that goes with them. */
export const readPicker = async (res: Response) => {
  expect(res.status).toBe(200);
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const grants = [...html.matchAll(/name="grant" value="([^"]+)"/g)].map((m) => m[1] as string);
  // `__Host-fedgate-ticket=…`: the cookie as set, name and value.
  const cookie = res.headers
    .getSetCookie()
    .map((c) => /^([^=;]*ticket=[^;]+)/.exec(c)?.[1])
    .find(Boolean);
  if (!csrf || !cookie || grants.length < 2) throw new Error('no role picker in the answer');
  // Each choice names its role: `<li data-grant="ID">…<span class="muted">fedgate-demo-admin · …`.
  const roles = new Map(
    [...html.matchAll(/data-grant="([^"]+)">[\s\S]*?class="muted">([^ <]+)/g)].map(
      (m) => [m[2] as string, m[1] as string] as const,
    ),
  );
  /** The choice for a role name (the first choice when absent). */
  const forRole = (roleName: string) => {
    const grant = roles.get(roleName);
    if (!grant) throw new Error(`no choice for ${roleName} in the picker`);
    return { csrf, grant, cookie };
  };
  return { csrf, grant: grants[0] as string, cookie, forRole };
};

/** Posts a role choice to `/select-role` (console target), without following the redirect. */
export const selectRole = (
  rig: FaultRig,
  picker: { csrf: string; grant: string; cookie: string },
) =>
  fetch(new URL('/select-role', rig.gateway.url), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: picker.cookie,
      origin: rig.gateway.url.origin,
    },
    body: new URLSearchParams({
      csrf: picker.csrf,
      grant: picker.grant,
      target: 'console',
    }).toString(),
  });

/** A sign-in that reached the console: a redirect through the federation stand-in. */
export const expectSignedIn = (res: Response) => {
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toContain('/_local/federation?Action=login');
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
