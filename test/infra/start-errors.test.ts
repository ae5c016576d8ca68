import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` (infra/local/main.ts) and the CDK app (infra/cdk/app.ts) as people run them, in
 * their own process: a mistake on the command line, a busy port or an unknown stage is one line
 * saying what is wrong, and an exit code; never a stack trace.
 */

const run = (
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      // Nothing of the developer's own environment (FEDGATE_PORT, AWS_PROFILE …) leaks in.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
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

const start = (...args: string[]) => run('infra/local/main.ts', args);

let busy: Server;
let busyPort: number;
let dir: string;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  busyPort = (busy.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), 'fedgate-start-'));
});
afterAll(async () => {
  await new Promise<void>((done) => busy.close(() => done()));
  await rm(dir, { recursive: true, force: true });
});

describe('npm start says what is wrong in one line', () => {
  it.each([
    [['--frob'], 'fedgate: unknown option --frob; npm start -- --help lists them'],
    [['--port'], 'fedgate: --port needs a value; npm start -- --help lists them'],
    [
      ['demo'],
      'fedgate: unexpected argument demo (flags start with --); npm start -- --help lists them',
    ],
    [['--port', '99999'], 'fedgate: --port must be a port number (0-65535)'],
  ])('%j: exit 2', async (args, line) => {
    const { code, stdout, stderr } = await start(...args);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  it('a busy port: exit 1', async () => {
    const { code, stdout, stderr } = await start('--port', String(busyPort));
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `fedgate: port ${busyPort} on 127.0.0.1 is in use: pass --port or set FEDGATE_PORT\n`,
    });
  });

  it('an invalid config file: its problems, where they are, and no stack trace', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(
      config,
      'version: 1\nidps:\n  - id: corp\n    displayName: Corp\n    protocol: oidc\n    oidc: { issuer: "https://idp.example.com", clientID: x }\n',
    );
    const { code, stderr } = await start('--port', '0', '--config', config);
    expect(code).toBe(1);
    expect(stderr).toContain(`fedgate: the gateway config file ${config} is invalid:\n`);
    expect(stderr).toContain(
      '  - idps[0].oidc.clientID: unknown key; did you mean "clientId"? (line 6, column 48)',
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('--help: the options, exit 0', async () => {
    const { code, stdout } = await start('--help');
    expect(code).toBe(0);
    for (const flag of ['--port', '--config', '--dynamodb-endpoint', '--public-base-url']) {
      expect(stdout).toContain(flag);
    }
  });
});

describe('the CDK app', () => {
  it('an unknown stage (-c stage=…): one line naming the known ones, exit 1', async () => {
    const { code, stdout, stderr } = await run('infra/cdk/app.ts', [], {
      CDK_CONTEXT_JSON: JSON.stringify({ stage: 'nope' }),
      CDK_OUTDIR: join(dir, 'cdk.out'),
    });
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'fedgate: unknown stage "nope"; known: example (infra/cdk/stages.ts)\n',
    });
  });
});
