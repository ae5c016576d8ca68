/**
 * fedgate's one clock: epoch milliseconds, what `Date.now` gives. Every factory in shared/ and
 * infra/ that reads the time takes `clock?: Clock` (default {@link systemClock}) and converts to
 * seconds only where a format wants seconds — JWT `iat`/`exp`, DynamoDB TTL (`expiresAt`),
 * session bounds, SAML instants — with {@link epochSeconds}. Tests pin it with one fake clock
 * (test/support/clock.ts).
 *
 * Not a clock in this sense: request durations (`performance.now`, monotonic; shared/http/outcome.ts)
 * and the two packages fedgate ships to other machines (shared/cli-client, shared/browser-client),
 * which import nothing from here and keep their own `now` option, in epoch milliseconds too.
 */

/** Epoch milliseconds, as `Date.now()`. */
export type Clock = () => number;

/** The machine's clock. */
export const systemClock: Clock = () => Date.now();

/**
 * Whole epoch seconds of a clock's time (floored), for the formats that count in seconds.
 * @example epochSeconds(() => 1_700_000_000_999) // 1700000000
 */
export const epochSeconds = (clock: Clock): number => Math.floor(clock() / 1000);
