import { describe, expect, it } from 'vitest';
import { verifyIdTokenClaims } from '../../../shared/oidc/index.js';

const NOW_S = 1_800_000_000;
const policy = { clientId: 'fedgate', clockSkewSeconds: 60, now: NOW_S * 1000 + 999 };

const codeOf = (claims: Record<string, unknown>, p = policy): string => {
  try {
    verifyIdTokenClaims(claims, p);
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? `not a GatewayError: ${String(err)}`;
  }
};

describe('verifyIdTokenClaims', () => {
  describe('iat: not later than now + clock skew', () => {
    it.each([
      ['now', NOW_S, 'accepted'],
      ['an hour ago (oauth4webapi owns the past)', NOW_S - 3600, 'accepted'],
      ['at the skew (now + 60 s)', NOW_S + 60, 'accepted'],
      ['one second past the skew', NOW_S + 61, 'oidc_id_token_iat_future'],
      ['an hour in the future', NOW_S + 3600, 'oidc_id_token_iat_future'],
      ['fractional, just past the skew', NOW_S + 60.5, 'oidc_id_token_iat_future'],
    ])('%s: %s', (_, iat, expected) => {
      expect(codeOf({ iat })).toBe(expected);
    });

    it('with no skew configured, one second ahead is refused', () => {
      expect(codeOf({ iat: NOW_S + 1 }, { ...policy, clockSkewSeconds: 0 })).toBe(
        'oidc_id_token_iat_future',
      );
      expect(codeOf({ iat: NOW_S }, { ...policy, clockSkewSeconds: 0 })).toBe('accepted');
    });

    it.each([
      ['missing', {}],
      ['a string', { iat: String(NOW_S) }],
      ['not finite', { iat: Number.POSITIVE_INFINITY }],
      ['NaN', { iat: Number.NaN }],
    ])('iat %s: oidc_id_token_invalid', (_, claims) => {
      expect(codeOf(claims)).toBe('oidc_id_token_invalid');
    });
  });

  describe('azp: absent, or our client id', () => {
    it.each([
      ['absent', {}, 'accepted'],
      ['our client id', { azp: 'fedgate' }, 'accepted'],
      ['another client', { azp: 'other' }, 'oidc_audience_invalid'],
      ['our client id in another case', { azp: 'FEDGATE' }, 'oidc_audience_invalid'],
      ['not a string', { azp: ['fedgate'] }, 'oidc_audience_invalid'],
    ])('%s: %s', (_, claims, expected) => {
      expect(codeOf({ iat: NOW_S, ...claims })).toBe(expected);
    });

    it('a foreign azp is refused before iat is looked at (the audience is the stronger signal)', () => {
      expect(codeOf({ iat: NOW_S + 3600, azp: 'other' })).toBe('oidc_audience_invalid');
    });
  });
});
