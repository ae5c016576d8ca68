import { foldValue, isBlankValue } from '../config/index.js';
import type { Identity } from './types.js';

/**
 * Reads a claim's values by exact name, or `undefined` when the claim is missing. A claim present
 * with no values counts as missing: a rule or template cannot tell the two apart, and both mean
 * "the IdP did not say".
 * @example readClaim(identity, 'groups') // ['aws-admins', 'eng'] or undefined
 */
export const readClaim = (identity: Identity, name: string): readonly string[] | undefined => {
  // Own properties only: a claim named "constructor" or "__proto__" must not reach Object.prototype.
  if (!Object.hasOwn(identity.claims, name)) return undefined;
  const values = identity.claims[name];
  return values !== undefined && values.length > 0 ? values : undefined;
};

/** How a condition compares values: as sent, or folded (see fold.ts). */
export type CaseMode = 'exact' | 'fold';

/** One identity's claims, with each claim's normalised value set built on first use. */
export interface ClaimView {
  readonly identity: Identity;
  /**
   * The claim's values as a set, after a condition's normalisation: blank values (empty, white
   * space, default-ignorable code points only) dropped, and in `fold` mode each value folded.
   * `undefined` when no value remains: the claim is **missing**, whether it was not sent, sent
   * with no value or sent blank. Duplicates and order never matter.
   */
  valueSet(name: string, mode: CaseMode): ReadonlySet<string> | undefined;
}

/**
 * Wraps an identity for rule evaluation: each claim is normalised once per case mode, so a
 * thousand `equals` rules against a 200-value groups claim cost one set build plus a thousand
 * lookups, not 200,000 string comparisons.
 */
export const createClaimView = (identity: Identity): ClaimView => {
  const sets = { exact: new Map(), fold: new Map() } as Record<
    CaseMode,
    Map<string, ReadonlySet<string> | undefined>
  >;
  return {
    identity,
    valueSet(name, mode) {
      const cache = sets[mode];
      if (cache.has(name)) return cache.get(name);
      const set = new Set<string>();
      for (const v of readClaim(identity, name) ?? []) {
        if (typeof v !== 'string' || isBlankValue(v)) continue;
        const normalised = mode === 'fold' ? foldValue(v) : v;
        if (normalised !== '') set.add(normalised);
      }
      const result = set.size > 0 ? set : undefined;
      cache.set(name, result);
      return result;
    },
  };
};
