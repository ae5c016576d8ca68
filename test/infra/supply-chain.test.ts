/**
 * The supply-chain checks of CI (.ci/supply-chain, logic in .ci/supply-chain.ts): lock-file
 * integrity, the @xmldom/xmldom override, the runtime licence allowlist and the reading of npm
 * audit's report. Everything here runs without the network: the audit itself is not called, its
 * report shapes (including the "endpoint unreachable" one this machine gets) are fixtures.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  checkLicences,
  checkLockFile,
  checkOverride,
  collectRuntimeLicences,
  declaredLicence,
  isLicenceAllowed,
  type LockFile,
  type NpmLsNode,
  type OverrideInput,
  registryTarball,
  summariseAudit,
} from '../../.ci/supply-chain.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const readJson = async <T>(path: string) => JSON.parse(await readFile(path, 'utf8')) as T;
const SHA512 = `sha512-${'A'.repeat(86)}==`;

describe('checkLockFile', () => {
  it("passes the repository's own lock file", async () => {
    const lock = await readJson<LockFile>(join(ROOT, 'package-lock.json'));
    expect(checkLockFile(lock)).toEqual([]);
  });

  const lockWith = (entries: LockFile['packages'], lockfileVersion = 3): LockFile => ({
    lockfileVersion,
    packages: { '': { version: '0.1.0' }, ...entries },
  });

  it('accepts registry packages with or without resolved, and bundled packages', () => {
    expect(
      checkLockFile(
        lockWith({
          'node_modules/a': { version: '1.2.3', integrity: SHA512 },
          'node_modules/@s/b': {
            version: '2.0.0-rc.1',
            integrity: SHA512,
            resolved: 'https://registry.npmjs.org/@s/b/-/b-2.0.0-rc.1.tgz',
          },
          'node_modules/c/node_modules/d': { version: '0.0.1', inBundle: true },
        }),
      ),
    ).toEqual([]);
  });

  it.each<[string, LockFile['packages'], RegExp]>([
    [
      'a missing integrity',
      { 'node_modules/a': { version: '1.0.0' } },
      /node_modules\/a: no integrity/,
    ],
    [
      'a sha1 integrity',
      { 'node_modules/a': { version: '1.0.0', integrity: 'sha1-abcdefabcdefabcdefabcdefabc=' } },
      /not a single sha512/,
    ],
    [
      'a git dependency',
      {
        'node_modules/a': {
          version: 'git+ssh://git@github.com/evil/a.git#0123456789abcdef',
          resolved: 'git+ssh://git@github.com/evil/a.git#0123456789abcdef',
        },
      },
      /not a registry version/,
    ],
    [
      'a tarball from another host',
      {
        'node_modules/a': {
          version: '1.0.0',
          integrity: SHA512,
          resolved: 'https://evil.example/a/-/a-1.0.0.tgz',
        },
      },
      /resolved from https:\/\/evil\.example/,
    ],
    [
      'plain http from the registry',
      {
        'node_modules/a': {
          version: '1.0.0',
          integrity: SHA512,
          resolved: 'http://registry.npmjs.org/a/-/a-1.0.0.tgz',
        },
      },
      /expected https:\/\/registry\.npmjs\.org\/a\/-\/a-1\.0\.0\.tgz/,
    ],
    [
      "another package's tarball",
      {
        'node_modules/a': {
          version: '1.0.0',
          integrity: SHA512,
          resolved: 'https://registry.npmjs.org/evil/-/evil-1.0.0.tgz',
        },
      },
      /resolved from .*evil-1\.0\.0\.tgz/,
    ],
    [
      'a link (file: or workspace)',
      { 'node_modules/a': { version: '1.0.0', link: true, resolved: '../a' } },
      /a link/,
    ],
  ])('refuses %s', (_, entries, problem) => {
    const problems = checkLockFile(lockWith(entries));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('refuses a lockfileVersion 1 lock file and an empty one', () => {
    expect(checkLockFile({ lockfileVersion: 1, packages: {} })).toEqual([
      'lockfileVersion 1: need 2 or 3 (npm ≥ 7)',
      'lock file lists no packages',
    ]);
  });

  it('builds scoped and unscoped registry tarball URLs', () => {
    expect(registryTarball('@xmldom/xmldom', '0.8.15')).toBe(
      'https://registry.npmjs.org/@xmldom/xmldom/-/xmldom-0.8.15.tgz',
    );
    expect(registryTarball('jose', '6.2.17')).toBe(
      'https://registry.npmjs.org/jose/-/jose-6.2.17.tgz',
    );
  });
});

describe('checkOverride (@xmldom/xmldom)', () => {
  const good = (): OverrideInput => ({
    packageJson: {
      dependencies: { '@xmldom/xmldom': '0.8.15' },
      overrides: { '@xmldom/xmldom': '0.8.15' },
    },
    lock: {
      lockfileVersion: 3,
      packages: { 'node_modules/@xmldom/xmldom': { version: '0.8.15', integrity: SHA512 } },
    },
    npmLs: {
      dependencies: {
        '@xmldom/xmldom': { version: '0.8.15' },
        samlify: { version: '2.13.1', dependencies: { '@xmldom/xmldom': { version: '0.8.15' } } },
      },
    },
    installed: { 'node_modules/@xmldom/xmldom': '0.8.15' },
  });

  it('holds when every copy everywhere is the pinned version', () => {
    expect(checkOverride(good())).toEqual([]);
  });

  it("holds in the repository's own tree (npm ls, lock file, files on disk)", async () => {
    const { stdout } = await exec('npm', ['ls', '@xmldom/xmldom', '--all', '--json'], {
      cwd: ROOT,
    });
    const lock = await readJson<LockFile>(join(ROOT, 'package-lock.json'));
    const packageJson = await readJson<OverrideInput['packageJson']>(join(ROOT, 'package.json'));
    const installed: Record<string, string> = {};
    for (const path of Object.keys(lock.packages ?? {}).filter((p) =>
      p.endsWith('node_modules/@xmldom/xmldom'),
    )) {
      installed[path] = (
        await readJson<{ version: string }>(join(ROOT, path, 'package.json'))
      ).version;
    }
    expect(
      checkOverride({ packageJson, lock, npmLs: JSON.parse(stdout) as NpmLsNode, installed }),
    ).toEqual([]);
  });

  it('reports a nested copy that escaped the override, in npm ls, the lock file and on disk', () => {
    const input = good();
    (input.npmLs.dependencies?.samlify?.dependencies as Record<string, NpmLsNode>)[
      '@xmldom/xmldom'
    ] = { version: '0.7.13' };
    (input.lock.packages as Record<string, { version: string }>)[
      'node_modules/samlify/node_modules/@xmldom/xmldom'
    ] = { version: '0.7.13' };
    input.installed['node_modules/samlify/node_modules/@xmldom/xmldom'] = '0.7.13';
    expect(checkOverride(input)).toEqual([
      'npm ls: samlify > @xmldom/xmldom is 0.7.13, not 0.8.15',
      'lock file: node_modules/samlify/node_modules/@xmldom/xmldom is 0.7.13, not 0.8.15',
      'installed: node_modules/samlify/node_modules/@xmldom/xmldom is 0.7.13, not 0.8.15',
    ]);
  });

  it('reports a missing, ranged or too old override, and a direct dependency that differs', () => {
    const none = good();
    none.packageJson.overrides = {};
    expect(checkOverride(none)).toEqual([
      'package.json overrides @xmldom/xmldom with undefined, not an exact version',
    ]);
    const ranged = good();
    ranged.packageJson.overrides = { '@xmldom/xmldom': '^0.8.12' };
    expect(checkOverride(ranged)[0]).toMatch(/not an exact version/);
    const old = good();
    old.packageJson.overrides = { '@xmldom/xmldom': '0.8.11' };
    expect(checkOverride(old)).toContain('override pins @xmldom/xmldom 0.8.11, older than 0.8.12');
    const differs = good();
    differs.packageJson.dependencies = { '@xmldom/xmldom': '0.8.14' };
    expect(checkOverride(differs)).toEqual([
      'dependency @xmldom/xmldom 0.8.14 differs from its override 0.8.15',
    ]);
  });

  it('reports a missing or invalid node in npm ls and no copy on disk', () => {
    const input = good();
    input.npmLs = { dependencies: { '@xmldom/xmldom': { missing: true, invalid: 'x' } } };
    input.installed = {};
    expect(checkOverride(input)).toEqual([
      'npm ls: @xmldom/xmldom is missing (run npm ci)',
      'npm ls: @xmldom/xmldom is invalid (x)',
      'no installed copy of @xmldom/xmldom found on disk',
    ]);
  });
});

describe('licences', () => {
  it.each<[string | undefined, boolean]>([
    ['MIT', true],
    ['MIT-0', true],
    ['Apache-2.0', true],
    ['ISC', true],
    ['0BSD', true],
    ['BSD-3-Clause', true],
    ['(MIT OR Apache-2.0)', true],
    ['(MIT OR GPL-3.0-or-later)', true],
    ['MIT AND ISC', true],
    ['(MIT AND (ISC OR GPL-2.0-only))', true],
    ['MIT License', true],
    ['GPL-3.0-or-later', false],
    ['LGPL-2.1-only', false],
    ['MPL-2.0', false],
    ['AGPL-3.0-only', false],
    ['MIT AND GPL-2.0-only', false],
    ['Apache-2.0 WITH LLVM-exception', false],
    ['MIT+', false],
    ['UNLICENSED', false],
    ['SEE LICENSE IN LICENSE.md', false],
    ['(MIT', false],
    ['MIT OR', false],
    ['', false],
    [undefined, false],
  ])('%j allowed: %s', (expression, allowed) => {
    expect(isLicenceAllowed(expression)).toBe(allowed);
  });

  it('reads license, license objects and the legacy licenses array', () => {
    expect(declaredLicence({ license: ' MIT ' })).toBe('MIT');
    expect(declaredLicence({ license: { type: 'ISC' } })).toBe('ISC');
    expect(declaredLicence({ licenses: [{ type: 'MIT' }] })).toBe('MIT');
    expect(declaredLicence({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] })).toBe(
      '(MIT OR Apache-2.0)',
    );
    expect(declaredLicence({})).toBeUndefined();
  });

  it('collects runtime packages only, and reports a runtime package that is not installed', () => {
    const lock: LockFile = {
      lockfileVersion: 3,
      packages: {
        '': { version: '0.1.0' },
        'node_modules/run': { version: '1.0.0' },
        'node_modules/gpl': { version: '2.0.0' },
        'node_modules/devtool': { version: '1.0.0', dev: true },
        'node_modules/gone': { version: '1.0.0' },
        'node_modules/other-os': { version: '1.0.0', optional: true },
      },
    };
    const files: Record<string, Record<string, unknown>> = {
      'node_modules/run': { name: 'run', version: '1.0.0', license: 'MIT' },
      'node_modules/gpl': { name: 'gpl', version: '2.0.0', license: 'GPL-2.0-only' },
      'node_modules/devtool': { name: 'devtool', version: '1.0.0', license: 'GPL-3.0-only' },
    };
    const { rows, problems } = collectRuntimeLicences(lock, (p) => files[p]);
    expect(rows.map((r) => `${r.name}@${r.version} ${r.licence}`)).toEqual([
      'gpl@2.0.0 GPL-2.0-only',
      'run@1.0.0 MIT',
    ]);
    expect(problems).toEqual(['node_modules/gone: runtime package not installed (run npm ci)']);
    expect(checkLicences(rows)).toEqual([
      'gpl@2.0.0 (node_modules/gpl): licence "GPL-2.0-only" is not allowed',
    ]);
  });

  it('every runtime dependency of the repository has an allowed licence', async () => {
    const lock = await readJson<LockFile>(join(ROOT, 'package-lock.json'));
    const packages = new Map<string, Record<string, unknown>>();
    for (const [path, entry] of Object.entries(lock.packages ?? {})) {
      if (path === '' || entry.dev) continue;
      try {
        packages.set(path, await readJson(join(ROOT, path, 'package.json')));
      } catch {
        // not installed: collectRuntimeLicences says so
      }
    }
    const { rows, problems } = collectRuntimeLicences(lock, (p) => packages.get(p));
    expect(problems).toEqual([]);
    expect(rows.length).toBeGreaterThan(10);
    expect(checkLicences(rows)).toEqual([]);
    expect(rows.find((r) => r.name === '@xmldom/xmldom')?.licence).toBe('MIT');
  });
});

const report = (vulnerabilities: object, counts: Record<string, number>) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: {
      vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts },
    },
  });
const high = {
  samlify: {
    name: 'samlify',
    severity: 'high',
    range: '<2.10.0',
    via: [
      {
        source: 1,
        title: 'Signature wrapping',
        url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
        severity: 'high',
      },
    ],
  },
  'some-parent': { name: 'some-parent', severity: 'high', via: ['samlify'] },
};

describe('summariseAudit', () => {
  // What npm 11 printed here: the registry in use answers the bulk advisory POST with a 405.
  const unreachable = JSON.stringify({
    message:
      '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
    body: '',
    error: { summary: '', detail: '' },
  });
  it('an unreachable endpoint is reported, not blocking', () => {
    for (const [stdout, code] of [
      [unreachable, 1],
      ['', 1],
      ['npm error network', 1],
      [JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'getaddrinfo' } }), 1],
    ] as const) {
      const s = summariseAudit(stdout, code);
      expect(s.status).toBe('unreachable');
      expect(s.blocking).toEqual([]);
      expect(s.lines[0]).toMatch(/NOT audited/);
    }
    expect(summariseAudit(unreachable, 1).lines[0]).toContain('405 Method Not Allowed');
  });

  it('a clean report passes; moderate findings are listed, not blocking', () => {
    expect(summariseAudit(report({}, {}), 0)).toEqual({
      status: 'clean',
      lines: ['npm audit (runtime dependencies): 0 critical, 0 high, 0 moderate, 0 low, 0 info'],
      blocking: [],
    });
    const moderate = summariseAudit(
      report(
        {
          yaml: {
            severity: 'moderate',
            range: '<2.2.2',
            via: [
              { title: 'x', url: 'https://github.com/advisories/GHSA-1', severity: 'moderate' },
            ],
          },
        },
        { moderate: 1 },
      ),
      0,
    );
    expect(moderate.status).toBe('findings');
    expect(moderate.blocking).toEqual([]);
  });

  it('a high finding blocks (once, at the vulnerable package), unless explained', () => {
    const s = summariseAudit(report(high, { high: 2 }), 1);
    expect(s.blocking).toEqual([
      'high: samlify <2.10.0 Signature wrapping https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
    ]);
    const explained = summariseAudit(report(high, { high: 2 }), 1, {
      'GHSA-aaaa-bbbb-cccc': 'only the SP metadata path uses samlify; fixed by #99',
    });
    expect(explained.blocking).toEqual([]);
    expect(explained.lines[1]).toMatch(/accepted: only the SP metadata path/);
  });
});

describe('the CI script', () => {
  it('bash .ci/supply-chain --offline passes on this repository and prints the licences', async () => {
    const { stdout } = await exec('bash', [join(ROOT, '.ci/supply-chain'), '--offline'], {
      cwd: ROOT,
    });
    expect(stdout).toMatch(/supply-chain: lockfile: \d+ packages, each sha512-pinned/);
    expect(stdout).toMatch(/supply-chain: override: @xmldom\/xmldom 0\.8\.15 everywhere/);
    expect(stdout).toMatch(/supply-chain: runtime licences \(\d+ packages\):/);
    expect(stdout).toMatch(/ {2}MIT \(\d+\): .*@xmldom\/xmldom@0\.8\.15/);
    expect(stdout).toMatch(/supply-chain: licences: all within MIT/);
  }, 120_000);

  it('fails (exit 1) on a bad lock file and a blocking audit report, naming the problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fedgate-supply-chain-'));
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));
      await writeFile(
        join(dir, 'package-lock.json'),
        JSON.stringify({
          lockfileVersion: 3,
          packages: {
            '': {},
            'node_modules/evil': {
              version: '1.0.0',
              integrity: SHA512,
              resolved: 'https://evil.example/evil-1.0.0.tgz',
            },
          },
        }),
      );
      await writeFile(join(dir, 'audit.json'), report(high, { high: 2 }));
      const cli = (...args: string[]) =>
        exec(
          process.execPath,
          ['--import', 'tsx', join(ROOT, '.ci/supply-chain.ts'), '--root', dir, ...args],
          { cwd: ROOT },
        );
      await expect(cli('lockfile')).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('node_modules/evil: resolved from https://evil.example/'),
      });
      await expect(cli('audit', join(dir, 'audit.json'), '1')).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('GHSA-aaaa-bbbb-cccc'),
      });
      await writeFile(join(dir, 'audit.json'), unreachableReport);
      const { stderr } = await cli('audit', join(dir, 'audit.json'), '1');
      expect(stderr).toMatch(/audit: SKIPPED \(endpoint unreachable\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

const unreachableReport = JSON.stringify({
  message:
    '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  error: { summary: '', detail: '' },
});
