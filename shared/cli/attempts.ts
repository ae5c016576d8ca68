import { type Clock, epochSeconds, systemClock } from '../clock.js';
import { type AttemptCounter, STATE_KEY_PREFIXES, stateKey } from '../store/index.js';
import { hashedId } from './approval.js';
import { CliTooManyAttemptsError } from './errors.js';

/** How many user codes may be tried per source address and overall, per window. */
export interface UserCodeLimits {
  perSource: number;
  overall: number;
  windowSeconds: number;
}

/**
 * A person types a code once or twice; 20 tries per address per 10 minutes leaves room for typos
 * and shared NATs. The overall bound caps what a distributed guesser gets: 2,000 tries per window
 * against 2^34.6 codes.
 */
export const USER_CODE_LIMITS: UserCodeLimits = Object.freeze({
  perSource: 20,
  overall: 2000,
  windowSeconds: 600,
});

/**
 * Counts one user-code attempt (a lookup or a confirmation) against the source address's and the
 * overall window, and refuses it when either is over its limit. Every attempt counts, right or
 * wrong, so no read is needed before deciding (the count is one atomic increment each). The
 * address is hashed into the key.
 * @throws cli_too_many_attempts (429), temporarily_unavailable.
 */
export const createUserCodeLimiter =
  ({
    counter,
    limits = USER_CODE_LIMITS,
    clock = systemClock,
  }: {
    counter: AttemptCounter;
    limits?: UserCodeLimits;
    /** The clock (shared/clock.ts); windows count whole epoch seconds. */
    clock?: Clock;
  }) =>
  async (sourceIp: string): Promise<void> => {
    const window = Math.floor(epochSeconds(clock) / limits.windowSeconds);
    const endsAt = (window + 1) * limits.windowSeconds;
    const source = hashedId('fedgate-cli-attempts', sourceIp).slice(0, 22);
    const [mine, all] = await Promise.all([
      counter.add(stateKey(STATE_KEY_PREFIXES.attempts, `usercode#ip#${source}#${window}`), endsAt),
      counter.add(stateKey(STATE_KEY_PREFIXES.attempts, `usercode#all#${window}`), endsAt),
    ]);
    if (mine > limits.perSource) {
      throw new CliTooManyAttemptsError(`source over ${limits.perSource} user codes per window`);
    }
    if (all > limits.overall) {
      throw new CliTooManyAttemptsError(`over ${limits.overall} user codes per window overall`);
    }
  };

export type UserCodeLimiter = ReturnType<typeof createUserCodeLimiter>;
