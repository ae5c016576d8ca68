/**
 * `npm run bench -- cli`: the fedgate CLI.
 *
 * - the installed `fedgate credentials` with a fresh cache (what credential_process costs an AWS
 *   tool most of the time: the bin link and its shebang included) against `node -e 0`, as whole processes, alternated A B A B … and compared pair by pair (the
 *   machine's speed drifts; a ratio of neighbours does not): target ≤ 1.5×.
 * - A refresh round trip on the local runner (the CLI in this process with an expired cache →
 *   `POST /cli/credentials` → session resume, rules, the web identity token or SAML assertion,
 *   the STS stand-in → the state file written): median and p99.
 * - The installed CLI's size: the one file, the tarball, the installed package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { buildCliPackage, packPackage } from '../../infra/packages/build-cli.js';
import { runCli } from '../../shared/cli-client/main.js';
import { statePathsOf } from '../../shared/cli-client/paths.js';
import { readState, writeState } from '../../shared/cli-client/state-file.js';
import { browserlessConsent, testIo } from '../integration/cli/support.js';
import { type BenchSuite, type Figure, printFigures } from './harness.js';

const PAIRS = Number(process.env.CLI_BENCH_PAIRS ?? 30);
const REFRESHES = Number(process.env.CLI_BENCH_REFRESHES ?? 40);

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

/** Wall time of one whole process, in ms. */
const wall = (command: string, args: string[], env: NodeJS.ProcessEnv): number => {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
};

const dirBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) =>
      sum + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );

export const suite: BenchSuite = {
  title: 'cli',
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-cli-bench-'));
    const built = await buildCliPackage(join(dir, 'package'));
    const tarball = packPackage(built.dir, join(dir, 'dist'));
    spawnSync(
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

    // 1. The fast path: a fresh cache, as whole processes against `node -e 0`.
    const configDir = join(dir, 'fast');
    const paths = statePathsOf({
      platform: 'linux',
      env: { FEDGATE_CONFIG_DIR: configDir },
      homedir: dir,
    });
    writeState(paths, {
      version: 1,
      gateway: 'https://sso.example.com',
      client: 'bench@box',
      session: {
        token: `okta.0123456789abcdef.${'s'.repeat(43)}`,
        endsAt: new Date(Date.now() + 8 * 3_600_000).toISOString(),
        idp: 'okta',
        idpDisplayName: 'Okta',
      },
      credentials: {
        'sandbox/Developer': {
          AccessKeyId: 'ASIAEXAMPLEEXAMPLE01',
          SecretAccessKey: 's'.repeat(40),
          SessionToken: 't'.repeat(800),
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          fetchedAt: Date.now(),
          roleArn: 'arn:aws:iam::111111111111:role/dev',
        },
      },
    });
    // The installed command, as credential_process runs it: the bin link, `#!/usr/bin/env node`
    // (node found on PATH, as for `node -e 0`), the one file.
    const node = dirname(process.execPath);
    const env = {
      PATH: `${node}${delimiter}${process.env.PATH ?? ''}`,
      HOME: dir,
      FEDGATE_CONFIG_DIR: configDir,
    };
    const fedgate = join(dir, 'prefix', 'bin', 'fedgate');
    const cliArgs = ['credentials', '--role', 'sandbox/Developer'];
    wall(fedgate, cliArgs, env);
    wall('node', ['-e', '0'], env);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      a.push(wall(fedgate, cliArgs, env));
      b.push(wall('node', ['-e', '0'], env));
    }
    const ratios = a.map((x, i) => x / (b[i] as number));

    // 2. A refresh round trip on the local runner.
    const { startLocalGateway } = await import('../../infra/local/gateway.js');
    const { defaultPlugins } = await import('../../infra/local/default-plugins.js');
    const gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: defaultPlugins(),
    });
    const refreshes: number[] = [];
    try {
      const cliEnv = { FEDGATE_CONFIG_DIR: join(dir, 'runner') };
      const { io } = testIo({
        env: cliEnv,
        homedir: dir,
        openBrowser: browserlessConsent('alice'),
      });
      const login = await runCli(
        ['login', '--gateway', gateway.url.origin, '--idp', 'demo-okta'],
        io,
      );
      if (login !== 0) throw new Error('bench login failed');
      const runnerPaths = statePathsOf({ platform: 'linux', env: cliEnv, homedir: dir });
      const expire = () => {
        const s = readState(runnerPaths);
        for (const c of Object.values(s.credentials ?? {}))
          c.Expiration = new Date(0).toISOString();
        writeState(runnerPaths, s);
      };
      for (let i = 0; i < REFRESHES + 3; i++) {
        expire();
        const start = process.hrtime.bigint();
        const code = await runCli(['credentials', '--role', 'sandbox/Developer'], io);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (code !== 0) throw new Error(`refresh ${i} exited ${code}`);
        if (i >= 3) refreshes.push(ms); // the first ones warm the functions and the SDK
      }
    } finally {
      await gateway.stop();
    }

    const installed = join(dir, 'prefix', 'lib', 'node_modules', 'fedgate-cli');
    const figures: Figure[] = [
      {
        name: 'installed fedgate credentials, fresh cache (whole process)',
        value: median(a),
        unit: 'ms',
        note: `median of ${PAIRS}`,
      },
      {
        name: 'node -e 0 (whole process)',
        value: median(b),
        unit: 'ms',
        note: `median of ${PAIRS}`,
      },
      {
        name: 'credentials / node -e 0',
        value: median(ratios),
        unit: '×',
        note: `median of pairwise ratios, min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}; target ≤ 1.5`,
      },
      {
        name: 'refresh round trip (local runner), median',
        value: median(refreshes),
        unit: 'ms',
        note: `${refreshes.length} refreshes`,
      },
      {
        name: 'refresh round trip (local runner), p99',
        value: percentile(refreshes, 99),
        unit: 'ms',
      },
      { name: 'fedgate.cjs', value: built.bytes / 1024, unit: 'KiB' },
      { name: 'tarball', value: statSync(tarball).size / 1024, unit: 'KiB' },
      {
        name: 'installed package',
        value: dirBytes(installed) / 1024,
        unit: 'KiB',
        note: 'no dependencies',
      },
    ];
    printFigures('cli', figures);
    rmSync(dir, { recursive: true, force: true });
  },
};
