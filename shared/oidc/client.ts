import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  type Configuration,
  calculatePKCECodeChallenge,
  clockTolerance,
  customFetch,
  discovery,
  type IDToken,
} from 'openid-client';
import { type Clock, systemClock } from '../clock.js';

import type { OidcIdpConfig } from '../config/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { createBoundedFetch } from './bounded-fetch.js';
import { type ClientAuthenticator, createClientAuthenticator } from './client-auth.js';
import { OidcIdTokenInvalidError } from './errors.js';
import { verifyIdTokenClaims } from './id-token-claims.js';
import {
  createIdTokenSignatureVerifier,
  type IdTokenSignatureVerifier,
} from './id-token-signature.js';
import type { SecretResolver } from './secrets.js';
import { translateOidcError } from './translate.js';

export interface OidcClientDeps {
  /** The fetch every IdP request goes through (bounded here: deadline and byte cap). */
  fetch: typeof fetch;
  resolveSecret: SecretResolver;
  /**
   * Client authentication per IdP (client-auth.ts): secret, private_key_jwt or none. Default:
   * `createClientAuthenticator({ resolveSecret })`, which has no key loader, so private_key_jwt
   * IdPs need the functions' authenticator.
   */
  clientAuth?: ClientAuthenticator;
  /** Per request to the IdP (default 4000 ms). */
  timeoutMs?: number;
  /** Per response from the IdP (default 128 KiB). */
  maxResponseBytes?: number;
  /** Allowed skew on ID token times, seconds. */
  clockSkewSeconds: number;
  /**
   * How long a discovered configuration (and the JWKS cache beside it) is kept per container
   * (default 3600 s).
   */
  discoveryCacheSeconds?: number;
  /** At most this many IdP configurations per container (default 32; oldest dropped first). */
  maxCachedIdps?: number;
  /** The clock (shared/clock.ts), read at each call so fake clocks apply. */
  clock?: Clock;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface CodeRedemption {
  /** The redirect URI with the callback's query string (built from configuration, never Host). */
  callbackUrl: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** fedgate as the relying party of its upstream OIDC IdPs (openid-client underneath). */
export interface OidcClient {
  /**
   * The authorization request URL: code flow, PKCE S256, state, nonce (and `max_age` when the IdP
   * sets `maxAuthAgeSeconds`).
   * @throws temporarily_unavailable when discovery fails; oidc_discovery_invalid /
   * oidc_response_too_large for a discovery document fedgate will not use.
   */
  authorizationUrl(idp: OidcIdpConfig, request: AuthorizationRequest): Promise<URL>;
  /**
   * Validates the authorization response (state, RFC 9207 `iss`), redeems the code with the PKCE
   * verifier, and returns the ID token's claims after every check of README.md's order.
   * @throws the oidc_* codes of shared/oidc/errors.ts, or temporarily_unavailable.
   */
  redeem(idp: OidcIdpConfig, redemption: CodeRedemption): Promise<IDToken>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * What is kept per IdP and container: the discovered configuration, and the ID token signature
 * check with its JWKS cache.
 */
interface IdpEntry {
  configuration: Configuration;
  idTokenSignature: IdTokenSignatureVerifier;
}

/**
 * Creates the OIDC client: one openid-client `Configuration` per IdP, discovered on first use and
 * kept per container (bounded, expiring) beside fedgate's ID token signature check for that IdP,
 * so its JWKS cache survives between requests. Every configuration gets the bounded fetch, a
 * timeout in seconds and `id_token_signed_response_alg` pinned to the IdP's
 * `idTokenSignedResponseAlg`; the signature itself is verified by id-token-signature.ts (not only
 * trusted from TLS) with the JWKS fetched through the same bounded fetch. Plain `http:` issuers
 * are allowed for loopback hosts only (the local runner and tests).
 * @example
 * const client = createOidcClient({ fetch, resolveSecret, clockSkewSeconds: 60 });
 * const url = await client.authorizationUrl(idp, { redirectUri, state, nonce, codeVerifier });
 */
export const createOidcClient = (deps: OidcClientDeps): OidcClient => {
  // Read at each call (not Date.now captured once), so fake clocks in tests reach the caches.
  const now = deps.clock ?? systemClock;
  const ttlMs = (deps.discoveryCacheSeconds ?? 3600) * 1000;
  const maxIdps = deps.maxCachedIdps ?? 32;
  const timeoutMs = deps.timeoutMs ?? 4000;
  const boundedFetch = createBoundedFetch({
    fetch: deps.fetch,
    timeoutMs,
    ...(deps.maxResponseBytes !== undefined ? { maxResponseBytes: deps.maxResponseBytes } : {}),
  });
  const cache = new Map<string, { entry: Promise<IdpEntry>; until: number }>();
  const authenticator =
    deps.clientAuth ?? createClientAuthenticator({ resolveSecret: deps.resolveSecret });

  const discover = async (idp: OidcIdpConfig): Promise<IdpEntry> => {
    const { oidc } = idp;
    const issuer = new URL(oidc.issuer);
    const clientAuth = await authenticator.clientAuth(idp);
    const insecure = issuer.protocol === 'http:' && LOOPBACK_HOSTS.has(issuer.hostname);
    const execute: ((c: Configuration) => void)[] = insecure ? [allowInsecureRequests] : [];
    let configuration: Configuration;
    try {
      configuration = await discovery(
        issuer,
        oidc.clientId,
        {
          id_token_signed_response_alg: oidc.idTokenSignedResponseAlg,
          [clockTolerance]: deps.clockSkewSeconds,
          ...(oidc.maxAuthAgeSeconds !== undefined
            ? { default_max_age: oidc.maxAuthAgeSeconds }
            : {}),
        },
        clientAuth,
        {
          [customFetch]: boundedFetch,
          timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
          execute,
        },
      );
    } catch (err) {
      throw translateOidcError(err);
    }
    return {
      configuration,
      idTokenSignature: createIdTokenSignatureVerifier({
        jwksUri: configuration.serverMetadata().jwks_uri,
        alg: oidc.idTokenSignedResponseAlg,
        fetch: boundedFetch,
        allowInsecureRequests: insecure,
        // The last good JWKS outlives an IdP outage as long as the configuration it came with.
        maxStaleMs: ttlMs,
        clock: now,
      }),
    };
  };

  const cacheKey = (idp: OidcIdpConfig): string => {
    const { oidc } = idp;
    return JSON.stringify([
      idp.id,
      oidc.issuer,
      oidc.clientId,
      authenticator.cacheKey(idp),
      oidc.idTokenSignedResponseAlg,
      oidc.maxAuthAgeSeconds ?? 0,
    ]);
  };

  const entryFor = (idp: OidcIdpConfig): Promise<IdpEntry> => {
    const key = cacheKey(idp);
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.entry;
    cache.delete(key);
    const entry = discover(idp);
    cache.set(key, { entry, until: now() + ttlMs });
    // A failed discovery is not cached: the next request tries again.
    entry.catch(() => {
      if (cache.get(key)?.entry === entry) cache.delete(key);
    });
    while (cache.size > maxIdps) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return entry;
  };

  return {
    async authorizationUrl(idp, request) {
      const { configuration } = await entryFor(idp);
      const parameters: Record<string, string> = {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: [...new Set(['openid', ...idp.oidc.scopes])].join(' '),
        state: request.state,
        nonce: request.nonce,
        code_challenge: await calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      };
      if (idp.oidc.maxAuthAgeSeconds !== undefined) {
        parameters.max_age = String(idp.oidc.maxAuthAgeSeconds);
      }
      try {
        return buildAuthorizationUrl(configuration, parameters);
      } catch (err) {
        throw translateOidcError(err);
      }
    },

    async redeem(idp, redemption) {
      const { configuration, idTokenSignature } = await entryFor(idp);
      let tokens: Awaited<ReturnType<typeof authorizationCodeGrant>>;
      try {
        // openid-client checks the token response and the ID token's claims (alg pinned, iss,
        // aud, azp with several audiences, exp/iat/nbf, nonce, auth_time); not its signature.
        tokens = await authorizationCodeGrant(configuration, redemption.callbackUrl, {
          pkceCodeVerifier: redemption.codeVerifier,
          expectedState: redemption.state,
          expectedNonce: redemption.nonce,
          idTokenExpected: true,
          ...(idp.oidc.maxAuthAgeSeconds !== undefined
            ? { maxAge: idp.oidc.maxAuthAgeSeconds }
            : {}),
        });
      } catch (err) {
        const translated = translateOidcError(err);
        // invalid_client: the secret may have been rotated; the next sign-in resolves it again.
        if (translated instanceof GatewayMisconfiguredError) cache.delete(cacheKey(idp));
        throw translated;
      }
      if (!tokens.id_token) {
        throw new OidcIdTokenInvalidError('the token response carried no ID token');
      }
      // Then its signature, with the IdP's key (nothing of the token is used before both pass).
      await idTokenSignature.verify(tokens.id_token);
      const claims: IDToken | undefined = tokens.claims();
      if (!claims) throw new OidcIdTokenInvalidError('the ID token has no validated claims');
      // Then what openid-client does not check: azp when there is one audience, iat in the future.
      verifyIdTokenClaims(claims, {
        clientId: idp.oidc.clientId,
        clockSkewSeconds: deps.clockSkewSeconds,
        now: now(),
      });
      return claims;
    },
  };
};
