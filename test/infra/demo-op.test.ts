import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoOp } from '../../infra/local/demo/oidc-op.js';
import { createJar, driveOp, type Jar, step } from '../integration/oidc/browserless.js';

/**
 * The demo OpenID provider (infra/local/demo/oidc-op.ts): what it prints is marked as its own
 * (nothing reads as fedgate's), and its login page lets you sign in as someone else.
 */

const printed: string[] = [];
let server: Server;
let base: string;
let op: DemoOp;
let prefix: string;
const REDIRECT = 'http://127.0.0.1/callback';

beforeAll(async () => {
  // Everything the library prints, from its import on (the import itself prints on Node 20).
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
  }
  const demo = await import('../../infra/local/demo/oidc-op.js');
  prefix = demo.DEMO_OP_NOTICE_PREFIX;
  server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  op = await demo.createDemoOp({
    issuer: `${base}/op`,
    clients: [{ clientId: 'rp', clientSecret: 'rp-secret', redirectUris: [REDIRECT] }],
    pkceRequired: false,
  });
  // As the runner hands requests over: the body already read.
  server.on('request', async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await op.handle(req, res, Buffer.concat(chunks));
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((done) => server?.close(() => done()));
});

const authorize = (extra: Record<string, string> = {}) =>
  new URL(
    `${base}/op/auth?${new URLSearchParams({
      client_id: 'rp',
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: REDIRECT,
      state: 'demo-op-test-state',
      ...extra,
    })}`,
  );

/** The `sub` of the ID token the OP issues for a callback's code. */
const subjectOf = async (callback: URL) => {
  const res = await fetch(`${base}/op/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('rp:rp-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT,
    }),
  });
  expect(res.status).toBe(200);
  return decodeJwt(((await res.json()) as { id_token: string }).id_token).sub;
};

/** Follows the OP's redirects from an authorization URL to its login page's HTML. */
const loginPageOf = async (jar: Jar, from: URL) => {
  let url = from;
  for (let i = 0; i < 4; i++) {
    const res = await step(jar, url);
    if (res.status === 200) return res.text();
    url = new URL(res.headers.get('location') ?? '', url);
  }
  throw new Error('no login page');
};

describe('the demo OpenID provider', () => {
  it('lets the person signed in at the OP sign in as someone else', async () => {
    const jar = createJar();
    expect(await subjectOf((await driveOp(authorize(), 'olivia', jar)).callback)).toBe('olivia');

    // With Olivia's session at the OP, the next sign-in still shows the people, her first.
    const page = await loginPageOf(jar, authorize());
    expect(page).toContain('Signed in here as <strong>Olivia Okafor</strong>');
    expect(page.indexOf('Sign in as Olivia')).toBeLessThan(page.indexOf('Sign in as Paul'));

    expect(await subjectOf((await driveOp(authorize(), 'paul', jar)).callback)).toBe('paul');
    expect(await subjectOf((await driveOp(authorize(), 'paul', jar)).callback)).toBe('paul');
    // prompt=none asks for no page: back with the session's person, through redirects only.
    let url = authorize({ prompt: 'none' });
    for (let i = 0; i < 4 && url.origin + url.pathname !== REDIRECT; i++) {
      const res = await step(jar, url);
      expect(res.status).toBeGreaterThanOrEqual(300);
      url = new URL(res.headers.get('location') ?? '', url);
    }
    const done = url;
    expect(await subjectOf(done)).toBe('paul');
  });

  it('prints nothing that reads as fedgate’s: its own notices are marked, its defaults configured', () => {
    const fromTheLibrary = printed.filter((line) => /oidc-provider/.test(line));
    for (const line of fromTheLibrary) expect(line.startsWith(prefix)).toBe(true);
    expect(
      printed.filter((l) => /in-memory adapter|function called|already parsed/.test(l)),
    ).toEqual([]);
    // On Node 20 the library's import says "Unsupported runtime": explained as the demo's own.
    if (Number(process.versions.node.split('.')[0]) < 22) {
      expect(fromTheLibrary).toEqual([
        expect.stringMatching(
          /^demo OpenID provider: .*Unsupported runtime.*the demo IdP's library; fedgate itself runs on Node >= 20\.19/,
        ),
      ]);
    }
  });
});
