/**
 * Web identity tokens fedgate mints, checked by a JOSE implementation that shares no code with
 * fedgate or jose (SECURITY.md §5): Debian's python3-jwcrypto, run as a child process, given only
 * the token and the JWKS fedgate publishes, and checking what STS checks (RS256, kid from the
 * JWKS, signature, iss, aud, exp, nbf).
 */
import { createHmac, X509Certificate } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import { buildJwks, type Jwks } from '../../../shared/issuer/oidc-discovery.js';
import {
  createWebIdentityMinter,
  type WebIdentityGrant,
} from '../../../shared/issuer/web-identity-token.js';
import { NOW, testKeyMaterials } from '../../support/issuer/fixtures.js';
import { run } from '../../support/issuer/verifiers.js';

const ISSUER = 'https://sso.example.com';
const AUDIENCE = 'fedgate-aws';
const SUBJECT = 'p2V1zQ8yXc4m0aLr9tB3kw';
const IAT = Math.floor(NOW / 1000);
const SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../support/issuer/jwcrypto_verify.py',
);

interface JwcryptoVerdict {
  valid: boolean;
  error?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  jwks: { kid: string; x5c_matches: boolean }[];
}

/** python3-jwcrypto's verdict on a token against a JWKS, as STS would see it at `now` (epoch s). */
const verifyWithJwcrypto = async (
  token: string,
  jwks: Jwks,
  opts: { issuer?: string; audience?: string; now?: number } = {},
): Promise<JwcryptoVerdict> => {
  const request = {
    token,
    jwks,
    issuer: opts.issuer ?? ISSUER,
    audience: opts.audience ?? AUDIENCE,
    now: opts.now ?? IAT + 1,
  };
  const result = await run('/usr/bin/python3', [SCRIPT], JSON.stringify(request));
  if (result.code !== 0) throw new Error(`jwcrypto_verify.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as JwcryptoVerdict;
};

/** What the tags claim should hold for a grant (AWS's shape). */
const expectedTagsClaim = (grant: WebIdentityGrant) => ({
  principal_tags: Object.fromEntries(grant.tags.map((t) => [t.key, [t.value]])),
  ...(grant.transitiveTagKeys.length > 0 ? { transitive_tag_keys: grant.transitiveTagKeys } : {}),
});

const grant: WebIdentityGrant = {
  roleArn: 'arn:aws:iam::111122223333:role/platform/Developer',
  sessionName: 'jane.doe@example.com',
  sourceIdentity: 'jdoe',
  durationSeconds: 3600,
  tags: [
    { key: 'team', value: 'platform' },
    { key: 'costCenter', value: 'cc-4711' },
    { key: 'name', value: 'Zoë Ångström 中文 𝒜' },
    { key: 'separators', value: 'a\u00a0b\u2028c\u3000d' },
    { key: 'symbols', value: '_.:/=+-@ 0123' },
  ],
  transitiveTagKeys: ['team', 'costCenter'],
};

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let signingKeys: SigningKeys;
let jwks: Jwks;
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  signingKeys = createLocalSigningKeys({ keys: [active, next] });
  jwks = buildJwks(await signingKeys.published());
});

const mint = (keys: SigningKeys = signingKeys, g: WebIdentityGrant = grant) =>
  createWebIdentityMinter({ signingKeys: keys, issuer: ISSUER, audience: AUDIENCE }).mint({
    grant: g,
    subject: SUBJECT,
    now: NOW,
  });

/** Replaces one part of a compact JWS (0 header, 1 payload, 2 signature). */
const replacePart = (token: string, index: number, part: string): string => {
  const parts = token.split('.');
  parts[index] = part;
  return parts.join('.');
};
const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeJson = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('python3-jwcrypto verifies what fedgate mints against the published JWKS', () => {
  it('reads back exactly the grant: iss, aud, sub, times, tags, source identity', async () => {
    const minted = await mint();
    const verdict = await verifyWithJwcrypto(minted.token, jwks);
    expect(verdict.error).toBeUndefined();
    expect(verdict.valid).toBe(true);
    expect(verdict.header).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: (await signingKeys.active()).kid,
    });
    expect(verdict.claims).toEqual({
      iss: ISSUER,
      sub: `${grant.roleArn}#${SUBJECT}`,
      aud: AUDIENCE,
      iat: IAT,
      nbf: IAT,
      exp: IAT + 300,
      jti: minted.jti,
      'https://aws.amazon.com/tags': expectedTagsClaim(grant),
      'https://aws.amazon.com/source_identity': 'jdoe',
    });
  });

  it('finds each JWKS key’s x5c certificate carrying that key’s n and e', async () => {
    const verdict = await verifyWithJwcrypto((await mint()).token, jwks);
    expect(verdict.jwks).toEqual(
      (await signingKeys.published()).map((k) => ({ kid: k.kid, x5c_matches: true })),
    );
    expect(jwks.keys.map((k) => k.x5c[0])).toEqual(
      [active, next].map((m) => new X509Certificate(m.certificatePem).raw.toString('base64')),
    );
  });

  it('rotation: a token signed by the next key verifies against the same two-key JWKS', async () => {
    const rotated = createLocalSigningKeys({ keys: [next, active] });
    const verdict = await verifyWithJwcrypto((await mint(rotated)).token, jwks);
    expect(verdict.valid).toBe(true);
    expect(verdict.header?.kid).toBe((await rotated.active()).kid);
  });

  it('reads a grant without tags or source identity as a token without those claims', async () => {
    const bare: WebIdentityGrant = {
      roleArn: grant.roleArn,
      sessionName: 'jdoe',
      durationSeconds: 900,
      tags: [],
      transitiveTagKeys: [],
    };
    const verdict = await verifyWithJwcrypto((await mint(signingKeys, bare)).token, jwks);
    expect(verdict.valid).toBe(true);
    expect(Object.keys(verdict.claims ?? {}).sort()).toEqual(
      ['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub'].sort(),
    );
  });
});

