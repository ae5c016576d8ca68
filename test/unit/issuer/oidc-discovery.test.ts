import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createLocalJWKSet, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type PublishedKey,
} from '../../../shared/issuer/index.js';
import { buildJwks, buildOpenIdConfiguration } from '../../../shared/issuer/oidc-discovery.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

const ISSUER = 'https://sso.example.com';
const JWKS_URI = 'https://sso.example.com/.well-known/jwks.json';

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let published: readonly PublishedKey[];
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  published = await createLocalSigningKeys({ keys: [active, next] }).published();
});

describe('buildOpenIdConfiguration', () => {
  it('is the discovery document of a token issuer: issuer, jwks_uri, RS256 id tokens', () => {
    expect(buildOpenIdConfiguration({ issuer: ISSUER, jwksUri: JWKS_URI })).toEqual({
      issuer: ISSUER,
      jwks_uri: JWKS_URI,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'iat',
        'nbf',
        'exp',
        'jti',
        'https://aws.amazon.com/tags',
        'https://aws.amazon.com/source_identity',
      ],
    });
  });

  it('keeps the issuer exactly as given (IAM compares iss as a string)', () => {
    const issuer = 'https://sso.example.com/fedgate';
    const doc = buildOpenIdConfiguration({ issuer, jwksUri: `${issuer}/.well-known/jwks.json` });
    expect(doc.issuer).toBe(issuer);
  });

  it('takes a loopback http issuer for the local runner', () => {
    const issuer = 'http://127.0.0.1:8787';
    const doc = buildOpenIdConfiguration({ issuer, jwksUri: `${issuer}/.well-known/jwks.json` });
    expect(doc).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
  });

  it.each([
    ['an http issuer', { issuer: 'http://sso.example.com' }],
    ['an issuer with a trailing slash', { issuer: 'https://sso.example.com/' }],
    ['an issuer with a query', { issuer: 'https://sso.example.com?a=1' }],
    ['an http JWKS URI', { jwksUri: 'http://sso.example.com/.well-known/jwks.json' }],
    ['a JWKS URI with a fragment', { jwksUri: `${JWKS_URI}#x` }],
    ['a relative JWKS URI', { jwksUri: '/.well-known/jwks.json' }],
  ])('refuses %s (issuer_misconfigured)', (_, override) => {
    expect(() =>
      buildOpenIdConfiguration({ issuer: ISSUER, jwksUri: JWKS_URI, ...override }),
    ).toThrow(expect.objectContaining({ code: 'issuer_misconfigured' }));
  });
});

describe('buildJwks', () => {
  it('publishes every key, in order, as an RS256 signing JWK with n, e and its certificate', () => {
    const jwks = buildJwks(published);
    expect(jwks.keys).toHaveLength(2);
    jwks.keys.forEach((jwk, i) => {
      const key = published[i] as PublishedKey;
      const { n, e } = createPublicKey({
        key: key.publicKeySpki,
        format: 'der',
        type: 'spki',
      }).export({ format: 'jwk' });
      expect(jwk).toEqual({
        kty: 'RSA',
        use: 'sig',
        alg: 'RS256',
        kid: key.kid,
        n,
        e,
        x5c: [new X509Certificate(key.certificatePem).raw.toString('base64')],
      });
      expect(jwk.e).toBe('AQAB');
      // base64url, no padding (RFC 7518 §6.3.1); x5c is standard base64 (RFC 7517 §4.7).
      expect(jwk.n).toMatch(/^[A-Za-z0-9_-]{342}$/);
      expect(jwk.x5c[0]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    });
    expect(jwks.keys.map((k) => k.kid)).toEqual(published.map((k) => k.kid));
  });

  it('survives JSON and loads into jose as the same public keys', async () => {
    const jwks = JSON.parse(JSON.stringify(buildJwks(published)));
    expect(jwks).toEqual(buildJwks(published));
    expect(() => createLocalJWKSet(jwks)).not.toThrow();
    for (const [i, jwk] of jwks.keys.entries()) {
      const key = (await importJWK(jwk, 'RS256')) as CryptoKey;
      const spki = Buffer.from(await crypto.subtle.exportKey('spki', key));
      expect(spki.equals((published[i] as PublishedKey).publicKeySpki)).toBe(true);
    }
  });

  it('publishes a single key too', () => {
    expect(buildJwks(published.slice(0, 1)).keys.map((k) => k.kid)).toEqual([published[0]?.kid]);
  });

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const refused: [string, () => readonly PublishedKey[]][] = [
    ['no key', () => []],
    [
      'a kid repeated',
      () => [
        published[0] as PublishedKey,
        { ...(published[1] as PublishedKey), kid: published[0]?.kid as string },
      ],
    ],
    ['an empty kid', () => [{ ...(published[0] as PublishedKey), kid: '' }]],
    [
      'an EC key',
      () => [
        {
          ...(published[0] as PublishedKey),
          publicKeySpki: ec.publicKey.export({ type: 'spki', format: 'der' }),
        },
      ],
    ],
    [
      'a public key that does not parse',
      () => [{ ...(published[0] as PublishedKey), publicKeySpki: Buffer.from('junk') }],
    ],
    [
      'a certificate for another key',
      () => [{ ...(published[0] as PublishedKey), certificatePem: next.certificatePem }],
    ],
    [
      'a certificate that does not parse',
      () => [{ ...(published[0] as PublishedKey), certificatePem: 'not a certificate' }],
    ],
  ];

  it.each(refused)('refuses %s (issuer_misconfigured)', (_, keys) => {
    expect(() => buildJwks(keys())).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured' }),
    );
  });
});
