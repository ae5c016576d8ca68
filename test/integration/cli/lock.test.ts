import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The state lock across real processes: 40 at once each read a counter, wait a little and write
 * it back incremented while holding the lock. Mutual exclusion means no increment is lost (an
 * earlier lock that could be read half-written lost some here: 32–39 of 40). The worker is the
 * CLI's own lock code, bundled as the CLI is.
 */
const WORKER = `import { readFileSync, writeFileSync } from 'node:fs';
import { withStateLock } from ${JSON.stringify(join(process.cwd(), 'shared/cli-client/state-file.ts'))};
const dir = process.argv[2];
const paths = { dir, state: dir + '/state.json', lock: dir + '/state.lock' };
await withStateLock(paths, { hostname: 'this-host' }, async () => {
  const n = Number(readFileSync(dir + '/counter', 'utf8'));
  await new Promise((done) => setTimeout(done, 5));
  writeFileSync(dir + '/counter', String(n + 1));
});
`;

describe('the state lock across processes', () => {
  let worker: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-lock-'));
    writeFileSync(join(dir, 'worker.ts'), WORKER);
    worker = join(dir, 'worker.mjs');
    await build({
      entryPoints: [join(dir, 'worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: worker,
      logLevel: 'silent',
    });
  });

  it.each([1, 2])('40 processes at once lose no update (round %i)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-lock-run-'));
    writeFileSync(join(dir, 'counter'), '0');
    const codes = await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<number | null>((done) =>
            spawn(process.execPath, [worker, dir], { stdio: 'ignore' }).once('close', done),
          ),
      ),
    );
    expect(codes.every((c) => c === 0)).toBe(true);
    expect(readFileSync(join(dir, 'counter'), 'utf8')).toBe('40');
    expect(readdirSync(dir)).toEqual(['counter']);
  });
});
