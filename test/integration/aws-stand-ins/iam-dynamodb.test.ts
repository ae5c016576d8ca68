import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { createLocalDynamoDbClient } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { type FunctionManifest, MANIFEST } from '../../../infra/manifest.js';
import { STATE_KEY_PREFIXES } from '../../../shared/store/index.js';
import { createJar, step } from '../oidc/browserless.js';
import { samlIdpInitiated } from '../web-layer/flows.js';

// The runner's IAM stand-in against the real function code: with a declaration that lacks a key
// prefix the code uses, the function's call is refused as AWS IAM would refuse it (and fedgate
// answers server_error, writing nothing); with the manifest as it is, the same request passes.
// Each case starts its own runner from fresh function modules (vi.resetModules), as a new
// deployment would: the functions' clients are built at import, against that runner's stand-in.

const { authnRequest, revoked } = STATE_KEY_PREFIXES;

/** The manifest with one function's declaration changed. */
const changed = (fn: keyof typeof MANIFEST, change: (m: FunctionManifest) => FunctionManifest) => ({
  ...MANIFEST,
  [fn]: change(MANIFEST[fn]),
});

let gateway: LocalGateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const start = async (manifest?: Record<string, FunctionManifest>) => {
  vi.resetModules();
  const standIns = awsStandIns();
  gateway = await startLocalGateway({
    port: 0,
    configPath: 'infra/local/demo-config.yaml',
    plugins: [demoSamlIdps(), ...standIns.plugins],
    ...(manifest ? { manifest } : {}),
  });
  return gateway;
};

/** The state table's keys of one kind, read past the stand-in (as an operator would). */
const stateKeysOf = async (g: LocalGateway, prefix: string) => {
  const client = createLocalDynamoDbClient(g.dynamo.endpoint);
  try {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'fedgate-state' }));
    return Items.map((i) => i.pk?.S ?? '').filter((pk) => pk.startsWith(prefix));
  } finally {
    client.destroy();
  }
};

const spLogin = (g: LocalGateway) =>
  fetch(new URL('/saml/demo-okta/login', g.url), { redirect: 'manual' });

describe('the IAM stand-in holds each function to its declaration', () => {
  it('saml-login without AUTHNREQ# in state.put: its PutItem is refused, the person gets server_error, nothing is stored', async () => {
    const g = await start(changed('saml-login', (m) => ({ ...m, state: { ...m.state, put: [] } })));
    const res = await spLogin(g);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('<code>server_error</code>');
    expect(res.headers.get('location')).toBeNull();
    expect(g.iam.refusals()).toEqual([
      {
        fn: 'saml-login',
        action: 'dynamodb:PutItem',
        table: 'fedgate-state',
        keyKinds: [authnRequest],
      },
    ]);
    expect(await stateKeysOf(g, authnRequest)).toEqual([]);
  });

  it('the same request with the manifest as it is: the AuthnRequest is stored and the browser sent to the IdP', async () => {
    const g = await start();
    const res = await spLogin(g);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('SAMLRequest=');
    expect(g.iam.refusals()).toEqual([]);
    expect(await stateKeysOf(g, authnRequest)).toHaveLength(1);
  });

  it('home without REVOKED# in state.read: the session read (one BatchGetItem of SESSION# and REVOKED# keys) is refused whole', async () => {
    const g = await start(
      changed('home', (m) => ({ ...m, state: { ...m.state, read: [STATE_KEY_PREFIXES.session] } })),
    );
    const jar = createJar();
    const signIn = await samlIdpInitiated(g.url, 'demo-entra', 'erin', {}, jar);
    expect([302, 303]).toContain(signIn.res.status);
    expect(g.iam.refusals()).toEqual([]);
    const home = await step(jar, new URL('/', g.url));
    expect(home.status).toBe(500);
    expect(await home.text()).toContain('<code>server_error</code>');
    // ForAllValues: the SESSION# key alone is allowed, the REVOKED# keys beside it are not.
    expect(g.iam.refusals()).toEqual([
      { fn: 'home', action: 'dynamodb:BatchGetItem', table: 'fedgate-state', keyKinds: [revoked] },
    ]);
  });

  it('home as declared: the same signed-in person sees the portal', async () => {
    const g = await start();
    const jar = createJar();
    await samlIdpInitiated(g.url, 'demo-entra', 'erin', {}, jar);
    const home = await step(jar, new URL('/', g.url));
    expect(home.status).toBe(200);
    expect(g.iam.refusals()).toEqual([]);
  });
});
