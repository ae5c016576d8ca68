/// <reference lib="dom" />
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildCliPackage, packPackage } from '../../infra/packages/build-cli.js';
import { normaliseUserCode, userCodeKey } from '../../shared/cli/device.js';
import { describe, expect, test as kit } from '../kit/index.js';

const test = kit.extend(
  'url',
  { scope: 'file' },
  async ({ gateway }) =>
    (path: string) =>
      new URL(path, gateway.url).href,
);

/**
 * The fedgate CLI as a person gets it: built and packed, installed from its tarball into an empty
 * prefix (offline: it has no dependencies), and signed in with headless Chromium as the browser
 * (the CLI opens it through BROWSER, as it would open the person's own): the loopback flow
 * through the demo SAML IdP and the consent page, the device flow confirmed on fedgate's page,
 * and the refusals a person can meet there.
 */
describe('the fedgate CLI end to end', () => {
  let hook: Server;
  let dir: string;
  let fedgate: string;
  const opened: string[] = [];
  let onOpen: ((url: string) => void) | undefined;

  const envFor = (configDir: string): Record<string, string> => ({
    PATH: `${join(dir, 'prefix', 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    FEDGATE_CONFIG_DIR: join(dir, configDir),
    // The CLI opens "the browser" through BROWSER: here a script that hands the URL to this test,
    // which opens it in Chromium.
    BROWSER: `${process.execPath} ${join(dir, 'open-in-chromium.mjs')}`,
    FEDGATE_TEST_HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`,
  });

  /** Starts the installed `fedgate`; stderr accumulates as it comes. */
  const start = (args: string[], configDir: string) => {
    const child: ChildProcess = spawn(fedgate, args, {
      env: envFor(configDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout?.on('data', (c: Buffer) => {
      out.stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out.stderr += c.toString();
    });
    const done = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { child, out, done };
  };
  const runInstalled = async (args: string[], configDir: string) => {
    const p = start(args, configDir);
    const code = await p.done;
    return { code, ...p.out };
  };

  /** Signs in at the demo Okta as Alice, from wherever fedgate sent the browser. */
  const signInAsAlice = async (page: Page) => {
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-cli-e2e-'));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        opened.push(body);
        onOpen?.(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => hook.listen(0, '127.0.0.1', done));
    writeFileSync(
      join(dir, 'open-in-chromium.mjs'),
      "await fetch(process.env.FEDGATE_TEST_HOOK, { method: 'POST', body: process.argv[2] });\n",
    );
    const built = await buildCliPackage(join(dir, 'package'));
    const tarball = packPackage(built.dir, join(dir, 'dist'));
    execFileSync(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        join(dir, 'prefix'),
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        tarball,
      ],
      { stdio: 'ignore' },
    );
    fedgate = join(dir, 'prefix', 'bin', 'fedgate');
  }, 180_000);
  afterAll(async () => {
    await new Promise((done) => hook?.close(done));
  });

  test('installs from its tarball (one file, no dependencies) and runs: --help', async () => {
    const installed = join(dir, 'prefix', 'lib', 'node_modules', 'fedgate-cli');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'fedgate.cjs', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'fedgate-cli', bin: { fedgate: 'fedgate.cjs' } });
    expect(pkg.dependencies).toBeUndefined();
    const help = await runInstalled(['--help'], 'unused');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('login [--gateway URL] [--idp ID] [--no-browser]');
  });

  test('fedgate login: Chromium, SP-initiated demo-okta as Alice, the consent page, back on loopback', async ({
    gateway,
    page,
  }) => {
    const browsed = new Promise<string>((resolve) => {
      onOpen = resolve;
    });
    const login = start(
      ['login', '--gateway', gateway.url.origin, '--idp', 'demo-okta'],
      'loopback',
    );
    const authorize = await browsed;
    expect(authorize).toMatch(
      /\/cli\/authorize\?redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fcallback/,
    );
    await page.goto(authorize);
    // No session yet: fedgate sent the browser to the demo Okta (SP-initiated, continue kept).
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
    await signInAsAlice(page);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in the fedgate CLI?');
    await page.screenshot({ path: '.local/e2e-cli-consent.png', fullPage: true });
    const consent = (await page.locator('main').textContent()) ?? '';
    expect(consent).toContain('alice@example.com');
    expect(consent).toMatch(/port \d+/);
    expect(consent).toContain('Continue only if you just ran fedgate login');
    await page.getByRole('button', { name: 'Sign in the CLI' }).click();
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(await page.locator('h1').textContent()).toBe('Signed in');
    expect(await login.done).toBe(0);
    expect(login.out.stderr).toContain('as alice@example.com (Okta (demo))');

    const roles = await runInstalled(['roles'], 'loopback');
    expect(roles.code).toBe(0);
    expect(roles.stdout).toContain('sandbox     Developer');
    const creds = await runInstalled(['credentials', '--role', 'sandbox/Developer'], 'loopback');
    expect(creds.code).toBe(0);
    expect(JSON.parse(creds.stdout)).toMatchObject({
      Version: 1,
      AccessKeyId: expect.stringMatching(/^ASIALOCAL/),
    });
  });

  test('a loopback redirect to any other host is refused: an error page, the browser stays at fedgate', async ({
    gateway,
    page,
    url,
  }) => {
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    for (const redirect of [
      'http://evil.example:8080/callback',
      'http://localhost:8080/callback',
      'https://127.0.0.1:8080/callback',
      'http://127.0.0.1:8080@evil.example/callback',
    ]) {
      const query = new URLSearchParams({
        redirect_uri: redirect,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'S'.repeat(43),
        client: 'alice@laptop',
      });
      const res = await page.goto(url(`/cli/authorize?${query}`));
      expect([redirect, res?.status()]).toEqual([redirect, 400]);
      expect(await page.locator('main').textContent()).toContain('cli_redirect_uri_invalid');
      expect(new URL(page.url()).origin).toBe(gateway.url.origin);
    }
  });

  test('fedgate login --no-browser: the code in the terminal, confirmed in Chromium; wrong and reused codes refused', async ({
    gateway,
    page,
    url,
  }) => {
    const login = start(['login', '--gateway', gateway.url.origin, '--no-browser'], 'device');
    await expect.poll(() => login.out.stderr, { timeout: 10_000 }).toMatch(/Waiting for you/);
    const userCode = /and enter the code\n\n {2}([A-Z]{4}-[A-Z]{4})\n/.exec(
      login.out.stderr,
    )?.[1] as string;
    const verification = /open this address in a browser on any device:\n\n {2}(\S+)\n/.exec(
      login.out.stderr,
    )?.[1] as string;
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(verification).toBe(url('/cli/device'));
    expect(opened).toHaveLength(1); // the loopback test's: --no-browser opened nothing

    // The person opens the page on "another device": no session there, so sign in first.
    await page.goto(verification);
    await page.getByRole('link', { name: 'Sign in with Okta (demo)' }).click();
    await signInAsAlice(page);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Connect a fedgate CLI');

    // A wrong code is refused.
    const wrong = userCode === 'BCDF-GHJK' ? 'BCDF-GHJL' : 'BCDF-GHJK';
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('cli_user_code_invalid');

    await page.goto(verification);
    await page.getByLabel('Code').fill(userCode.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in a fedgate CLI?');
    await page.screenshot({ path: '.local/e2e-cli-device-confirm.png', fullPage: true });
    const confirm = (await page.locator('main').textContent()) ?? '';
    expect(confirm).toContain(
      'Only continue if you started this on a computer you control, right now.',
    );
    expect(confirm).toContain(userCode);
    expect(confirm).toContain('127.0.0.1'); // the address fedgate saw the request come from
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('The fedgate CLI is signed in');
    expect(await login.done).toBe(0);
    expect(login.out.stderr).toContain('as alice@example.com (Okta (demo))');

    // The code was spent: opening it again is refused.
    const again = await page.goto(url(`/cli/device?user_code=${userCode}`));
    expect(again?.status()).toBe(400);
    expect(await page.locator('main').textContent()).toContain('cli_user_code_invalid');
  }, 60_000);

  test('an expired user code is refused', async ({ gateway, page, url }) => {
    const started = await fetch(url('/cli/device'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client: 'build-box', idp: 'demo-okta' }),
    });
    const { user_code, verification_uri_complete } = (await started.json()) as {
      user_code: string;
      verification_uri_complete: string;
    };
    // Ten minutes pass for this code: its item's expiry is moved into the past.
    const dynamo = new DynamoDBClient({
      endpoint: gateway.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await dynamo.send(
      new UpdateItemCommand({
        TableName: 'fedgate-state',
        Key: { pk: { S: userCodeKey(normaliseUserCode(user_code) as string) } },
        UpdateExpression: 'SET expiresAt = :past',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':past': { N: String(Math.floor(Date.now() / 1000) - 1) } },
      }),
    );
    dynamo.destroy();
    await page.goto(verification_uri_complete);
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso/);
    await signInAsAlice(page);
    await expect.poll(() => page.locator('main').textContent()).toContain('cli_user_code_invalid');
    expect(new URL(page.url()).pathname).toBe('/cli/device');
  });
});
