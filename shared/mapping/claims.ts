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

/** One identity's claims, with membership sets built on first use (one per claim and case mode). */
export interface ClaimView {
  readonly identity: Identity;
  /** The claim's values, or `undefined` when it is missing (see {@link readClaim}). */
  values(name: string): readonly string[] | undefined;
  /** Whether some value of the claim equals `value` (`value` already lowercased if `ignoreCase`). */
  has(name: string, value: string, ignoreCase: boolean): boolean;
}

/**
 * Wraps an identity for rule evaluation: a thousand `contains` rules against a 200-value groups
 * claim cost one set build plus a thousand lookups, not 200,000 string comparisons.
 */
export const createClaimView = (identity: Identity): ClaimView => {
  const exact = new Map<string, ReadonlySet<string>>();
  const folded = new Map<string, ReadonlySet<string>>();
  const setOf = (name: string, ignoreCase: boolean): ReadonlySet<string> => {
    const cache = ignoreCase ? folded : exact;
    let set = cache.get(name);
    if (set === undefined) {
      const values = readClaim(identity, name) ?? [];
      set = new Set(ignoreCase ? values.map((v) => v.toLowerCase()) : values);
      cache.set(name, set);
    }
    return set;
  };
  return {
    identity,
    values: (name) => readClaim(identity, name),
    has: (name, value, ignoreCase) => setOf(name, ignoreCase).has(value),
  };
};
