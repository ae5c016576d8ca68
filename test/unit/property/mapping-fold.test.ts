/**
 * Properties of the case fold deny rules and `case: fold` conditions compare on
 * (shared/config/fold.ts): re-casing a value — toUpperCase, toLowerCase, or either applied to
 * any single character — never changes its fold, over arbitrary Unicode strings and over strings
 * built from the characters whose case mappings are irregular (ß/ẞ, İ/ı, ſ, Kelvin K, Ω, final
 * sigma, titlecase digraphs, combining marks that case-map to letters, ligatures).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { foldValue, isBlankValue } from '../../../shared/config/index.js';
import { fcOptions } from './outcome.js';

vi.setConfig({ testTimeout: 120_000 });

const IRREGULAR = [
  'ß',
  'ẞ',
  'SS',
  'ss',
  'ſ',
  'S',
  's',
  'K',
  'K',
  'k',
  'İ',
  'I',
  'i',
  'ı',
  '\u0307',
  'ﬁ',
  'ﬀ',
  'ΐ',
  'ς',
  'σ',
  'Σ',
  'ǅ',
  'ǆ',
  'Ǆ',
  'ŉ',
  'ǰ',
  'ᾳ',
  'ᾼ',
  '\u0345',
  'Ω',
  'Ω',
  'ω',
  'Å',
  'Å',
  'å',
  '\u0301',
  'e',
  'é',
  '\u200B',
  '\u00AD',
  '\u00A0',
  ' ',
  '\t',
  'ｃ',
  'Ｃ',
  '℡',
  'Ⅻ',
  '😀',
];

const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.array(fc.constantFrom(...IRREGULAR), { maxLength: 10 }).map((xs) => xs.join('')),
);
/** Per code point: leave it (0), upper-case it (1) or lower-case it (2). */
const picks = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 24 });
const recase = (s: string, p: readonly number[]) =>
  [...s]
    .map((c, i) => {
      const pick = p[i % p.length];
      return pick === 1 ? c.toUpperCase() : pick === 2 ? c.toLowerCase() : c;
    })
    .join('');

describe('foldValue', () => {
  it('is unchanged by re-casing the whole value or any of its characters', () => {
    fc.assert(
      fc.property(value, picks, (s, p) => {
        const f = foldValue(s);
        expect(foldValue(s.toUpperCase())).toBe(f);
        expect(foldValue(s.toLowerCase())).toBe(f);
        expect(foldValue(recase(s, p))).toBe(f);
      }),
      fcOptions(20_000),
    );
  });

  it('is idempotent, and ignores surrounding white space', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(' ', '\t', '\u00A0', '\u3000', '\n'), (s, pad) => {
        const f = foldValue(s);
        expect(foldValue(f)).toBe(f);
        expect(foldValue(`${pad}${s}${pad}`)).toBe(f);
      }),
      fcOptions(20_000),
    );
  });

  it('meets the irregular pairs', () => {
    for (const [a, b] of [
      ['straße', 'STRASSE'],
      ['STRAẞE', 'strasse'],
      ['ſtop', 'STOP'],
      ['\u212Aelvin', 'kelvin'],
      ['ﬁle', 'FILE'],
      ['ｃｏｎｔｒａｃｔｏｒ', 'Contractor'],
      ['contra\u200Bctor', 'contractor'],
      ['ΣΊΣΥΦΟΣ', 'σίσυφος'],
    ] as const) {
      expect(foldValue(a)).toBe(foldValue(b));
    }
  });

  it('a value is blank exactly when its fold is empty', () => {
    fc.assert(
      fc.property(value, (s) => {
        if (isBlankValue(s)) expect(foldValue(s)).toBe('');
        if (foldValue(s) === '') expect(isBlankValue(s)).toBe(true);
      }),
      fcOptions(20_000),
    );
  });
});

describe('foldValue on plain ASCII (its fast path)', () => {
  it('is what the general fold gives: lower case, trimmed', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 30,
        }),
        (s) => {
          // The general path, reached by a non-ASCII character that folds away (a zero-width space).
          expect(foldValue(s)).toBe(foldValue(`${s}\u200B`));
          expect(isBlankValue(s)).toBe(isBlankValue(`${s}\u200B`));
        },
      ),
      fcOptions(20_000),
    );
  });
});
