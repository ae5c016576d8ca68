import { describe, expect, it } from 'vitest';
import { MAX_FILTER_LENGTH, parseFilter } from '../../../shared/scim/filter.js';

const USERS = ['userName', 'externalId', 'id'];

describe('parseFilter', () => {
  it.each([
    ['userName eq "alice@example.com"', [{ attribute: 'userName', value: 'alice@example.com' }]],
    // Attribute names and operators are case-insensitive (RFC 7644 §3.4.2.2); the canonical name comes back.
    ['USERNAME EQ "a"', [{ attribute: 'userName', value: 'a' }]],
    ['  externalId eq "00u1"  ', [{ attribute: 'externalId', value: '00u1' }]],
    [
      'userName eq "a" and externalId eq "b"',
      [
        { attribute: 'userName', value: 'a' },
        { attribute: 'externalId', value: 'b' },
      ],
    ],
    // JSON string escapes are decoded once.
    ['userName eq "a\\"b\\\\c\\u0041"', [{ attribute: 'userName', value: 'a"b\\cA' }]],
  ])('reads %s', (filter, expected) => {
    expect(parseFilter(filter, USERS)).toEqual(expected);
  });

  it.each([
    ['an operator it does not support', 'userName co "a"'],
    ['sw', 'userName sw "a"'],
    ['pr (no value)', 'userName pr'],
    ['or', 'userName eq "a" or userName eq "b"'],
    ['not', 'not (userName eq "a")'],
    ['parentheses', '(userName eq "a")'],
    ['a value path', 'emails[type eq "work"].value eq "a"'],
    ['an unknown attribute', 'title eq "boss"'],
    ['an unquoted value', 'userName eq alice'],
    ['a boolean', 'active eq true'],
    ['an empty value', 'userName eq ""'],
    ['an unterminated string', 'userName eq "abc'],
    ['trailing text', 'userName eq "a" x'],
    ['a missing space', 'userNameeq "a"'],
    ['an empty filter', ''],
    ['too many comparisons', Array(5).fill('id eq "x"').join(' and ')],
  ])('refuses %s with invalidFilter', (_what, filter) => {
    expect(() => parseFilter(filter, USERS)).toThrow(
      expect.objectContaining({
        code: 'scim_invalid_filter',
        status: 400,
        scimType: 'invalidFilter',
      }),
    );
  });

  it('refuses a filter longer than the bound before reading it', () => {
    const long = `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`;
    expect(() => parseFilter(long, USERS)).toThrow(
      expect.objectContaining({ code: 'scim_invalid_filter' }),
    );
  });

  it('takes linear time on adversarial input (a long run of backslashes and quotes)', () => {
    const nasty = `userName eq "${'\\"'.repeat(400)}`;
    expect(() => parseFilter(nasty, USERS)).toThrow(
      expect.objectContaining({ code: 'scim_invalid_filter' }),
    );
  });
});
