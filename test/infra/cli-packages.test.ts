import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserClientPackage } from '../../infra/packages/build-browser-client.js';
import { buildCliPackage, packPackage, REPO_ROOT } from '../../infra/packages/build-cli.js';

/**
 * The two packages built from this repository: the `fedgate` CLI (one CommonJS file, Node
 * built-ins only) and the SPA's browser client (an ES module with declarations), each packed with
 * npm and installed offline into an empty directory, then used as a consumer would.
 */
const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the fedgate-cli package', () => {
  it('is one executable file that requires Node built-ins only, with no dependencies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-pkg-cli-'));
    const built = await buildCliPackage(join(dir, 'cli'));
    const source = readFileSync(built.file, 'utf8');
    expect(source.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(built.file).mode & 0o111).toBe(0o111);
    const required = [...source.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
    expect(required.length).toBeGreaterThan(3);
    expect(required.filter((r) => !r.startsWith('node:'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(built.dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'fedgate-cli',
      version: JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version,
      bin: { fedgate: 'fedgate.cjs' },
      engines: { node: '>=20' },
    });
    expect(pkg.dependencies).toBeUndefined();
    const run = spawnSync(process.execPath, [built.file, '--version'], { encoding: 'utf8' });
    expect(run.stdout).toBe(`fedgate ${pkg.version}\n`);
  });
});

describe("the fedgate-cli package's fast path", () => {
  it('answers credential_process from a fresh cache loading no stream, network, crypto or process module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-pkg-fast-'));
    const built = await buildCliPackage(join(dir, 'cli'));
    const configDir = join(dir, 'config');
    execFileSync('mkdir', ['-p', configDir]);
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(
      join(configDir, 'state.json'),
      JSON.stringify({
        version: 1,
        gateway: 'https://sso.example.com',
        client: 'ci@box',
        session: { token: 'a.b.c', endsAt: expiration, idp: 'okta', idpDisplayName: 'Okta' },
        credentials: {
          'sandbox/Developer': {
            AccessKeyId: 'ASIAEXAMPLE',
            SecretAccessKey: 's',
            SessionToken: 't',
            Expiration: expiration,
            fetchedAt: Date.now(),
            roleArn: 'arn:aws:iam::111111111111:role/dev',
          },
        },
      }),
      { mode: 0o600 },
    );
    // Node's own record of the built-in modules a process loaded, written as it exits.
    const probe = join(dir, 'probe.cjs');
    const loaded = join(dir, 'loaded.json');
    writeFileSync(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    // stdout a pipe, as credential_process gives it.
    const run = spawnSync(
      process.execPath,
      ['-r', probe, built.file, 'credentials', '--role', 'sandbox/Developer'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, FEDGATE_CONFIG_DIR: configDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toMatchObject({ Version: 1, AccessKeyId: 'ASIAEXAMPLE' });
    const modules = (JSON.parse(readFileSync(loaded, 'utf8')) as string[])
      .filter((m) => m.startsWith('NativeModule '))
      .map((m) => m.slice('NativeModule '.length));
    expect(
      modules.filter((m) => /^(stream|net|crypto|http|https|tls|child_process)$/.test(m)),
    ).toEqual([]);
  });
});

describe('the fedgate-browser-client package', () => {
  let app: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-pkg-browser-'));
    const built = await buildBrowserClientPackage(join(dir, 'browser-client'));
    const tarball = packPackage(built.dir, join(dir, 'dist'));
    app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(
      join(app, 'package.json'),
      '{ "name": "an-spa", "private": true, "type": "module" }\n',
    );
    execFileSync(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
      { cwd: app, stdio: 'ignore' },
    );
  }, 120_000);

  it('installs as an ES module whose exports work (PKCE S256 with the web crypto API)', () => {
    writeFileSync(
      join(app, 'use.mjs'),
      `import { createPkce, createFedgateClient, FedgateError } from 'fedgate-browser-client';
const pkce = await createPkce();
const client = createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 'my-app',
  idp: 'okta', redirectUri: 'https://app.example.com/cb', fetch: async () => { throw new Error('offline'); } });
console.log(JSON.stringify({ pkce, methods: Object.keys(client).sort(),
  error: new FedgateError(401, 'spa_session_invalid', 'x').code }));
`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, ['use.mjs'], { cwd: app, encoding: 'utf8' }),
    ) as { pkce: { verifier: string; challenge: string }; methods: string[]; error: string };
    expect(out.pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out.pkce.challenge).toBe(
      createHash('sha256').update(out.pkce.verifier).digest('base64url'),
    );
    expect(out.methods).toContain('credentialProvider');
    expect(out.error).toBe('spa_session_invalid');
  });

  it("bundles for the browser as an SPA's bundler takes it (through its exports, nothing of Node)", async () => {
    const out = await build({
      stdin: {
        contents: `import { createFedgateClient } from 'fedgate-browser-client';
const fedgate = createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 'my-app',
  idp: 'okta', redirectUri: 'https://app.example.com/cb' });
await fedgate.handleRedirect();
`,
        resolveDir: app,
        loader: 'js',
      },
      absWorkingDir: app,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(out.metafile.inputs).sort()).toEqual([
      '<stdin>',
      'node_modules/fedgate-browser-client/index.js',
    ]);
    const external = Object.values(out.metafile.inputs).flatMap((i) =>
      i.imports.filter((imp) => imp.external).map((imp) => imp.path),
    );
    expect(external).toEqual([]);
    expect(out.outputFiles[0]?.text).toContain('crypto.subtle');
  });

  it('carries its types: a consumer type-checks, and a misuse does not', () => {
    const check = (source: string) => {
      writeFileSync(join(app, 'consumer.ts'), source);
      return spawnSync(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--target',
          'es2022',
          '--lib',
          'es2022,dom',
          'consumer.ts',
        ],
        { cwd: app, encoding: 'utf8' },
      );
    };
    const good =
      check(`import { createFedgateClient, type AwsCredentialIdentity } from 'fedgate-browser-client';
const fedgate = createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 'my-app',
  idp: 'okta', redirectUri: 'https://app.example.com/cb' });
const provider: () => Promise<AwsCredentialIdentity> = fedgate.credentialProvider();
export { provider };
`);
    expect([good.status, good.stdout]).toEqual([0, '']);
    const bad = check(`import { createFedgateClient } from 'fedgate-browser-client';
createFedgateClient({ gatewayUrl: 'https://sso.example.com', clientId: 42 });
`);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('consumer.ts');
  });
});
