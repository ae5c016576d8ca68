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
  // `directory.*` is the directory's namespace: a token claim of that name (an identity the
  // directory was not joined to, or a forged one) is never read as directory data.
  if (name.startsWith('directory.')) {
    const source = identity.provenance?.[name];
    if (source === undefined || source === 'token' || source === 'token+directory') {
      return undefined;
    }
  }
  const values = identity.claims[name];
  return values !== undefined && values.length > 0 ? values : undefined;
};

/** How a condition compares values: as sent, or folded (see fold.ts). */
export type CaseMode = 'exact' | 'fold';

/** Reads the values a deny condition sees: the union of both sources for a merged claim. */
export const readDenyClaim = (identity: Identity, name: string): readonly string[] | undefined => {
  const union = identity.unionClaims;
  if (union !== undefined && Object.hasOwn(union, name)) {
    const values = union[name];
    return values !== undefined && values.length > 0 ? values : undefined;
  }
  return readClaim(identity, name);
};

/** One identity's claims, with each claim's normalised value set built on first use. */
export interface ClaimView {
  readonly identity: Identity;
  /**
   * The claim's values as a set, after a condition's normalisation: blank values (empty, white
   * space, default-ignorable code points only) dropped, and in `fold` mode each value folded.
   * `undefined` when no value remains: the claim is **missing**, whether it was not sent, sent
   * with no value or sent blank. Duplicates and order never matter. `deny` reads a merged
   * claim's union of token and directory values (shared/mapping/directory.ts).
   */
  valueSet(name: string, mode: CaseMode, side?: 'allow' | 'deny'): ReadonlySet<string> | undefined;
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
  const denySets = { exact: new Map(), fold: new Map() } as typeof sets;
  const hasUnion = identity.unionClaims !== undefined;
  return {
    identity,
    valueSet(name, mode, side = 'allow') {
      const deny = side === 'deny' && hasUnion;
      const cache = (deny ? denySets : sets)[mode];
      if (cache.has(name)) return cache.get(name);
      const set = new Set<string>();
      for (const v of (deny ? readDenyClaim(identity, name) : readClaim(identity, name)) ?? []) {
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
