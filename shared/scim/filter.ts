import { scimBadRequest } from './errors.js';

/** One `attribute eq "value"` comparison of a filter, the attribute in its canonical spelling. */
export interface FilterComparison {
  attribute: string;
  value: string;
}

/** The longest filter accepted, in characters: IdPs send `userName eq "…"`, a few hundred at most. */
export const MAX_FILTER_LENGTH = 1024;
/** The most comparisons joined by `and`. */
export const MAX_FILTER_COMPARISONS = 4;

const WS = /[ \t]/;
const NAME_CHAR = /[A-Za-z0-9_.$:-]/;

/**
 * Parses the strict subset of the RFC 7644 §3.4.2.2 filter grammar that provisioning clients
 * send: `attr eq "value"` comparisons joined by `and`, on the attributes the caller allows
 * (names and operators case-insensitive, values JSON strings). One left-to-right pass over at most
 * {@link MAX_FILTER_LENGTH} characters, no recursion and no regular expression over the input, so
 * its cost is linear and bounded whatever the input. Anything else — other operators (`co`, `sw`,
 * `pr`, `gt`…), `or`, `not`, parentheses, value paths (`emails[type eq "work"]`), unquoted values,
 * unknown attributes — is refused, never approximated: a filter fedgate does not fully understand
 * must not select other resources than the client meant.
 * @param allowed canonical attribute names, e.g. `['userName', 'externalId', 'id']`.
 * @throws scim_invalid_filter (400, scimType invalidFilter) with what is supported.
 * @example parseFilter('userName eq "alice@example.com"', ['userName'])
 *   // [{ attribute: 'userName', value: 'alice@example.com' }]
 */
export const parseFilter = (input: string, allowed: readonly string[]): FilterComparison[] => {
  const supported = `supported: ${allowed.map((a) => `${a} eq "…"`).join(', ')}, joined by "and"`;
  const refuse = (why: string) => scimBadRequest('invalidFilter', `${why}; ${supported}`);
  if (input.length > MAX_FILTER_LENGTH) {
    throw refuse(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const canonical = new Map(allowed.map((a) => [a.toLowerCase(), a]));
  let i = 0;
  const skipSpace = (required: boolean) => {
    const start = i;
    while (i < input.length && WS.test(input.charAt(i))) i += 1;
    if (required && i === start) throw refuse(`expected a space at ${i}`);
  };
  const readWord = (): string => {
    const start = i;
    while (i < input.length && NAME_CHAR.test(input.charAt(i))) i += 1;
    return input.slice(start, i);
  };
  const readString = (): string => {
    if (input.charAt(i) !== '"') throw refuse(`expected a quoted string at ${i}`);
    const start = i;
    i += 1;
    while (i < input.length) {
      const c = input.charAt(i);
      if (c === '\\') i += 2;
      else if (c === '"') break;
      else i += 1;
    }
    if (i >= input.length) throw refuse('unterminated string');
    i += 1;
    let value: unknown;
    try {
      value = JSON.parse(input.slice(start, i));
    } catch {
      throw refuse(`the string at ${start} is not a JSON string`);
    }
    if (typeof value !== 'string' || value.length === 0) {
      throw refuse(`the value at ${start} is empty`);
    }
    return value;
  };

  const comparisons: FilterComparison[] = [];
  skipSpace(false);
  for (;;) {
    const at = i;
    const name = readWord();
    const attribute = canonical.get(name.toLowerCase());
    if (!name) throw refuse(`expected an attribute name at ${at}`);
    if (attribute === undefined)
      throw refuse(`attribute "${name.slice(0, 64)}" cannot be filtered on`);
    skipSpace(true);
    const op = readWord().toLowerCase();
    if (op !== 'eq') throw refuse(`operator "${op.slice(0, 16)}" is not supported`);
    skipSpace(true);
    comparisons.push({ attribute, value: readString() });
    if (comparisons.length > MAX_FILTER_COMPARISONS) {
      throw refuse(`more than ${MAX_FILTER_COMPARISONS} comparisons`);
    }
    skipSpace(false);
    if (i >= input.length) break;
    if (readWord().toLowerCase() !== 'and') throw refuse(`expected "and" or the end at ${i}`);
    skipSpace(true);
  }
  return comparisons;
};
