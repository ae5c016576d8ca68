import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { ServerMetadata } from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OidcIdpConfig, parseGatewayConfig } from '../../../shared/config/index.js';
import { createRouter } from '../../../shared/http/index.js';
import { createLocalSigningKeys, type SigningKeys } from '../../../shared/issuer/index.js';
import {
  CLIENT_ASSERTION_TYPE,
  CLIENT_JWKS_ROUTE_KEY,
  createClientAuthenticator,
  createClientJwksEndpoint,
  createSecretResolver,
} from '../../../shared/oidc/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { apiEvent } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';

const TOKEN_ENDPOINT = 'https://idp.example.com/oauth2/v1/token';
const AS = {
  issuer: 'https://idp.example.com',
  token_endpoint: TOKEN_ENDPOINT,
} as ServerMetadata;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

const config = (oidc: Record<string, unknown>, profile = 'generic') =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'corp',
        displayName: 'Corp',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example.com', clientId: 'fedgate-client', profile, ...oidc },
      },
    ],
  } as never);
const idpOf = (oidc: Record<string, unknown>, profile?: string) =>
  config(oidc, profile).idps[0] as OidcIdpConfig;

/** Calls a ClientAuth the way oauth4webapi does and returns what it set. */
const apply = async (
  auth: Awaited<ReturnType<ReturnType<typeof createClientAuthenticator>['clientAuth']>>,
  as: ServerMetadata = AS,
) => {
  const body = new URLSearchParams();
  const headers = new Headers();
  await auth(as, { client_id: 'fedgate-client' }, body, headers);
  return { body, headers };
};

