import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSessionName } from '../../../shared/aws-rules.js';
import { sanitizeSessionName } from '../../../shared/mapping/index.js';

const sha8 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
const subject = '00u1abcd';
const sanitize = (s: string) => sanitizeSessionName(s, subject);

describe('sanitizeSessionName', () => {
  it.each([
    ['jane.doe@example.com', 'jane.doe@example.com'],
    ['Az09_+=,.@-', 'Az09_+=,.@-'],
    ['José García', 'Jose-Garcia'],
    ['Ångström', 'Angstrom'],
    ['ﬁle', 'file'],
    ['ＡＢＣ１２３', 'ABC123'],
    ['Straße', 'Stra-e'],
    ['東京', '--'],
    ['😀x', '-x'],
    ['a/b:c d', 'a-b-c-d'],
    ['</saml:AttributeValue>', '--saml-AttributeValue-'],
    ['a\u0000b', 'a-b'],
    ['{subject}', '-subject-'],
  ])('%j → %j', (input, expected) => {
    expect(sanitize(input)).toBe(expected);
  });

  it('keeps 64 characters as they are', () => {
    expect(sanitize('a'.repeat(64))).toBe('a'.repeat(64));
  });

  it('cuts longer names to 55 characters plus "-" and 8 hex of the SHA-256 of the rendered value', () => {
    const long = 'a'.repeat(65);
    expect(sanitize(long)).toBe(`${'a'.repeat(55)}-${sha8(long)}`);
    expect(sanitize(long)).toHaveLength(64);
  });

  it('hashes the unsanitised value, so names that sanitise alike stay distinct when cut', () => {
    const accented = 'é'.repeat(70);
    const plain = 'e'.repeat(70);
    expect(sanitize(accented).slice(0, 55)).toBe(sanitize(plain).slice(0, 55));
    expect(sanitize(accented)).not.toBe(sanitize(plain));
    expect(sanitize(accented)).toBe(`${'e'.repeat(55)}-${sha8(accented)}`);
  });

  it('keeps long names that share a prefix distinct', () => {
    const prefix = 'x'.repeat(60);
    expect(sanitize(`${prefix}-alice`)).not.toBe(sanitize(`${prefix}-bob`));
  });

  it('replaces names shorter than 2 with "fg-" and 8 hex of the SHA-256 of the subject', () => {
    for (const short of ['', 'a', ' ', '\u0301']) {
      expect(sanitize(short)).toBe(`fg-${sha8(subject)}`);
    }
    expect(sanitize('ab')).toBe('ab');
  });

  it('is deterministic and always valid', () => {
    const alphabet = [
      'a',
      'Z',
      '9',
      'é',
      'ß',
      '東',
      '😀',
      ' ',
      ':',
      '/',
      ',',
      '\u0000',
      '\u0301',
      'ﬁ',
    ];
    for (let n = 0; n < 2000; n++) {
      let s = '';
      for (let i = 0, x = n; i < (n % 97) + (n % 3); i++, x = (x * 31 + 7) % 10_007) {
        s += alphabet[x % alphabet.length];
      }
      const once = sanitize(s);
      expect(checkSessionName(once)).toBeUndefined();
      expect(sanitize(s)).toBe(once);
    }
  });
});
