import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import {
  describeHits,
  findSecrets,
  type Secret,
  spawnCapturedRunner,
} from '../../support/log-capture.js';
import { readConfirmation, SESSION_COOKIE } from '../../support/portal-flow.js';
import { createJar, type Jar, step } from '../oidc/browserless.js';
import { newPkce, spaPost, spaSignIn } from '../spa/flow.js';
import {
  form,
  keysOf,
  oidcSignIn,
  open,
  openKeys,
  portalOf,
  samlConfirmed,
  samlSpInitiated,
} from './flows.js';

/**
 * SECURITY.md §6, last item: no secret in any log line. A runner in its own process (what
 * `npm start` runs) logs at DEBUG with metrics on; every flow runs through it (SAML IdP-initiated
 * through the confirmation and SP-initiated → the portal → console and access keys, again and
 * again, then sign-out; OIDC through the demo OP; refusals, an STS fault), collecting every secret
 * that passed (session tokens, CSRF tokens, credentials, SigninTokens, …); then everything the
 * process wrote is scanned.
 */
describe('secrets never logged', () => {
  let runner: Awaited<ReturnType<typeof spawnCapturedRunner>>;
  const secrets: Secret[] = [];
  const keep = (label: string, value: string | null | undefined) => {
    if (value) secrets.push({ label, value });
  };
  /** A session cookie's value, and its secret part (`<idp>.<subject ref>.<secret>`) alone. */
  const keepSession = (jar: Jar) => {
    const value = jar.cookies.get(SESSION_COOKIE);
    keep('session token', value);
    keep('session secret', value?.split('.')[2]);
  };
  /** Uses a portal as a person would: Console and Access keys (twice), keeping what passed. */
  const usePortal = async (jar: Jar) => {
    keepSession(jar);
    const { portal } = await portalOf(runner.url, jar);
    keep('portal CSRF token', portal.csrf);
    for (const row of portal.rows) {
      const console = await open(runner.url, jar, {
        csrf: portal.csrf,
        grant: row.grant,
        target: 'console',
      });
      expect(console.status).toBe(303);
      const signin = new URL(console.headers.get('location') ?? '');
      keep('SigninToken', signin.searchParams.get('SigninToken'));
      await fetch(signin); // the federation stand-in redeems it
      for (let i = 0; i < 2; i++) {
        const keys = await openKeys(runner.url, jar, { csrf: portal.csrf, grant: row.grant });
        expect(keys.status).toBe(200);
        const found = keysOf(await keys.text());
        keep('AWS secret access key', found.secretAccessKey);
        keep('AWS session token', found.sessionToken);
      }
    }
    return portal;
  };

  beforeAll(async () => {
    runner = await spawnCapturedRunner([], {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
  }, 120_000);
  afterAll(async () => {
    runner?.capture.stop();
    await runner?.stop();
  });

  const stateItems = async (): Promise<string> => {
    const client = new DynamoDBClient({
      endpoint: runner.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const out = await client.send(new ScanCommand({ TableName: 'fedgate-state' }));
      return JSON.stringify(out.Items ?? []);
    } finally {
      client.destroy();
    }
  };

  it('SAML IdP-initiated through the confirmation: one grant → console (SigninToken), several → portal → consoles and keys; sign-out', async () => {
    const carol = await samlConfirmed(runner.url, 'demo-okta', 'carol', {
      RelayState: 'https://s3.console.aws.amazon.com/s3/home?code=relaystate-carried-secret-1234',
    });
    keep('SAMLResponse', carol.samlResponse);
    keep('RelayState-carried code', 'relaystate-carried-secret-1234');
    expect(carol.res.status).toBe(302);
    keep('confirmation token', carol.confirmation.headers.getSetCookie()[0]?.split(/[=;]/)[1]);
    keepSession(carol.jar);
    const signin = new URL(carol.res.headers.get('location') ?? '');
    keep('SigninToken', signin.searchParams.get('SigninToken'));
    expect(signin.searchParams.get('SigninToken')).toBeTruthy();
    // the decoded assertion's signature value
    const xml = Buffer.from(carol.samlResponse, 'base64').toString('utf8');
    for (const m of xml.matchAll(/SignatureValue>([^<]+)</g))
      keep('upstream signature value', m[1]?.replace(/\s+/g, ''));
    await fetch(signin); // the federation stand-in redeems it

    const alice = await samlConfirmed(runner.url, 'demo-okta', 'alice');
    keep('SAMLResponse', alice.samlResponse);
    keep('confirmation token', alice.confirmation.headers.getSetCookie()[0]?.split(/[=;]/)[1]);
    expect(alice.res.status).toBe(303);
    const portal = await usePortal(alice.jar);
    expect(portal.rows).toHaveLength(3);
    const out = await step(alice.jar, new URL('/signout', runner.url), form({ csrf: portal.csrf }));
    expect(out.status).toBe(303);
  });

  it('the confirmation CSRF token is collected from a held sign-in', async () => {
    const jar = createJar();
    const held = await step(
      jar,
      new URL('/saml/demo-okta/acs', runner.url),
      form({ SAMLResponse: await fetchDemoSamlResponse(runner.url, 'demo-okta', 'carol') }),
    );
    const confirmation = await readConfirmation(held);
    keep('confirmation CSRF token', confirmation.csrf);
    keep('confirmation token', confirmation.cookie.split('=')[1]);
    const done = await step(
      jar,
      new URL('/signin/confirm', runner.url),
      form({ csrf: confirmation.csrf }),
    );
    expect(done.status).toBe(302);
  });

  it('SAML SP-initiated on the Entra demo IdP → portal → consoles and keys', async () => {
    const erin = await samlSpInitiated(
      runner.url,
      'demo-entra',
      'erin',
      'https://console.aws.amazon.com/ec2/',
    );
    keep('SAMLResponse', erin.samlResponse);
    expect(erin.res.status).toBe(303);
    await usePortal(erin.jar);
  });

  it('OIDC through the demo OP: code, state, nonce, PKCE verifier; console and keys', async () => {
    // Start one sign-in by hand to read the transaction (verifier, nonce) from the state table.
    const jar = createJar();
    const login = await step(jar, new URL('/oidc/demo-oidc/login', runner.url));
    const authorize = new URL(login.headers.get('location') ?? '');
    keep('OIDC state', authorize.searchParams.get('state'));
    keep('OIDC nonce', authorize.searchParams.get('nonce'));
    const items = await stateItems();
    for (const m of items.matchAll(/codeVerifier\\*"\s*:\s*\\*"([A-Za-z0-9._~-]{43,128})/g))
      keep('PKCE verifier', m[1]);

    const paul = await oidcSignIn(runner.url, 'paul');
    keep('OIDC code', paul.callback.searchParams.get('code'));
    keep('OIDC state', paul.callback.searchParams.get('state'));
    keep('OIDC nonce', paul.authorize.searchParams.get('nonce'));
    expect(paul.res.status).toBe(302);
    keep(
      'SigninToken',
      new URL(paul.res.headers.get('location') ?? '').searchParams.get('SigninToken'),
    );

    const olivia = await oidcSignIn(runner.url, 'olivia');
    keep('OIDC code', olivia.callback.searchParams.get('code'));
    keep('OIDC state', olivia.callback.searchParams.get('state'));
    keep('OIDC nonce', olivia.authorize.searchParams.get('nonce'));
    expect(olivia.res.status).toBe(303);
    await usePortal(olivia.jar);

    // a replayed callback (refused) carries the same code and state once more
    const replay = await step(olivia.jar, olivia.callback);
    expect(replay.status).toBe(400);
  });

  it('SPA hand-off: one-time code, SPA PKCE verifier, login binding, credentials JSON, SPA session; replay refused', async () => {
    const { code, verifier, jar } = await spaSignIn(runner.url, 'paul');
    keep('SPA one-time code', code);
    keep('SPA PKCE verifier', verifier);
    keep('SPA login binding', jar.cookies.get('__Host-fedgate-spa-login'));
    const wrong = await spaPost(jar, runner.url, '/redeem', {
      code,
      code_verifier: newPkce().verifier,
    });
    // refused for what it is, never a server error
    expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([
      400,
      'spa_verifier_mismatch',
    ]);
    const second = await spaSignIn(runner.url, 'paul');
    keep('SPA one-time code', second.code);
    keep('SPA PKCE verifier', second.verifier);
    keep('SPA login binding', second.jar.cookies.get('__Host-fedgate-spa-login'));
    const res = await spaPost(second.jar, runner.url, '/redeem', {
      code: second.code,
      code_verifier: second.verifier,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { SecretAccessKey: string; SessionToken: string };
    keep('AWS secret access key', body.SecretAccessKey);
    keep('AWS session token', body.SessionToken);
    // The session token is `<idp>.<subject ref>.<secret>`: the first two are logged on purpose.
    keep(
      'SPA session secret',
      second.jar.cookies.get('__Host-fedgate-spa-demo-spa')?.split('.')[2],
    );
    const refreshed = await spaPost(second.jar, runner.url, '/credentials', {});
    expect(refreshed.status).toBe(200);
    keep(
      'AWS secret access key',
      ((await refreshed.json()) as { SecretAccessKey: string }).SecretAccessKey,
    );
    const replay = await spaPost(second.jar, runner.url, '/redeem', {
      code: second.code,
      code_verifier: second.verifier,
    });
    expect([replay.status, ((await replay.json()) as { error: string }).error]).toEqual([
      400,
      'spa_code_invalid',
    ]);
    const logout = await spaPost(second.jar, runner.url, '/logout', {});
    expect(logout.status).toBe(204);
  });

  it('refusals and faults: replay, tampering, forged CSRF, an ended session, STS throttled', async () => {
    const carol = await samlConfirmed(runner.url, 'demo-okta', 'carol');
    keep('SAMLResponse', carol.samlResponse);
    keepSession(carol.jar);
    const replay = await step(
      carol.jar,
      new URL('/saml/demo-okta/acs', runner.url),
      form({ SAMLResponse: carol.samlResponse }),
    );
    expect([replay.status, (await replay.text()).includes('replay_detected')]).toEqual([400, true]);

    // tampered: one character of the assertion changed, so the signature no longer holds
    const original = await fetchDemoSamlResponse(runner.url, 'demo-okta', 'carol');
    keep('SAMLResponse', original);
    const xml = Buffer.from(original, 'base64').toString('utf8');
    expect(xml).toContain('carol@example.com');
    const tampered = Buffer.from(xml.replace('carol@example.com', 'carol@exbmple.com')).toString(
      'base64',
    );
    keep('SAMLResponse', tampered);
    const bad = await fetch(new URL('/saml/demo-okta/acs', runner.url), {
      ...form({ SAMLResponse: tampered }),
      redirect: 'manual',
    });
    expect(bad.status).toBe(400);

    // forged CSRF with a real session, on the portal and on sign-out
    const alice = await samlConfirmed(runner.url, 'demo-okta', 'alice');
    keep('SAMLResponse', alice.samlResponse);
    keepSession(alice.jar);
    const { portal } = await portalOf(runner.url, alice.jar);
    keep('portal CSRF token', portal.csrf);
    const grant = portal.grantFor('fedgate-demo-developer');
    const forged = await open(runner.url, alice.jar, {
      csrf: `${portal.csrf.slice(0, -4)}AAAA`,
      grant,
      target: 'keys',
    });
    expect(forged.status).toBe(403);
    const forgedOut = await step(
      alice.jar,
      new URL('/signout', runner.url),
      form({ csrf: `${portal.csrf.slice(0, -4)}AAAA` }),
    );
    expect(forgedOut.status).toBe(403);

    // STS throttled at the portal's access keys and Console: a clear 503, nothing issued
    await fetch(new URL('/_local/faults', runner.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sts: 'throttle' }),
    });
    try {
      const throttled = await openKeys(runner.url, alice.jar, { csrf: portal.csrf, grant });
      expect(throttled.status).toBe(503);
      const console = await open(runner.url, alice.jar, {
        csrf: portal.csrf,
        grant,
        target: 'console',
      });
      expect(console.status).toBe(503);
    } finally {
      await fetch(new URL('/_local/faults', runner.url), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    }

    // a session cookie that no longer works (ended by sign-out), replayed at the portal
    const cookie = alice.jar.header();
    const out = await step(alice.jar, new URL('/signout', runner.url), form({ csrf: portal.csrf }));
    expect(out.status).toBe(303);
    const ended = await fetch(new URL('/portal/open', runner.url), {
      ...form({ csrf: portal.csrf, grant, target: 'console' }),
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    expect(ended.status).toBe(401);
    expect((await fetch(new URL('/', runner.url), { headers: { cookie } })).status).toBe(200);
  });

  it('collects the private keys of fedgate and the demo IdPs, and the OIDC client secret', async () => {
    for (const dir of ['.local/keys', '.local/demo']) {
      for (const name of await readdir(dir)) {
        const text = await readFile(join(dir, name), 'utf8').catch(() => '');
        const pem = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]+?)-----END/.exec(text)?.[1];
        if (pem) keep(`private key ${name}`, pem.replace(/\s+/g, '').slice(0, 64));
      }
    }
    keep('OIDC client secret', (await readFile('.local/demo/oidc-client-secret', 'utf8')).trim());
    expect(secrets.some((s) => s.label.startsWith('private key'))).toBe(true);
  });

  it('scans everything the runner wrote: no secret in any form, in any line', async () => {
    // let the last lines arrive
    await new Promise((r) => setTimeout(r, 300));
    const text = runner.capture.text();
    const labels = new Set(secrets.map((s) => s.label));
    // every kind of secret was collected (a flow that stopped early would make this scan vacuous)
    for (const label of [
      'SAMLResponse',
      'upstream signature value',
      'RelayState-carried code',
      'SigninToken',
      'confirmation token',
      'confirmation CSRF token',
      'session token',
      'session secret',
      'portal CSRF token',
      'AWS secret access key',
      'AWS session token',
      'OIDC code',
      'OIDC state',
      'OIDC nonce',
      'PKCE verifier',
      'private key fedgate-signing.key.pem',
      'OIDC client secret',
      'SPA one-time code',
      'SPA PKCE verifier',
      'SPA login binding',
      'SPA session secret',
    ])
      expect(labels, label).toContain(label);
    // the runner did log these flows (a capture that saw nothing would pass vacuously)
    expect(text).toContain('"message":"request completed"');
    // (no fedgate code logs at DEBUG today: the level is set so that a future debug line is scanned)
    const hits = findSecrets(text, secrets);
    expect(hits, describeHits(hits)).toEqual([]);
  });
});