describe('createClientAuthenticator', () => {
  let keys: SigningKeys;
  let other: SigningKeys;
  const loaded: string[] = [];
  beforeAll(async () => {
    keys = createLocalSigningKeys({ keys: [await createTestKeyPair('fedgate client')] });
    other = createLocalSigningKeys({ keys: [await createTestKeyPair('another key')] });
  });
  const authenticator = (lifetime?: number) =>
    createClientAuthenticator({
      resolveSecret: createSecretResolver({
        readEnv: (n) => (n === 'S' ? 'the-secret' : undefined),
      }),
      loadKeys: async (ref) => {
        loaded.push(ref);
        if (ref === 'file:/client.pem') return keys;
        if (ref === 'file:/other.pem') return other;
        throw Object.assign(new Error('unknown'), { code: 'issuer_misconfigured' });
      },
      clock: () => NOW,
      ...(lifetime !== undefined ? { assertionLifetimeSeconds: lifetime } : {}),
    });

  it('private_key_jwt: an RS256 assertion for the token endpoint, verified with the public key', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    const { body, headers } = await apply(await authenticator().clientAuth(idp));
    expect(headers.get('authorization')).toBeNull();
    expect(body.get('client_id')).toBe('fedgate-client');
    expect(body.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE);
    expect(body.has('client_secret')).toBe(false);
    const jwt = body.get('client_assertion') ?? '';
    const signer = await keys.active();
    const publicKey = createPublicKey({ key: signer.publicKeySpki, format: 'der', type: 'spki' });
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      algorithms: ['RS256'],
      issuer: 'fedgate-client',
      subject: 'fedgate-client',
      audience: TOKEN_ENDPOINT,
      currentDate: new Date(NOW),
    });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: signer.kid });
    expect(payload.iat).toBe(NOW / 1000);
    expect(payload.nbf).toBe(NOW / 1000);
    expect(payload.exp).toBe(NOW / 1000 + 60);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Another key does not verify it: the signature is the key's.
    const otherKey = createPublicKey({
      key: (await other.active()).publicKeySpki,
      format: 'der',
      type: 'spki',
    });
    await expect(jwtVerify(jwt, otherKey)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('every assertion has its own jti; the key is loaded once per reference', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    const auth = authenticator();
    loaded.length = 0;
    const a = (await apply(await auth.clientAuth(idp))).body.get('client_assertion') ?? '';
    const b = (await apply(await auth.clientAuth(idp))).body.get('client_assertion') ?? '';
    const jti = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).jti;
    expect(jti(a)).not.toBe(jti(b));
    expect(loaded).toEqual(['file:/client.pem']);
  });

  it('the lifetime is configurable up to 300 s and refused beyond', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    const jwt =
      (await apply(await authenticator(300).clientAuth(idp))).body.get('client_assertion') ?? '';
    const { exp, iat } = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    expect(exp - iat).toBe(300);
    for (const bad of [0, 301, 1.5]) {
      expect(() => authenticator(bad)).toThrow(expect.objectContaining({ code: 'server_error' }));
    }
  });

  it('a configured kid goes into the header; the Entra profile adds the certificate x5t', async () => {
    const withKid = idpOf({
      clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem', kid: 'okta-kid-1' },
    });
    const a = (await apply(await authenticator().clientAuth(withKid))).body.get('client_assertion');
    expect(decodeProtectedHeader(a ?? '')).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'okta-kid-1' });

    const entra = idpOf(
      { clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } },
      'entra',
    );
    const b = (await apply(await authenticator().clientAuth(entra))).body.get('client_assertion');
    const cert = new X509Certificate((await keys.active()).certificatePem);
    expect(decodeProtectedHeader(b ?? '').x5t).toBe(
      createHash('sha1').update(cert.raw).digest('base64url'),
    );
  });

  it('a key that cannot be loaded fails the token request with its code, and is retried', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/missing.pem' } });
    const auth = authenticator();
    loaded.length = 0;
    // Login (discovery) does not touch the key.
    const clientAuth = await auth.clientAuth(idp);
    expect(loaded).toEqual([]);
    await expect(apply(clientAuth)).rejects.toMatchObject({ code: 'issuer_misconfigured' });
    await expect(apply(clientAuth)).rejects.toMatchObject({ code: 'issuer_misconfigured' });
    expect(loaded).toEqual(['file:/missing.pem', 'file:/missing.pem']);
  });

  it('without a key loader (the login function), private_key_jwt fails only when signing', async () => {
    const auth = createClientAuthenticator({
      resolveSecret: createSecretResolver({ readEnv: () => undefined }),
    });
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'kms:alias/x' } });
    const clientAuth = await auth.clientAuth(idp);
    await expect(apply(clientAuth)).rejects.toMatchObject({ code: 'server_error' });
  });

  it('a token endpoint missing from discovery is server_error', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    await expect(
      apply(await authenticator().clientAuth(idp), { issuer: AS.issuer } as ServerMetadata),
    ).rejects.toMatchObject({ code: 'server_error' });
  });

  it('a client secret: basic by default, post when the IdP lists only post; none without either', async () => {
    const secret = idpOf({ clientSecretRef: 'env:S' });
    const basic = await apply(await authenticator().clientAuth(secret));
    // RFC 6749 §2.3.1: both halves form-urlencoded before base64.
    const [scheme, credentials = ''] = (basic.headers.get('authorization') ?? '').split(' ');
    expect(scheme).toBe('Basic');
    expect(
      Buffer.from(credentials, 'base64').toString().split(':').map(decodeURIComponent),
    ).toEqual(['fedgate-client', 'the-secret']);
    expect(basic.body.has('client_secret')).toBe(false);
    const post = await apply(await authenticator().clientAuth(secret), {
      ...AS,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
    });
    expect(post.body.get('client_secret')).toBe('the-secret');
    expect(post.headers.get('authorization')).toBeNull();

    const none = await apply(await authenticator().clientAuth(idpOf({})));
    expect(none.body.get('client_id')).toBe('fedgate-client');
    expect(none.body.has('client_assertion')).toBe(false);
    expect(none.headers.get('authorization')).toBeNull();
  });

  it('an unresolvable secret reference fails at once (at login), with server_error', async () => {
    await expect(
      authenticator().clientAuth(idpOf({ clientSecretRef: 'env:UNSET' })),
    ).rejects.toMatchObject({ code: 'server_error' });
  });

  it('the cache key changes with the client authentication settings', () => {
    const auth = authenticator();
    const keysSeen = new Set(
      [
        {},
        { clientSecretRef: 'env:S' },
        { clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } },
        { clientAuth: { method: 'private_key_jwt', keyRef: 'file:/other.pem' } },
        { clientAuth: { method: 'private_key_jwt', keyRef: 'file:/other.pem', kid: 'k' } },
      ].map((o) => auth.cacheKey(idpOf(o))),
    );
    expect(keysSeen.size).toBe(5);
  });

  it('jwks(): the public key with the kid the assertions carry, and the certificate', async () => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    const signer = await keys.active();
    const { keys: published } = await authenticator().jwks(idp);
    expect(published).toHaveLength(1);
    const [jwk] = published;
    expect(jwk).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: signer.kid });
    // The published JWK verifies an assertion.
    const jwt =
      (await apply(await authenticator().clientAuth(idp))).body.get('client_assertion') ?? '';
    await jwtVerify(jwt, await importJWK(jwk as never, 'RS256'), { currentDate: new Date(NOW) });
    expect(
      new X509Certificate(Buffer.from(jwk?.x5c[0] ?? '', 'base64')).publicKey.export({
        type: 'spki',
        format: 'der',
      }),
    ).toEqual(signer.publicKeySpki);

    const withKid = idpOf({
      clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem', kid: 'okta-kid-1' },
    });
    expect((await authenticator().jwks(withKid)).keys[0]?.kid).toBe('okta-kid-1');
    await expect(authenticator().jwks(idpOf({ clientSecretRef: 'env:S' }))).rejects.toMatchObject({
      code: 'server_error',
    });
  });

  it('GET /oidc/{idp}/jwks.json serves it; IdPs without private_key_jwt are 404', async () => {
    const keyed = config({ clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' } });
    const endpoint = createClientJwksEndpoint({
      attributes: createMemoryAttributeStore(keyed),
      authenticator: authenticator(),
    });
    const event = (idp: string) =>
      apiEvent({
        path: `/oidc/${idp}/jwks.json`,
        routeKey: 'GET /oidc/{idp}/jwks.json',
        pathParameters: { idp },
      } as never);
    const res = await endpoint(event('corp'));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['cache-control']).toBe('public, max-age=300');
    expect(JSON.parse(res.body ?? '').keys[0].kid).toBe((await keys.active()).kid);
    await expect(endpoint(event('nope'))).rejects.toMatchObject({ code: 'not_found' });

    const secretOnly = createClientJwksEndpoint({
      attributes: createMemoryAttributeStore(config({ clientSecretRef: 'env:S' })),
      authenticator: authenticator(),
    });
    await expect(secretOnly(event('corp'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe("the callback function's routes (one router, the callback as its fallback)", () => {
  it('sends only the jwks route key to the JWKS endpoint; $default and literal keys to the callback', async () => {
    const seen: string[] = [];
    const callback = async () => {
      seen.push('callback');
      return { statusCode: 302, headers: {}, body: '' };
    };
    const route = createRouter(
      {
        [CLIENT_JWKS_ROUTE_KEY]: async () => {
          seen.push('jwks');
          return { statusCode: 200, headers: {}, body: '' };
        },
        'GET /oidc/{idp}/callback': callback,
      },
      { fallback: callback },
    );
    for (const routeKey of [
      'GET /oidc/{idp}/jwks.json',
      'GET /oidc/{idp}/callback',
      '$default',
      'GET /oidc/corp/jwks.json',
    ]) {
      await route(apiEvent({ routeKey } as never));
    }
    expect(seen).toEqual(['jwks', 'callback', 'callback', 'callback']);
  });
});

describe('the gateway config: clientAuth', () => {
  it('is exclusive with clientSecretRef', () => {
    expect(() =>
      config({
        clientSecretRef: 'env:S',
        clientAuth: { method: 'private_key_jwt', keyRef: 'file:/client.pem' },
      }),
    ).toThrow(/not both/);
  });

  it.each([
    ['kms:alias/fedgate/okta-client'],
    ['kms:arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['kms:arn:aws:kms:eu-west-1:111122223333:alias/fedgate-okta'],
    ['kms:1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['file:.local/okta-client.pem'],
  ])('takes the key reference %s, RS256 by default', (keyRef) => {
    const idp = idpOf({ clientAuth: { method: 'private_key_jwt', keyRef } });
    expect(idp.oidc.clientAuth).toEqual({ method: 'private_key_jwt', keyRef, alg: 'RS256' });
  });

  it.each([
    ['a secret reference as key', { method: 'private_key_jwt', keyRef: 'env:KEY' }],
    ['an inline PEM', { method: 'private_key_jwt', keyRef: '-----BEGIN' }],
    ['another algorithm', { method: 'private_key_jwt', keyRef: 'kms:alias/x', alg: 'HS256' }],
    ['another method', { method: 'client_secret_jwt', keyRef: 'kms:alias/x' }],
    ['an unknown field', { method: 'private_key_jwt', keyRef: 'kms:alias/x', key: 'x' }],
    ['a kid with spaces', { method: 'private_key_jwt', keyRef: 'kms:alias/x', kid: 'a b' }],
  ])('refuses %s', (_, clientAuth) => {
    expect(() => config({ clientAuth })).toThrow();
  });
});