describe('python3-jwcrypto refuses what is not fedgate’s token as minted', () => {
  it('refuses a token whose payload was changed (a tag value rewritten)', async () => {
    const { token } = await mint();
    const claims = decodeJson(token.split('.')[1] as string);
    (
      claims['https://aws.amazon.com/tags'] as { principal_tags: Record<string, string[]> }
    ).principal_tags.team = ['admins'];
    const verdict = await verifyWithJwcrypto(replacePart(token, 1, encodeJson(claims)), jwks);
    expect(verdict.valid).toBe(false);
    expect(verdict.error).toMatch(/InvalidJWSSignature: Verification failed/);
  });

  it('refuses a token whose signature lost a bit', async () => {
    const { token } = await mint();
    const signature = Buffer.from(token.split('.')[2] as string, 'base64url');
    signature[10] = (signature[10] as number) ^ 1;
    const verdict = await verifyWithJwcrypto(
      replacePart(token, 2, signature.toString('base64url')),
      jwks,
    );
    expect(verdict.valid).toBe(false);
    expect(verdict.error).toMatch(/InvalidJWSSignature/);
  });

  it('refuses a token whose key is no longer in the JWKS', async () => {
    const rotated = createLocalSigningKeys({ keys: [next] });
    const onlyActive = buildJwks(await createLocalSigningKeys({ keys: [active] }).published());
    const verdict = await verifyWithJwcrypto((await mint(rotated)).token, onlyActive);
    expect(verdict.valid).toBe(false);
    expect(verdict.error).toMatch(/JWTMissingKey/);
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.example.com' }, /JWTInvalidClaimValue.*'iss'/],
    ['another audience', { audience: 'sts.amazonaws.com' }, /JWTInvalidClaimValue.*'aud'/],
    ['a clock past exp', { now: IAT + 301 }, /JWTExpired/],
    ['a clock before nbf', { now: IAT - 1 }, /JWTNotYetValid/],
  ])('refuses the token for %s', async (_, opts, error) => {
    const verdict = await verifyWithJwcrypto((await mint()).token, jwks, opts);
    expect(verdict.valid).toBe(false);
    expect(verdict.error).toMatch(error);
  });

  it('refuses alg none and an HS256 token keyed with the public modulus (algorithm confusion)', async () => {
    const { token } = await mint();
    const [header, payload] = token.split('.') as [string, string];
    const kid = decodeJson(header).kid;
    const none = `${encodeJson({ alg: 'none', typ: 'JWT', kid })}.${payload}.`;
    const hsHeader = encodeJson({ alg: 'HS256', typ: 'JWT', kid });
    const hsSignature = createHmac('sha256', jwks.keys[0]?.n as string)
      .update(`${hsHeader}.${payload}`)
      .digest('base64url');
    for (const forged of [none, `${hsHeader}.${payload}.${hsSignature}`]) {
      const verdict = await verifyWithJwcrypto(forged, jwks);
      expect(verdict.valid).toBe(false);
      expect(verdict.error).toMatch(/Algorithm not allowed/);
    }
  });
});
