import type { Clock } from '../../shared/clock.js';

/** A clock a test moves by hand (shared/clock.ts: epoch milliseconds). */
export interface FakeClock extends Clock {
  /** Moves the time on by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the time to `ms` epoch milliseconds. */
  set(ms: number): void;
}

/**
 * The one fake clock of the tests: starts at `startMs` epoch milliseconds and moves only when
 * told. Most tests pin a time written in seconds: {@link clockAtSeconds}.
 * @example const clock = fakeClock(Date.UTC(2026, 0, 1)); clock.advance(61_000);
 */
export const fakeClock = (startMs: number): FakeClock => {
  let t = startMs;
  const clock = (() => t) as FakeClock;
  clock.advance = (ms) => {
    t += ms;
  };
  clock.set = (ms) => {
    t = ms;
  };
  return clock;
};

/** A fake clock at `epochSeconds` (e.g. a test's `NOW = 1_795_338_000`). */
export const clockAtSeconds = (epochSeconds: number): FakeClock => fakeClock(epochSeconds * 1000);

/**
 * A clock that follows a test's own seconds function (a `let t` it moves): for rigs whose stores
 * still count in seconds. Prefer {@link fakeClock}.
 */
export const clockFromSeconds =
  (seconds: () => number): Clock =>
  () =>
    seconds() * 1000;
