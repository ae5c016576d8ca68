import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { epochSeconds, systemClock } from '../../shared/clock.js';
import { clockAtSeconds, fakeClock } from '../support/clock.js';

const repo = join(import.meta.dirname, '../..');

describe('the one clock (shared/clock.ts)', () => {
  afterEach(() => vi.useRealTimers());

  it('systemClock is the machine’s epoch milliseconds', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 7, 6, 0, 0, 750) });
    expect(systemClock()).toBe(Date.UTC(2026, 11, 7, 6, 0, 0, 750));
  });

  it('epochSeconds floors to whole seconds (JWT iat/exp, TTL, SAML instants)', () => {
    expect(epochSeconds(() => 1_700_000_000_999)).toBe(1_700_000_000);
    expect(epochSeconds(() => 1_700_000_000_000)).toBe(1_700_000_000);
  });

  it('the tests’ fake clock moves only when told', () => {
    const clock = fakeClock(5_000);
    expect(clock()).toBe(5_000);
    clock.advance(1_500);
    expect(clock()).toBe(6_500);
    clock.set(0);
    expect(clock()).toBe(0);
    expect(clockAtSeconds(1_795_338_000)()).toBe(1_795_338_000_000);
  });

  it('no factory in shared/ or infra/ takes a clock of its own kind (`now?: () => number`, seconds or Date)', () => {
    const hooks: string[] = [];
    for (const dir of ['shared', 'infra']) {
      for (const f of readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' })) {
        // The two packages fedgate ships to other machines import nothing from shared/ (clock.ts).
        if (!f.endsWith('.ts') || /^(cli-client|browser-client)\//.test(f)) continue;
        const text = readFileSync(join(repo, dir, f), 'utf8');
        const found = text.match(/\bnow(Ms)?\?: \(\) => (number|Date)|\bnowMs: \(\) => number/g);
        if (found) hooks.push(`${dir}/${f}: ${found.join(', ')}`);
      }
    }
    // Request durations are monotonic (performance.now), not a wall clock.
    expect(hooks).toEqual(['shared/http/outcome.ts: now?: () => number']);
  });
});
