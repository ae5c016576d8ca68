import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeyPair } from '../../kit/keys.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { spawnRunner } from '../../support/local-runner.js';
import { createWorkspace, oktaMetadata } from './support.js';

/** The CLI as operators run it: its own process, through tsx or the npx entry (bin.mjs). */
const runProcess = (
  args: string[],
  { entry = 'tsx' }: { entry?: 'tsx' | 'bin' } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const argv =
      entry === 'tsx'
        ? ['--import', 'tsx', 'infra/admin/cli.ts', ...args]
        : ['infra/admin/bin.mjs', ...args];
    const child = spawn(process.execPath, argv, {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

const dynamo = useDynamoDb();
let runner: Awaited<ReturnType<typeof spawnRunner>>;
let ws: { dir: string; remove(): Promise<void> };

beforeAll(async () => {
  ws = await createWorkspace();
  // The runner seeds the demo config into this DynamoDB, as two runners share one.
  runner = await spawnRunner(['--dynamodb-endpoint', dynamo.endpoint]);
});
afterAll(async () => {
  await runner?.stop();
  await ws?.remove();
});

describe('the CLI as a process, against a running local gateway', () => {
  it("lists the runner's rules from its table (tsx infra/admin/cli.ts … --json)", async () => {
    const run = await runProcess([
      'rules',
      'list',
      '--idp',
      'demo-okta',
      '--endpoint',
      dynamo.endpoint,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { rules } = JSON.parse(run.stdout) as { rules: { id: string }[] };
    expect(rules.map((r) => r.id)).toContain('platform-admins');
  });

  it('imports an IdP through the npx entry, and the running gateway serves it', async () => {
    const key = await createTestKeyPair('process test okta');
    const metadata = join(ws.dir, 'okta.xml');
    await writeFile(
      metadata,
      oktaMetadata({ appId: 'exkprocess', certificates: [key.certificateB64] }),
    );
    const spMetadata = new URL('/saml/okta-cli/metadata', runner.url);
    expect((await fetch(spMetadata)).status).toBe(404);

    const run = await runProcess(
      ['import-idp', '--id', 'okta-cli', '--metadata', metadata, '--endpoint', dynamo.endpoint],
      { entry: 'bin' },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SAML IdP "okta-cli" added');
    expect(run.stdout).toContain('put    IDP#okta-cli/CONFIG (idp, new)');

    // The runner caches the attribute table for 5 s, as a warm Lambda does for its configured TTL.
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i += 1) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await fetch(spMetadata)).status;
    }
    expect(status).toBe(200);
  });

  it('exits 2 on a usage error and 1 on an invalid config, without a stack trace', async () => {
    const usage = await runProcess(['rules', 'list']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--idp is required');
    await writeFile(join(ws.dir, 'bad.json'), JSON.stringify({ version: 2, idps: [] }));
    const invalid = await runProcess(['validate', join(ws.dir, 'bad.json')]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain('version:');
    expect(invalid.stdout).toContain('idps:');
    for (const out of [usage.stderr, invalid.stdout, invalid.stderr])
      expect(out).not.toMatch(/\n\s+at /);
  });
});
