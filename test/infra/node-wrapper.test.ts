import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_MEMORY_MB,
  lambdaBootstrapNodeArgs,
  NODE_WRAPPER_FILE,
} from '../../infra/runtime/index.js';

// A file, not -e: node lists -e and its script in execArgv.
const PROBE = join(mkdtempSync(join(tmpdir(), 'fedgate-wrapper-')), 'probe.cjs');
writeFileSync(
  PROBE,
  'const v8 = require("node:v8");\n' +
    'process.stdout.write(JSON.stringify({ execArgv: process.execArgv, heapLimit: v8.getHeapStatistics().heap_size_limit }));\n',
);

/** Starts `node <args> <probe>` the way Lambda would, through the wrapper or not. */
const probe = (
  viaWrapper: boolean,
  args: string[],
  env: Record<string, string> = {},
): { execArgv: string[]; heapLimit: number } => {
  const command = [process.execPath, ...args, PROBE];
  const out = execFileSync(
    viaWrapper ? NODE_WRAPPER_FILE : command[0]!,
    viaWrapper ? command : command.slice(1),
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as { execArgv: string[]; heapLimit: number };
};

describe('Lambda exec wrapper (infra/runtime/fedgate-node)', () => {
  const lambdaArgs = lambdaBootstrapNodeArgs(FUNCTION_MEMORY_MB);

  it('reproduces the flags of Lambda’s Node.js bootstrap for the deployed memory size', () => {
    expect(lambdaBootstrapNodeArgs(512)).toEqual([
      '--expose-gc',
      '--max-semi-space-size=25',
      '--max-old-space-size=461',
    ]);
  });

  it('replaces the runtime’s semi-space size with 4 MB, adds eager feedback allocation, and keeps every other argument', () => {
    const wrapped = probe(true, lambdaArgs);
    expect(wrapped.execArgv).toEqual([
      '--no-lazy-feedback-allocation',
      '--expose-gc',
      '--max-semi-space-size=4',
      lambdaArgs[2],
    ]);
    // The heap V8 actually built is the one a direct start with 4 MB builds, and smaller than
    // the runtime's own: the flag took effect, not just the argument list.
    const direct = probe(false, ['--expose-gc', '--max-semi-space-size=4', lambdaArgs[2]!]);
    const unwrapped = probe(false, lambdaArgs);
    expect(wrapped.heapLimit).toBe(direct.heapLimit);
    expect(wrapped.heapLimit).toBeLessThan(unwrapped.heapLimit);
  });

  it('adds the flag after the interpreter when the runtime passes none', () => {
    expect(probe(true, []).execArgv).toEqual([
      '--max-semi-space-size=4',
      '--no-lazy-feedback-allocation',
    ]);
  });

  it('leaves the feedback flag out with FEDGATE_LAZY_FEEDBACK=1', () => {
    expect(probe(true, lambdaArgs, { FEDGATE_LAZY_FEEDBACK: '1' }).execArgv).toEqual([
      '--expose-gc',
      '--max-semi-space-size=4',
      lambdaArgs[2],
    ]);
  });

  it('adds only flags this node knows (node refuses to start on an unknown V8 flag)', () => {
    const out = execFileSync(NODE_WRAPPER_FILE, [process.execPath, ...lambdaArgs, '-p', '6 * 7'], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('42');
    expect(() =>
      execFileSync(process.execPath, ['--no-such-v8-flag-at-all', '-p', '1'], { stdio: 'pipe' }),
    ).toThrow();
  });

  it('takes another size from FEDGATE_MAX_SEMI_SPACE_MB and ignores an invalid one', () => {
    expect(probe(true, lambdaArgs, { FEDGATE_MAX_SEMI_SPACE_MB: '8' }).execArgv).toContain(
      '--max-semi-space-size=8',
    );
    for (const bad of ['0', '65', 'x', '4;rm']) {
      expect(probe(true, lambdaArgs, { FEDGATE_MAX_SEMI_SPACE_MB: bad }).execArgv).toEqual(
        lambdaArgs,
      );
    }
  });
});
