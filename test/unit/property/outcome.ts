import { GatewayError } from '../../../shared/http/errors.js';

/**
 * What one call did: returned a value, or threw a GatewayError with this code. Anything else
 * thrown (a TypeError from a DOM walk, a library's bare Error, a string) is re-thrown, so the
 * property fails with fast-check's counterexample and seed: that is the bug these tests look for.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: GatewayError };

export const outcomeOf = <T>(fn: () => T): Outcome<T> => {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof GatewayError) return { ok: false, error: err };
    throw err;
  }
};

/** Runs `fn`; a refusal must be a GatewayError with one of `codes`, otherwise the property fails. */
export const refusedWith = (
  codes: readonly string[],
  fn: () => unknown,
): GatewayError | undefined => {
  const outcome = outcomeOf(fn);
  if (outcome.ok) return undefined;
  if (!codes.includes(outcome.error.code)) {
    throw new Error(`refused with code ${outcome.error.code}, expected one of ${codes.join(', ')}`);
  }
  return outcome.error;
};

/**
 * fast-check options for every property here: a fixed seed (CI is reproducible; a failure prints
 * the seed and the shrunk counterexample) and `base` runs. `FC_SEED=<n>` or `FC_SEED=random`
 * explores other inputs, `FC_RUNS_FACTOR=10` runs ten times as many (a soak, outside CI).
 */
export const fcOptions = (base: number): { numRuns: number; seed: number } => {
  const factor = Number(process.env.FC_RUNS_FACTOR ?? '1');
  const seedEnv = process.env.FC_SEED;
  const seed =
    seedEnv === 'random'
      ? Math.floor(Math.random() * 2 ** 31)
      : seedEnv !== undefined && Number.isInteger(Number(seedEnv))
        ? Number(seedEnv)
        : 20_261_202;
  return {
    numRuns: Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1))),
    seed,
  };
};
