import { type RogueKey, type RogueOp, rogueKey, type Scenario } from './rogue-op.js';

/** One ID token shape of SECURITY.md §4's catalogue, and what fedgate answers to it. */
export interface IdTokenCase {
  name: string;
  /** What the rogue OP issues (a function: some cases need fresh keys or the OP's own). */
  scenario: (rogue: RogueOp) => Scenario | Promise<Scenario>;
  /** fedgate's answer: `accepted` or the error code it refuses with. */
  expected: string;
  /** The relying party's clock skew for this case (default 0). */
  clockSkewSeconds?: number;
}

type Claims = Record<string, unknown> & { iat: number };
const claims = (edit: (c: Claims) => Record<string, unknown>): Scenario => ({
  claims: (c) => edit(c as Claims),
});
const header = (edit: (h: Record<string, unknown>) => Record<string, unknown>): Scenario => ({
  header: edit,
});
const without =
  (name: string) =>
  (c: Record<string, unknown>): Record<string, unknown> => {
    const { [name]: _, ...rest } = c;
    return rest;
  };

/**
 * The ID token catalogue: each case changes one thing of the honest token. rogue-op.test.ts runs
 * it through fedgate's relying party (code and no role assumed); id-token-differential.test.ts
 * runs the same tokens through jose as well and fails on any disagreement.
 */
export const ID_TOKEN_CATALOGUE: readonly IdTokenCase[] = [
  // Accepted: the baseline and the variations a real OP may send.
  { name: 'the honest token', scenario: () => ({}), expected: 'accepted' },
  { name: 'typ absent', scenario: () => header(without('typ')), expected: 'accepted' },
  {
    name: 'typ "jwt" (lower case)',
    scenario: () => header((h) => ({ ...h, typ: 'jwt' })),
    expected: 'accepted',
  },
  {
    name: 'typ "application/jwt"',
    scenario: () => header((h) => ({ ...h, typ: 'application/jwt' })),
    expected: 'accepted',
  },
  {
    name: 'aud as a list of one',
    scenario: () => claims((c) => ({ ...c, aud: [c.aud] })),
    expected: 'accepted',
  },
  {
    name: 'extra aud with azp = our client',
    scenario: () => claims((c) => ({ ...c, aud: [c.aud, 'other'], azp: c.aud })),
    expected: 'accepted',
  },
  {
    name: 'azp = our client',
    scenario: () => claims((c) => ({ ...c, azp: c.aud })),
    expected: 'accepted',
  },
  {
    name: 'iat ten minutes ago, exp still ahead',
    scenario: () => claims((c) => ({ ...c, iat: c.iat - 600 })),
    expected: 'accepted',
  },
  {
    name: 'iat 20 s ahead within a 60 s skew',
    scenario: () => claims((c) => ({ ...c, iat: c.iat + 20 })),
    expected: 'accepted',
    clockSkewSeconds: 60,
  },
  {
    name: 'auth_time five minutes ago',
    scenario: () => claims((c) => ({ ...c, auth_time: c.iat - 300 })),
    expected: 'accepted',
  },

  // Refused.
  { name: 'alg none', scenario: () => ({ sign: 'none' }), expected: 'oidc_algorithm_not_allowed' },
  {
    name: 'HS256 keyed with the public key (RS/HS confusion)',
    scenario: () => ({ sign: 'hs256-public-key' }),
    expected: 'oidc_algorithm_not_allowed',
  },
  {
    name: 'bad signature',
    scenario: () => ({ sign: 'corrupt' }),
    expected: 'oidc_signature_invalid',
  },
  {
    name: 'wrong iss',
    scenario: () => claims((c) => ({ ...c, iss: 'https://evil.example' })),
    expected: 'oidc_issuer_invalid',
  },
  {
    name: 'wrong aud',
    scenario: () => claims((c) => ({ ...c, aud: 'someone-else' })),
    expected: 'oidc_audience_invalid',
  },
  {
    name: 'extra aud without azp',
    scenario: () => claims((c) => ({ ...c, aud: [c.aud, 'other'] })),
    expected: 'oidc_audience_invalid',
  },
  {
    name: 'wrong azp',
    scenario: () => claims((c) => ({ ...c, azp: 'other' })),
    expected: 'oidc_audience_invalid',
  },
  {
    name: 'missing iat',
    scenario: () => claims(without('iat')),
    expected: 'oidc_id_token_invalid',
  },
  {
    name: 'iat not a number',
    scenario: () => claims((c) => ({ ...c, iat: String(c.iat) })),
    expected: 'oidc_id_token_invalid',
  },
  {
    name: 'missing exp',
    scenario: () => claims(without('exp')),
    expected: 'oidc_id_token_invalid',
  },
  {
    name: 'missing sub',
    scenario: () => claims(without('sub')),
    expected: 'oidc_id_token_invalid',
  },
  {
    name: 'nonce mismatch',
    scenario: () => claims((c) => ({ ...c, nonce: 'not-the-nonce' })),
    expected: 'oidc_nonce_invalid',
  },
  { name: 'no nonce', scenario: () => claims(without('nonce')), expected: 'oidc_nonce_invalid' },
  {
    name: 'expired',
    scenario: () => claims((c) => ({ ...c, iat: c.iat - 900, exp: c.iat - 600 })),
    expected: 'oidc_token_expired',
  },
  {
    name: 'nbf an hour ahead',
    scenario: () => claims((c) => ({ ...c, nbf: c.iat + 3600 })),
    expected: 'oidc_token_expired',
  },
  {
    name: 'iat an hour in the future',
    scenario: () => claims((c) => ({ ...c, iat: c.iat + 3600, exp: c.iat + 3900 })),
    expected: 'oidc_id_token_iat_future',
  },
  {
    name: 'iat 120 s ahead, beyond a 60 s skew',
    scenario: () => claims((c) => ({ ...c, iat: c.iat + 120 })),
    expected: 'oidc_id_token_iat_future',
    clockSkewSeconds: 60,
  },
  {
    name: 'typ at+jwt (an access token presented as an ID token)',
    scenario: () => header((h) => ({ ...h, typ: 'at+jwt' })),
    expected: 'oidc_id_token_typ_invalid',
  },
  {
    name: 'typ application/at+jwt',
    scenario: () => header((h) => ({ ...h, typ: 'application/at+jwt' })),
    expected: 'oidc_id_token_typ_invalid',
  },
  {
    name: 'typ logout+jwt',
    scenario: () => header((h) => ({ ...h, typ: 'logout+jwt' })),
    expected: 'oidc_id_token_typ_invalid',
  },
  {
    name: 'header jwk/jku/x5u/x5c with an attacker key under the real kid',
    scenario: async (rogue) => {
      // The kid of the OP's published key, signed by another key carried in the header.
      const attacker: RogueKey = await rogueKey(rogue.keys[0]?.kid ?? null);
      return {
        key: attacker,
        header: (h) => ({
          ...h,
          jwk: attacker.publicJwk,
          jku: 'http://127.0.0.1:9/evil-jwks',
          x5u: 'http://127.0.0.1:9/x',
          x5c: ['AAAA'],
        }),
      };
    },
    expected: 'oidc_signature_invalid',
  },
  {
    name: 'an unknown kid',
    scenario: async () => ({ key: await rogueKey('unknown-kid') }),
    expected: 'oidc_key_not_found',
  },
  {
    name: 'two keys published without kid (which one is meant cannot be known)',
    scenario: async () => {
      const a = await rogueKey(null);
      const b = await rogueKey(null);
      return { key: a, publish: [a, b] };
    },
    expected: 'oidc_key_not_found',
  },
];
