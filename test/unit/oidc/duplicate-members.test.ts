import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateMember } from '../../../shared/oidc/duplicate-members.js';
import { fcOptions } from '../property/outcome.js';

describe('findDuplicateMember', () => {
  it('finds nothing in any JSON.stringify output (names with escapes, quotes, unicode)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(findDuplicateMember(JSON.stringify(v))).toBeUndefined();
      }),
      fcOptions(2000),
    );
  });

  it('finds a name repeated in any object, at any depth, however it is escaped', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue(), { minKeys: 1 }),
        fc.boolean(),
        fc.boolean(),
        (object, escaped, nest) => {
          const [name] = Object.keys(object) as [string];
          const spelled = escaped
            ? `"${name
                .split('')
                .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
                .join('')}"`
            : JSON.stringify(name);
          const text = `${JSON.stringify(object).slice(0, -1)},${spelled}:null}`;
          const json = nest ? `{"outer":[1,${text}]}` : text;
          expect(findDuplicateMember(json)).toBe(name);
        },
      ),
      fcOptions(2000),
    );
  });
});
