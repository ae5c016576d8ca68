import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayPost, type GatewayPost } from '../../../shared/cli-client/gateway.js';
import { runCli } from '../../../shared/cli-client/main.js';
import {
  describeHits,
  findSecrets,
  type Secret,
  spawnCapturedRunner,
} from '../../support/log-capture.js';
import { createJar, step } from '../oidc/browserless.js';
import { browserlessConsent, formOf, testIo } from './support.js';

/**
 * No secret of the CLI's sign-ins in any log line: a runner in its own process logging at DEBUG
 * with metrics on; the CLI (in this process) signs in through the loopback flow and the device
 * flow, lists roles, gets credentials and a console URL, logs out. Every value that crossed the
 * wire and is a secret — session tokens, authorization codes, PKCE verifiers, device and user
 * codes, AWS keys, SigninTokens, the browser's CSRF tokens — is looked for in everything the
 * runner wrote, in every encoding a careless log line would use.
 */
describe('the CLI flows log no secret', () => {
  let runner: Awaited<ReturnType<typeof spawnCapturedRunner>>;
  const secrets: Secret[] = [];
  const keep = (label: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') secrets.push({ label, value });
  };
  /** The real transport, recording every secret that crossed it. */
  const recording =
    (base: URL): GatewayPost =>
    async (path, body, opts) => {
      const b = body as Record<string, unknown>;
      keep(`${path} code`, b.code);
      keep(`${path} code_verifier`, b.code_verifier);
      keep(`${path} device_code`, b.device_code);
      if (opts?.bearer) {
        keep('bearer token', opts.bearer);
        keep('bearer secret', opts.bearer.split('.')[2]);
      }
      const answer = await createGatewayPost({ base, userAgent: 'test' })(path, body, opts);
      const a = (answer.body ?? {}) as Record<string, unknown>;
      for (const k of [
        'access_token',
        'device_code',
        'user_code',
        'AccessKeyId',
        'SecretAccessKey',
        'SessionToken',
      ]) {
        keep(`${path} ${k}`, a[k]);
      }
      keep(`${path} user code as typed`, (a.user_code as string | undefined)?.replace('-', ''));
      if (typeof a.url === 'string')
        keep('SigninToken', new URL(a.url).searchParams.get('SigninToken'));
      return answer;
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

  it('loopback and device sign-ins, roles, credentials, console, logout: nothing secret logged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-cli-secrets-'));
    const jar = createJar();
    const consent = browserlessConsent('alice', jar);
    const cli = testIo({
      env: { FEDGATE_CONFIG_DIR: join(dir, 'loopback') },
      post: recording,
      openBrowser: async (url) => {
        keep('loopback state', new URL(url).searchParams.get('state'));
        await consent(url);
      },
    });
    const gateway = runner.url.origin;
    expect(await runCli(['login', '--gateway', gateway, '--idp', 'demo-okta'], cli.io)).toBe(0);
    keep('browser session', jar.cookies.get('__Host-fedgate-session'));
    expect(await runCli(['roles'], cli.io)).toBe(0);
    expect(await runCli(['credentials', '--role', 'sandbox/Developer'], cli.io)).toBe(0);
    expect(await runCli(['console', '--role', 'sandbox/Developer', '--print'], cli.io)).toBe(0);
    cli.take();

    // The device flow, approved in the browser that is signed in already.
    const device = testIo({ env: { FEDGATE_CONFIG_DIR: join(dir, 'device') }, post: recording });
    const login = runCli(['login', '--gateway', gateway, '--no-browser'], device.io);
    let userCode: string | undefined;
    await expect
      .poll(() => {
        userCode = /\n {2}([A-Z]{4}-[A-Z]{4})\n/.exec(device.take().stderr)?.[1] ?? userCode;
        return userCode;
      })
      .toBeDefined();
    const page = await step(jar, new URL(`/cli/device?user_code=${userCode}`, gateway));
    const confirm = formOf(await page.text());
    keep('device page CSRF', confirm.fields.csrf);
    const approved = await step(jar, new URL(confirm.action, gateway), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...confirm.fields, decision: 'approve' }).toString(),
    });
    expect(approved.status).toBe(200);
    expect(await login).toBe(0);
    expect(await runCli(['credentials', '--role', 'production/Administrator'], device.io)).toBe(0);
    expect(await runCli(['logout'], device.io)).toBe(0);
    expect(await runCli(['logout'], cli.io)).toBe(0);

    const labels = new Set(secrets.map((s) => s.label));
    for (const label of [
      '/cli/token code',
      '/cli/token code_verifier',
      '/cli/token device_code',
      '/cli/token access_token',
      '/cli/device user_code',
      '/cli/credentials SecretAccessKey',
      'SigninToken',
      'bearer secret',
      'browser session',
    ]) {
      expect(labels, label).toContain(label);
    }
    // Give the runner a moment to flush what it wrote for the last requests.
    await new Promise((done) => setTimeout(done, 300));
    const text = runner.capture.text();
    expect(text).toContain('"cli sign-in approved"');
    const hits = findSecrets(text, secrets);
    expect(hits, describeHits(hits)).toEqual([]);
  }, 60_000);
});
