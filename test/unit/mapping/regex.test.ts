import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { checkConfigPatterns, MAX_PROGRAM_SIZE } from '../../../shared/mapping/index.js';
import { regex } from './fixtures.js';

describe('the RE2 engine', () => {
  it('matches the whole value, by code point, case-insensitively only when asked', () => {
    const p = regex.compile('a|bc', false);
    if (typeof p === 'string') throw new Error(p);
    expect(['a', 'bc', 'abc', 'A'].map((v) => p.fullMatch(v))).toEqual([true, true, false, false]);
    const folded = regex.compile('admins', true);
    if (typeof folded === 'string') throw new Error(folded);
    expect(folded.fullMatch('ADMINS')).toBe(true);
  });

  it.each([
    ['RE2 syntax beyond JavaScript', '(?P<team>[a-z]+)-\\x{1F600}\\p{Greek}[[:digit:]]'],
    ['a lazy bounded repeat', 'a{2,5}?'],
  ])('compiles %s', (_, pattern) => {
    expect(typeof regex.compile(pattern, false)).toBe('object');
  });

  it('refuses what RE2 refuses, and programs over the size cap, with the reason', () => {
    expect(regex.compile('\\p{NoSuchScript}', false)).toMatch(/^RE2 refuses it: /);
    expect(regex.compile('a{1001}', false)).toMatch(/^RE2 refuses it: .*repeat count/);
    expect(
      regex.compile('[\\p{L}\\p{N}]{1,1000}[\\p{L}\\p{N}]{1,1000}[\\p{L}\\p{N}]{1,1000}', false),
    ).toMatch(new RegExp(`more than ${MAX_PROGRAM_SIZE}$`));
  });
});

describe('checkConfigPatterns', () => {
  it('names every pattern RE2 will not run by its path, gateway rules included', () => {
    const config = parseGatewayConfig({
      version: 1,
      gatewayRules: [
        {
          id: 'g',
          priority: 1,
          effect: 'deny',
          when: [{ claim: 'x', op: 'matches', value: '\\p{Nope}', quantifier: 'any' }],
        },
      ],
      idps: [
        {
          id: 'okta',
          displayName: 'Okta',
          protocol: 'saml',
          saml: { entityId: 'e', signingCertificates: ['A'.repeat(80)] },
          rules: [
            {
              id: 'ok',
              priority: 1,
              effect: 'allow',
              when: [{ claim: 'g', op: 'matches', value: 'aws-.*' }],
              grant: { roleArn: 'arn:aws:iam::111122223333:role/R' },
            },
            {
              id: 'bad',
              priority: 2,
              effect: 'allow',
              when: [
                { claim: 'g', op: 'equals', value: 'x' },
                { claim: 'g', op: 'matches', value: 'a{1001}' },
              ],
              grant: { roleArn: 'arn:aws:iam::111122223333:role/S' },
            },
          ],
        },
      ],
    });
    expect(checkConfigPatterns(config, regex).map((i) => i.path)).toEqual([
      'gatewayRules[0].when[0].value',
      'idps[0].rules[1].when[1].value',
    ]);
  });
});
