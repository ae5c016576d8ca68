import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * `npm run events` records fresh events for `npm run invoke`; the events in events/ are
 * committed samples. A run must leave every tracked file as it was.
 */

/** The tracked files git sees changed, and the committed samples' bytes. */
const gitStatus = async () => ({
  changed: (
    await promisify(execFile)('git', ['diff', '--name-only', 'HEAD'], {
      maxBuffer: 10 * 1024 * 1024,
    })
  ).stdout,
  samples: await Promise.all(
    (await readdir('events')).sort().map(async (f) => [f, await readFile(`events/${f}`, 'utf8')]),
  ),
});

const runEvents = (args: string[]): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'infra/local/make-events.ts', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });

describe('npm run events', () => {
  it('writes its events under .local/events and changes no tracked file', async () => {
    const before = await gitStatus();
    await rm('.local/events/home.default.json', { force: true });
    const { code, output } = await runEvents(['home.']);
    expect(code).toBe(0);
    expect(output).toContain('wrote .local/events/home.default.json');
    expect(await gitStatus()).toEqual(before);
    const event = JSON.parse(await readFile('.local/events/home.default.json', 'utf8')) as {
      routeKey: string;
      requestContext: { domainName: string };
    };
    expect(event).toMatchObject({
      routeKey: 'GET /',
      requestContext: { domainName: '127.0.0.1:8787' },
    });
  });
});
