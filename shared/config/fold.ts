/**
 * Case-insensitive comparison of claim values that re-casing cannot escape.
 *
 * `toLowerCase()` alone is not enough: `"ß".toLowerCase()` is `ß` but `"ß".toUpperCase()` is `SS`,
 * `ſ` (long s) and `K` (Kelvin sign) upper-case to ASCII letters, `İ` lower-cases to two code
 * points, and `ẞ` lower-cases to `ß`, which upper-cases to `SS`. A deny on `contractor` compared
 * with `toLowerCase()` is escaped by `contraKtor`-style spellings; one compared on a fold that
 * changes under re-casing is escaped by re-casing.
 */

/** Unicode White_Space at either end (what `trim()` removes, plus nothing else). */
const EDGE_SPACE = /^\s+|\s+$/gu;
/**
 * Default_Ignorable_Code_Point: zero-width spaces and joiners, soft hyphen, bidi controls,
 * variation selectors, tag characters. Unicode's NFKC_Casefold drops them, and so do we: a
 * deny on `contractor` must not be escaped by `contra\u200Bctor`.
 */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
/**
 * Printable ASCII and space: no case mapping leaves ASCII or changes length, NFKC leaves it as it
 * is and none of it is default-ignorable, so its fold is just lower case, trimmed. Most claim
 * values (group names, ids) are ASCII, and a 200-group claim is folded on every sign-in.
 */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
/** The fold reaches its fixpoint in two rounds for every string we know of; four is a margin. */
const MAX_ROUNDS = 4;

// Case mapping before NFKC: NFKC reorders combining marks, and U+0345 (a combining mark) maps
// to a base letter (Ι/ι), so normalising first would fold `̇ͅ` and `Ι̇` differently.
const round = (s: string): string =>
  s.toUpperCase().toLowerCase().normalize('NFKC').replace(IGNORABLE, '');

/**
 * Folds a value for case-insensitive comparison, in the spirit of Unicode's NFKC_Casefold:
 * upper-case then lower-case (so `ß`, `ẞ`, `SS` and `ss` meet at `ss`, `ſ` and `K` at `s` and
 * `k`), NFKC (compatibility forms: `ﬁ` → `fi`, full-width `ｃ` → `c`), drop default-ignorable
 * code points, repeated until nothing changes (NFKC can produce upper case: `℡` → `TEL`); then
 * trim surrounding white space. Re-casing a
 * value (`toUpperCase`, `toLowerCase`, or either applied to any single character) never changes
 * its fold: test/unit/property/mapping-fold.test.ts checks that over arbitrary Unicode strings.
 * @example foldValue('  STRAẞE ') === foldValue('strasse') // true
 */
export const foldValue = (value: string): string => {
  if (PLAIN_ASCII.test(value)) return value.toLowerCase().replace(EDGE_SPACE, '');
  let current = value;
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const next = round(current);
    if (next === current) break;
    current = next;
  }
  return current.replace(EDGE_SPACE, '');
};

/**
 * Whether a value counts as not sent: empty or white space only (after NFKC, so a no-break or
 * ideographic space is white space too) or nothing but default-ignorable code points. An IdP
 * sending `employeeType: ""` says nothing about the person, and must not escape a deny by it.
 */
export const isBlankValue = (value: string): boolean =>
  PLAIN_ASCII.test(value)
    ? value.trim() === ''
    : value.normalize('NFKC').replace(IGNORABLE, '').replace(EDGE_SPACE, '') === '';
