import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { demoProvisioning } from '../../../infra/local/demo/provisioning.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { createLocalDynamoDbClient } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import type { LocalPlugin } from '../../../infra/local/plugin.js';
import { type FunctionManifest, MANIFEST } from '../../../infra/manifest.js';
import { STATE_KEY_PREFIXES } from '../../../shared/store/index.js';
import { createJar, step } from '../oidc/browserless.js';
import { form, oidcSignIn, samlIdpInitiated, samlSpInitiated } from '../web-layer/flows.js';

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
    // The demo provisioning run, as `npm start` does: the demo IdPs' directories sign in only
    // the people they provision (demo-config.yaml, requireProvisioned).
    plugins: [demoSamlIdps(), ...standIns.plugins, demoProvisioning()],
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
    const signIn = await samlIdpInitiated(g.url, 'demo-entra', 'erin', {}, jar);
    expect([302, 303]).toContain(signIn.res.status);
    const home = await step(jar, new URL('/', g.url));
    expect(home.status).toBe(200);
    expect(g.iam.refusals()).toEqual([]);
  });

  // The scim function with a SCIM token of its own (the demo config's file: reference), without
  // the demo provisioning run: one user created through the runner's SCIM endpoint.
  const scimToken = 'iam-stand-in-test-token-0123456789abcdefghijklmnop';
  const withScimToken: LocalPlugin = {
    name: 'scim-token',
    async prepare(ctx) {
      const dir = join(ctx.workDir, 'iam-stand-in-scim');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, 'demo-okta.scim-token'), scimToken, { mode: 0o600 });
      return { DEMO_SCIM_TOKEN_DIR: dir };
    },
  };
  const startScim = async (manifest?: Record<string, FunctionManifest>) => {
    vi.resetModules();
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: [withScimToken, ...awsStandIns().plugins],
      ...(manifest ? { manifest } : {}),
    });
    return gateway;
  };
  const createUser = (g: LocalGateway) =>
    fetch(new URL('/scim/v2/demo-okta/Users', g.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        externalId: '00uiamtest',
        userName: 'iam.test@example.com',
        active: true,
      }),
    });
  const directoryKeysOf = async (g: LocalGateway) => {
    const client = createLocalDynamoDbClient(g.dynamo.endpoint);
    try {
      const { Items = [] } = await client.send(
        new ScanCommand({ TableName: 'fedgate-attributes' }),
      );
      return Items.map((i) => i.pk?.S ?? '').filter((pk) => pk.startsWith('DIR#'));
    } finally {
      client.destroy();
    }
  };

  it('scim without DIR# in attributeItems.put: creating a user is refused at its first write, SCIM answers 500, nothing is stored', async () => {
    const g = await startScim(
      changed('scim', (m) => ({ ...m, attributeItems: { ...m.attributeItems, put: [] } })),
    );
    const res = await createUser(g);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '500',
    });
    expect(g.iam.refusals()).toEqual([
      { fn: 'scim', action: 'dynamodb:PutItem', table: 'fedgate-attributes', keyKinds: ['DIR#'] },
    ]);
    expect(await directoryKeysOf(g)).toEqual([]);
  });

  it('scim as declared: the same user is created in the directory, no refusal', async () => {
    const g = await startScim();
    const res = await createUser(g);
    expect(res.status).toBe(201);
    expect(g.iam.refusals()).toEqual([]);
    expect((await directoryKeysOf(g)).length).toBeGreaterThan(0);
  });
});

describe('every flow of the demo stays within its declarations', () => {
  // The sign-ins and the portal, end to end through the runner with the manifest as it is: one
  // refusal anywhere (a best-effort write included, such as a session's first use, whose failure
  // the flow itself would swallow) fails the tour.
  it('published documents, SAML SP- and IdP-initiated (confirmed), the portal, OIDC: no refusal', async () => {
    vi.resetModules();
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: defaultPlugins(),
    });
    const g = gateway;
    const url = (path: string) => new URL(path, g.url);
    const status = async (res: Response) => {
      await res.arrayBuffer();
      return res.status;
    };

    for (const path of [
      '/aws/saml-metadata.xml',
      '/.well-known/jwks.json',
      '/.well-known/openid-configuration',
      '/saml/demo-okta/metadata',
    ]) {
      expect([path, await status(await fetch(url(path)))]).toEqual([path, 200]);
    }

    // SP-initiated, one grant: the AuthnRequest put and consumed, the replay cache, a session
    // and its first use, then straight to the console.
    const carol = await samlSpInitiated(g.url, 'demo-okta', 'carol');
    expect(carol.res.status).toBe(302);
    expect(carol.res.headers.get('location')).toContain('/_local/federation?Action=login');

    // IdP-initiated at an IdP that asks for confirmation: the confirmation put, then consumed
    // by the portal function, which starts the session; several grants: the portal.
    const alice = await samlIdpInitiated(g.url, 'demo-okta', 'alice');
    expect(alice.res.status).toBe(200);
    const confirmCsrf = /name="csrf" value="([^"]+)"/.exec(await alice.res.text())?.[1];
    const confirmed = await step(
      alice.jar,
      url('/signin/confirm'),
      form({ csrf: confirmCsrf ?? '' }),
    );
    expect(confirmed.status).toBe(303);

    // The portal: read the session, open keys and the console (each a use), sign out.
    const portal = await step(alice.jar, url('/'));
    expect(portal.status).toBe(200);
    const html = await portal.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const grant = /name="grant" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const open = (target: string) =>
      step(alice.jar, url('/portal/open'), form({ csrf, grant, target, region: 'us-east-1' }));
    const keys = await open('keys');
    expect(keys.status).toBe(303);
    expect(
      await status(await step(alice.jar, new URL(keys.headers.get('location') ?? '', g.url))),
    ).toBe(200);
    expect(await status(await open('console'))).toBe(303);
    expect(await status(await step(alice.jar, url('/signout'), form({ csrf })))).toBe(303);

    // OIDC: one grant (straight to the console), several (the portal).
    expect((await oidcSignIn(g.url, 'paul')).res.status).toBe(302);
    expect((await oidcSignIn(g.url, 'olivia')).res.status).toBe(303);

    expect(g.iam.refusals()).toEqual([]);
  });
});
