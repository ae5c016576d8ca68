/**
 * Bundle size and cold import cost of each function, bundled the way the CDK app will bundle it
 * (esbuild, minified ESM for Node 22, everything inlined: AWS SDK clients included). Import cost
 * is measured in fresh processes against `node -e 0`, medians of several runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FUNCTIONS } from '../../infra/routes.js';
import { type BenchSuite, type Figure, printFigures } from './harness.js';

const RUNS = 9;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};

const timeNode = (args: string[], env: NodeJS.ProcessEnv): number => {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0)
      throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString().slice(0, 400)}`);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
};

// What a deployed function has in its environment (values only need to validate).
const functionEnv = {
  ...process.env,
  ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
  STATE_TABLE_NAME: 'fedgate-state',
  PUBLIC_BASE_URL: 'https://sso.example.com',
  AWS_REGION: 'eu-west-1',
  SIGNING_KEY_REF: 'file:/nonexistent.pem',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export const suite: BenchSuite = {
  title: 'bundles',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'fedgate-bundle-'));
    const baseline = timeNode(['-e', '0'], functionEnv);
    const figures: Figure[] = [
      { name: 'node -e 0', value: baseline, unit: 'ms', note: `median of ${RUNS}` },
    ];
    for (const fn of FUNCTIONS) {
      const outfile = join(dir, `${fn}.mjs`);
      await build({
        entryPoints: [`functions/${fn}.ts`],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        // The ESM builds of the SDK (its `module` entries) tree-shake; its CommonJS ones do not.
        mainFields: ['module', 'main'],
        outfile,
        logLevel: 'silent',
        // CommonJS dependencies (samlify, some SDK parts) need require in an ESM bundle.
        banner: {
          js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
        },
      });
      const loader = join(dir, `load-${fn}.mjs`);
      writeFileSync(loader, `await import(${JSON.stringify(outfile)});`);
      const importMs = timeNode([loader], functionEnv) - baseline;
      figures.push({ name: `${fn}: bundle`, value: statSync(outfile).size / 1024, unit: 'KiB' });
      figures.push({
        name: `${fn}: import over node -e 0`,
        value: importMs,
        unit: 'ms',
        note: `median of ${RUNS}`,
      });
    }
    printFigures('function bundles (esbuild, minified ESM, SDK clients inlined)', figures);
  },
};
