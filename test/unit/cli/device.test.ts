import { describe, expect, it } from 'vitest';
import {
  deviceIdOf,
  formatUserCode,
  newDeviceCodes,
  normaliseUserCode,
  USER_CODE_ALPHABET,
} from '../../../shared/cli/index.js';

describe('device and user codes', () => {
  it('draws 8-character user codes from the 20 consonants and 256-bit device codes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const { deviceCode, userCode } = newDeviceCodes();
      expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      expect(deviceCode).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const c of userCode) seen.add(c);
    }
    // Every letter of the alphabet turns up (500 × 8 draws): no letter is left out by the draw.
    expect([...seen].sort().join('')).toBe(USER_CODE_ALPHABET);
  });

  it('has no vowels and no digits (no words, no 0/O or 1/I confusion)', () => {
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });

  it('shows codes as XXXX-XXXX', () => {
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  it.each([
    ['BCDF-GHJK', 'BCDFGHJK'],
    ['bcdf-ghjk', 'BCDFGHJK'],
    [' BCDF GHJK ', 'BCDFGHJK'],
    ['BCDFGHJK', 'BCDFGHJK'],
  ])('normalises %j', (input, code) => {
    expect(normaliseUserCode(input)).toBe(code);
  });

  it.each([
    [undefined],
    [''],
    ['BCDF-GHJ'],
    ['BCDF-GHJKL'],
    ['ABCD-EFGH'],
    ['BCDF-GHJ0'],
    ['BCDF_GHJK'],
    ['B'.repeat(40)],
  ])('does not take %j as a user code', (input) => {
    expect(normaliseUserCode(input)).toBeUndefined();
  });

  it('keys device requests by a hash of the device code, never the code', () => {
    const { deviceCode } = newDeviceCodes();
    expect(deviceIdOf(deviceCode)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(deviceIdOf(deviceCode)).not.toBe(deviceCode);
  });
});
