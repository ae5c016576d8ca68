import type { ClaimSource, DirectoryFacts, Identity } from './types.js';

/** The prefix of every name the directory supplies: a token claim of that name is ignored. */
export const DIRECTORY_PREFIX = 'directory.';

/** Which source wins for one claim (the IdP config's `directory.claims`). */
export interface ClaimMerge {
  /** The directory name that supplies it, e.g. `directory.groups`. */
  from: string;
  prefer: 'token' | 'directory' | 'union';
}

/** The directory name overage fills a groups claim from: the groups' ids, as Entra sends them. */
export const OVERAGE_SOURCE = 'directory.groups';

const union = (a: readonly string[] = [], b: readonly string[] = []): string[] => [
  ...new Set([...a, ...b]),
];

const has = (values: readonly string[] | undefined): values is readonly string[] =>
  values !== undefined && values.length > 0;

/**
 * The identity the rules read once the directory is joined (shared/directory/README.md):
 * - token claims named `directory.…` are dropped: that namespace is the directory's alone;
 * - the directory's `directory.*` values are added (none when `facts` is undefined: the person is
 *   not in the directory, and rules on `directory.*` see missing claims);
 * - each merged claim gets the preferred source's values (`token`: the directory fills in when
 *   the token has none; `directory`: the token fills in; `union`), and its union of both in
 *   `unionClaims`, which deny conditions read, so that no choice of source escapes a deny;
 * - each overage claim (`groupsOverage`) gets the directory's group ids (the same values the token
 *   would have carried); without facts it stays missing, and the caller refuses the sign-in.
 * Pure: the same input always gives the same identity.
 * @example applyDirectory(identity, facts, { groups: { from: 'directory.groups', prefer: 'union' } })
 */
export const applyDirectory = (
  identity: Identity,
  facts: DirectoryFacts | undefined,
  merges: Readonly<Record<string, ClaimMerge>> = {},
): Identity => {
  const claims: Record<string, readonly string[]> = {};
  const provenance: Record<string, ClaimSource> = {};
  for (const [name, values] of Object.entries(identity.claims)) {
    if (name.startsWith(DIRECTORY_PREFIX)) continue;
    claims[name] = values;
    provenance[name] = 'token';
  }
  if (facts) {
    for (const [name, values] of Object.entries(facts.values)) {
      if (!name.startsWith(DIRECTORY_PREFIX)) continue;
      claims[name] = values;
      provenance[name] = facts.sources[name] ?? 'directory:scim';
    }
  }
  const unionClaims: Record<string, readonly string[]> = {};
  const fill = (name: string, from: string, prefer: ClaimMerge['prefer']) => {
    const token =
      Object.hasOwn(claims, name) && !name.startsWith(DIRECTORY_PREFIX) ? claims[name] : undefined;
    const directory = facts && Object.hasOwn(facts.values, from) ? facts.values[from] : undefined;
    const both = union(token, directory);
    const chosen =
      prefer === 'union'
        ? both
        : prefer === 'directory'
          ? has(directory)
            ? directory
            : token
          : has(token)
            ? token
            : directory;
    if (has(chosen)) claims[name] = chosen;
    else delete claims[name];
    if (both.length > 0) unionClaims[name] = both;
    const fromToken = has(token) && (prefer !== 'directory' || !has(directory));
    const fromDirectory = has(directory) && (prefer !== 'token' || !has(token));
    if (fromToken && fromDirectory) provenance[name] = 'token+directory';
    else if (fromDirectory) provenance[name] = facts?.sources[from] ?? 'directory:scim';
    else if (fromToken) provenance[name] = 'token';
    else delete provenance[name];
  };
  for (const [name, merge] of Object.entries(merges)) {
    if (name.startsWith(DIRECTORY_PREFIX)) continue;
    fill(name, merge.from, merge.prefer);
  }
  // Overage: the token's groups are unknown, so the directory's are the only ones there are.
  for (const name of identity.groupsOverage ?? []) {
    if (name.startsWith(DIRECTORY_PREFIX)) continue;
    const merge = merges[name];
    fill(name, merge?.from ?? OVERAGE_SOURCE, 'directory');
  }
  const { groupsOverage: _overage, ...rest } = identity;
  return {
    ...rest,
    claims: Object.freeze(claims),
    ...(Object.keys(unionClaims).length > 0 ? { unionClaims: Object.freeze(unionClaims) } : {}),
    provenance: Object.freeze(provenance),
    ...(facts && facts.shortNames.size > 0 ? { shortNames: facts.shortNames } : {}),
  };
};
