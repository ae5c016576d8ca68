/**
 * `npm run build:cli [-- --pack]`: the installable `fedgate` command. esbuild bundles
 * infra/packages/fedgate-bin.ts and shared/cli-client into ONE CommonJS file (minified, for Node
 * 20+) whose only imports are Node's built-ins, then writes its package.json and README beside it
 * in dist/cli/. With --pack, `npm pack` makes dist/fedgate-cli-<version>.tgz, which a person
 * installs with one command: `npm install -g ./fedgate-cli-<version>.tgz` (no dependency is
 * fetched: there are none).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a package build produced. */
export interface BuiltPackage {
  dir: string;
  name: string;
  version: string;
  /** The package's main file and its size in bytes. */
  file: string;
  bytes: number;
}

const rootVersion = (): string =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;

const README = (version: string) => `# fedgate CLI ${version}

AWS credentials from your company sign-in, in the terminal: \`fedgate login\` signs you in through
your browser (or with a short code from any other device), then \`credential_process\` profiles give
every AWS tool fresh credentials until your fedgate session ends.

    npm install -g ./fedgate-cli-${version}.tgz
    fedgate login --gateway https://sso.example.com
    fedgate configure            # one ~/.aws/config profile per role
    aws sts get-caller-identity --profile fedgate-sandbox-Developer

Run \`fedgate --help\` for every command. No dependencies; Node.js 20 or later.
`;

/**
 * Bundles the CLI into `<outDir>/fedgate.cjs` and writes its package.json and README.
 * @throws when the bundle would import anything but a Node built-in, or contain anything but the
 * CLI's own sources (the package has no dependencies, so nothing else may end up in it).
 */
export const buildCliPackage = async (
  outDir = join(REPO_ROOT, 'dist', 'cli'),
): Promise<BuiltPackage> => {
  const version = rootVersion();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'fedgate.cjs');
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['infra/packages/fedgate-bin.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    outfile: file,
    banner: { js: '#!/usr/bin/env node' },
    define: { FEDGATE_CLI_VERSION: JSON.stringify(version) },
    metafile: true,
    logLevel: 'silent',
  });
  for (const [input, info] of Object.entries(result.metafile.inputs)) {
    if (!input.startsWith('shared/cli-client/') && input !== 'infra/packages/fedgate-bin.ts') {
      throw new Error(
        `the CLI bundle would contain ${input}: only shared/cli-client belongs in it`,
      );
    }
    for (const imp of info.imports) {
      if (imp.external && !imp.path.startsWith('node:')) {
        throw new Error(`${input} imports ${imp.path}: the CLI may import node: built-ins only`);
      }
    }
  }
  chmodSync(file, 0o755);
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'fedgate-cli',
        version,
        description: 'The fedgate CLI: AWS credentials from your company sign-in, in the terminal.',
        license: 'Apache-2.0',
        bin: { fedgate: 'fedgate.cjs' },
        files: ['fedgate.cjs', 'README.md'],
        engines: { node: '>=20' },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(outDir, 'README.md'), README(version));
  return { dir: outDir, name: 'fedgate-cli', version, file, bytes: statSync(file).size };
};

/**
 * `npm pack` of a built package directory into `destination`; returns the tarball's path.
 * No scripts run (there are none, and `--ignore-scripts` makes sure).
 */
export const packPackage = (dir: string, destination: string): string => {
  mkdirSync(destination, { recursive: true });
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', destination],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [packed] = JSON.parse(out) as { filename: string }[];
  if (!packed) throw new Error(`npm pack produced nothing in ${dir}`);
  return join(destination, packed.filename);
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildCliPackage();
  console.log(`${built.file}: ${(built.bytes / 1024).toFixed(1)} KiB`);
  if (process.argv.includes('--pack')) {
    console.log(packPackage(built.dir, join(REPO_ROOT, 'dist')));
  }
}
