import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statePathsOf } from '../../../shared/cli-client/paths.js';
import {
  type CliState,
  readState,
  withStateLock,
  writeState,
} from '../../../shared/cli-client/state-file.js';

const fresh = () =>
  statePathsOf({
    platform: 'linux',
    env: { FEDGATE_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'fg-state-')), 'fedgate') },
    homedir: '/nonexistent',
  });

const state: CliState = { version: 1, gateway: 'https://sso.example.com', client: 'a@b' };

describe('the state file', () => {
  it('is written 0600 in a 0700 directory, atomically (no temporary file left)', () => {
    const paths = fresh();
    writeState(paths, state);
    expect(statSync(paths.state).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(paths.dir)).toEqual(['state.json']);
    expect(readState(paths)).toEqual(state);
  });

  it('reads a missing or damaged file as empty (never blocks credential_process for good)', () => {
    const paths = fresh();
    expect(readState(paths)).toEqual({ version: 1 });
    writeState(paths, state);
    writeFileSync(paths.state, '{"version":1,"gat');
    expect(readState(paths)).toEqual({ version: 1 });
    writeFileSync(paths.state, '{"version":7}');
    expect(readState(paths)).toEqual({ version: 1 });
  });
});

describe('withStateLock', () => {
  const opts = { hostname: 'this-host' };

  it('runs one holder at a time', async () => {
    const paths = fresh();
    const events: string[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        withStateLock(paths, opts, async () => {
          events.push(`in ${n}`);
          await new Promise((d) => setTimeout(d, 20));
          events.push(`out ${n}`);
        }),
      ),
    );
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace('in', 'out')).toBe(events[i + 1]);
    }
    expect(readdirSync(paths.dir).filter((f) => f.startsWith('state.lock'))).toEqual([]);
  });

  it('takes over a lock whose holder died (its pid is gone on this host)', async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => undefined); // creates the directory
    writeFileSync(
      paths.lock,
      JSON.stringify({ pid: 2 ** 22 + 17, host: 'this-host', at: Date.now(), token: 'dead' }),
    );
    let ran = false;
    await withStateLock(paths, { ...opts, isAlive: () => false, timeoutMs: 1000 }, async () => {
      ran = true;
      expect(JSON.parse(readFileSync(paths.lock, 'utf8')).pid).toBe(process.pid);
    });
    expect(ran).toBe(true);
  });

  it("takes over another host's lock only once it is older than staleMs", async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => undefined);
    const t0 = 1_000_000;
    let now = t0;
    writeFileSync(
      paths.lock,
      JSON.stringify({ pid: process.pid, host: 'other-host', at: t0, token: 'remote' }),
    );
    const sleeps: number[] = [];
    await withStateLock(
      paths,
      {
        ...opts,
        now: () => now,
        staleMs: 30_000,
        timeoutMs: 120_000,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += 10_000;
        },
      },
      async () => undefined,
    );
    // It waited (a live remote holder) while the lock was 0, 10, 20 and 30 s old, and took it
    // over at 40 s.
    expect(sleeps.length).toBe(4);
  });

  it('gives up on a live holder after timeoutMs with what to do (lock_timeout)', async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => undefined);
    let now = 0;
    writeFileSync(
      paths.lock,
      JSON.stringify({ pid: process.pid, host: 'this-host', at: 0, token: 'live' }),
    );
    await expect(
      withStateLock(
        paths,
        {
          ...opts,
          now: () => now,
          timeoutMs: 5000,
          staleMs: 60_000,
          sleep: async () => {
            now += 1000;
          },
        },
        async () => undefined,
      ),
    ).rejects.toMatchObject({ code: 'lock_timeout' });
  });

  it('waits for a lock that is still being written (empty), rather than taking it over', async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => undefined);
    // Another process has just created the lock file and not yet written its pid into it.
    writeFileSync(paths.lock, '');
    let waited = 0;
    await withStateLock(
      paths,
      {
        ...opts,
        sleep: async () => {
          // The other process finishes its refresh and releases the lock.
          if (++waited === 3) unlinkSync(paths.lock);
        },
      },
      async () => undefined,
    );
    expect(waited).toBe(3);
  });

  it('takes over an unreadable lock only once it is older than staleMs', async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => undefined);
    writeFileSync(paths.lock, 'garbage');
    const old = new Date(Date.now() - 120_000);
    utimesSync(paths.lock, old, old);
    let waited = 0;
    await withStateLock(
      paths,
      { ...opts, sleep: async () => void waited++ },
      async () => undefined,
    );
    expect(waited).toBe(0);
  });

  it("releases only its own lock (one taken over as stale is someone else's)", async () => {
    const paths = fresh();
    await withStateLock(paths, opts, async () => {
      writeFileSync(paths.lock, JSON.stringify({ pid: 1, host: 'x', at: 0, token: 'theirs' }));
    });
    expect(JSON.parse(readFileSync(paths.lock, 'utf8')).token).toBe('theirs');
  });
});
