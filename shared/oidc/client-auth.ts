import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type ClientAuth,
  ClientSecretBasic,
  ClientSecretPost,
  None,
  type ServerMetadata,
} from 'openid-client';
import { type Clock, systemClock } from '../clock.js';
import type { OidcIdpConfig } from '../config/index.js';
import { GatewayMisconfiguredError, NotFoundError } from '../http/errors.js';
import { requireMethod } from '../http/request.js';
import { type HttpResponse, json } from '../http/responses.js';
import { buildJwks, type Jwks } from '../issuer/oidc-discovery.js';
import type { PublishedKey, Signer, SigningKeys } from '../issuer/signing-keys.js';
import { jwsSigningInput } from '../issuer/web-identity-token.js';
import type { AttributeStore } from '../store/index.js';
import type { SecretResolver } from './secrets.js';

/**
 * How fedgate authenticates at an IdP's token endpoint (OIDC Core §9), as openid-client's
 * `ClientAuth`: a client secret from a secret reference (client_secret_basic, or _post when that
 * is all the IdP lists), `private_key_jwt` with a key behind fedgate's Signer port (KMS in AWS, a
 * PEM bundle locally), or `none` for a public client.
 */

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Default client assertion lifetime: it goes straight to the token endpoint. */
export const DEFAULT_ASSERTION_LIFETIME_SECONDS = 60;

/** The longest lifetime fedgate signs for a client assertion (the brief's "short": 5 minutes). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export interface ClientAuthDeps {
  /** Resolves `clientSecretRef` (createSecretResolver). */
  resolveSecret: SecretResolver;
  /**
   * Loads the private_key_jwt key of a `clientAuth.keyRef`: the functions that redeem codes pass
   * `(ref) => loadSigningKeys({ refs: [ref], readFile, kms })` (shared/issuer: the same loader and
   * Signer port as fedgate's AWS-facing keys). Injected so that a function which never signs (the
   * login) bundles no KMS client. Absent: private_key_jwt IdPs fail at the token request.
   */
  loadKeys?: (keyRef: string) => Promise<SigningKeys>;
  /** Client assertion lifetime, 1–300 s (default 60). */
  assertionLifetimeSeconds?: number;
  /** The clock (shared/clock.ts), read at each call so fake clocks apply. */
  clock?: Clock;
}

/** fedgate's client authentication per IdP. */
export interface ClientAuthenticator {
  /**
   * The `ClientAuth` for an IdP's token requests. A client secret is resolved now (so a bad
   * reference fails at login, before the person signs in at the IdP); a private_key_jwt key is
   * loaded when the first assertion is signed (the login function never needs it).
   * @throws server_error (GatewayMisconfiguredError) for an unresolvable secret reference.
   */
  clientAuth(idp: OidcIdpConfig): Promise<ClientAuth>;
  /**
   * The public key(s) an operator registers at the IdP for private_key_jwt, as a JWKS (each key
   * with `kid`, `n`, `e` and its certificate in `x5c`, whose SHA-1 thumbprint is Entra's `x5t`).
   * @throws server_error ({@link ClientKeyNotConfiguredError}) when the IdP uses no
   *   private_key_jwt; issuer_misconfigured / temporarily_unavailable from the key.
   */
  jwks(idp: OidcIdpConfig): Promise<Jwks>;
  /** A string that changes whenever the IdP's client authentication settings change (cache keys). */
  cacheKey(idp: OidcIdpConfig): string;
}

/** The IdP uses no private_key_jwt, so it has no client key to publish. */
export class ClientKeyNotConfiguredError extends GatewayMisconfiguredError {}

/**
 * client_secret_basic unless the IdP's metadata lists only client_secret_post (RFC 8414 §2: basic
 * is the default when the metadata says nothing).
 */
export const secretClientAuth = (secret: string): ClientAuth => {
  const basic = ClientSecretBasic(secret);
  const post = ClientSecretPost(secret);
  return (as, client, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const usePost =
      Array.isArray(methods) &&
      !methods.includes('client_secret_basic') &&
      methods.includes('client_secret_post');
    (usePost ? post : basic)(as, client, body, headers);
  };
};

/** Entra's `x5t`: base64url SHA-1 of the certificate's DER (RFC 7515 §4.1.7). */
const thumbprintOf = (certificatePem: string): string =>
  createHash('sha1').update(new X509Certificate(certificatePem).raw).digest('base64url');

export interface ClientAssertionInput {
  signer: Signer;
  clientId: string;
  /** The `aud`: the IdP's token endpoint (what Okta and Entra require; OIDC Core §9 allows it). */
  audience: string;
  /** Epoch milliseconds. */
  now: number;
  lifetimeSeconds: number;
  /** The `kid` header (default the signer's). */
  kid?: string;
  /** Add Entra's `x5t` header (the certificate thumbprint Entra looks the key up by). */
  x5t?: boolean;
}

/**
 * Builds and signs one client assertion (RFC 7523 §3): header `{ alg: RS256, typ: JWT, kid[, x5t] }`,
 * claims `iss` = `sub` = client id, `aud`, `jti` (128 random bits), `iat` = `nbf`, `exp`. The
 * signature comes from the Signer port (KMS in AWS); nothing here touches a private key.
 * @throws issuer_misconfigured / temporarily_unavailable from the signer.
 * @example const jwt = await signClientAssertion({ signer, clientId, audience: tokenEndpoint, now: Date.now(), lifetimeSeconds: 60 });
 */
export const signClientAssertion = async (input: ClientAssertionInput): Promise<string> => {
  const iat = Math.floor(input.now / 1000);
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    kid: input.kid ?? input.signer.kid,
    ...(input.x5t ? { x5t: thumbprintOf(input.signer.certificatePem) } : {}),
  };
  const claims = {
    iss: input.clientId,
    sub: input.clientId,
    aud: input.audience,
    jti: randomBytes(16).toString('base64url'),
    iat,
    nbf: iat,
    exp: iat + input.lifetimeSeconds,
  };
  const signingInput = jwsSigningInput(header, claims);
  const signature = await input.signer.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${signature.toString('base64url')}`;
};

/** The token endpoint an assertion is for; a discovery document without one cannot redeem codes. */
const audienceOf = (as: ServerMetadata): string => {
  if (typeof as.token_endpoint !== 'string') {
    throw new GatewayMisconfiguredError('the IdP publishes no token_endpoint');
  }
  return as.token_endpoint;
};

/**
 * Creates fedgate's client authentication for its upstream IdPs. Keys are loaded once per
 * container and reference (through `loadKeys`: the same loader and Signer port as the AWS-facing
 * keys, so a KMS key never leaves KMS); a failed load is not kept, the next sign-in tries again.
 * @throws server_error synchronously when `assertionLifetimeSeconds` is not in 1..300.
 * @example
 * const auth = createClientAuthenticator({
 *   resolveSecret,
 *   loadKeys: (ref) => loadSigningKeys({ refs: [ref], readFile, kms }),
 * });
 * const config = await discovery(issuer, idp.oidc.clientId, metadata, await auth.clientAuth(idp));
 */
export const createClientAuthenticator = (deps: ClientAuthDeps): ClientAuthenticator => {
  const lifetime = deps.assertionLifetimeSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw new GatewayMisconfiguredError(
      `client assertion lifetime must be a whole number of seconds in 1..${MAX_ASSERTION_LIFETIME_SECONDS}`,
    );
  }
  const now = deps.clock ?? systemClock;
  const keys = new Map<string, Promise<SigningKeys>>();

  const keysFor = (keyRef: string): Promise<SigningKeys> => {
    let pending = keys.get(keyRef);
    if (!pending) {
      const { loadKeys } = deps;
      pending = loadKeys
        ? loadKeys(keyRef)
        : Promise.reject(
            new GatewayMisconfiguredError(
              'private_key_jwt: this function was built without a key loader (loadKeys)',
            ),
          );
      const attempt = pending;
      keys.set(keyRef, attempt);
      attempt.catch(() => {
        if (keys.get(keyRef) === attempt) keys.delete(keyRef);
      });
    }
    return pending;
  };

  return {
    async clientAuth(idp) {
      const { oidc } = idp;
      if (oidc.clientAuth) {
        const { keyRef, kid } = oidc.clientAuth;
        const x5t = idp.oidc.profile === 'entra';
        return async (as, client, body) => {
          const signer = await (await keysFor(keyRef)).active();
          const assertion = await signClientAssertion({
            signer,
            clientId: client.client_id,
            audience: audienceOf(as),
            now: now(),
            lifetimeSeconds: lifetime,
            ...(kid !== undefined ? { kid } : {}),
            x5t,
          });
          body.set('client_id', client.client_id);
          body.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
          body.set('client_assertion', assertion);
        };
      }
      if (oidc.clientSecretRef)
        return secretClientAuth(await deps.resolveSecret(oidc.clientSecretRef));
      return None();
    },

    async jwks(idp) {
      const keyRef = idp.oidc.clientAuth?.keyRef;
      if (!keyRef) {
        throw new ClientKeyNotConfiguredError(
          `IdP ${idp.id} authenticates without private_key_jwt: it has no client key`,
        );
      }
      const published: readonly PublishedKey[] = await (await keysFor(keyRef)).published();
      const kid = idp.oidc.clientAuth?.kid;
      // The kid the assertions carry is the one the IdP must find.
      return buildJwks(kid ? published.map((k, i) => (i === 0 ? { ...k, kid } : k)) : published);
    },

    cacheKey(idp) {
      const { clientSecretRef, clientAuth } = idp.oidc;
      return JSON.stringify([clientSecretRef ?? '', clientAuth ?? null]);
    },
  };
};

export interface ClientJwksEndpointDeps {
  attributes: AttributeStore;
  authenticator: ClientAuthenticator;
}

/**
 * `GET /oidc/{idp}/jwks.json`: the public key of the IdP's private_key_jwt client key, for the
 * operator to register at the IdP (Okta: paste the JWK or give this URL; Entra: upload the
 * certificate in `x5c`). Public like fedgate's own JWKS: a public key discloses nothing.
 * @throws not_found (404) for an unknown IdP, a SAML IdP, or one without private_key_jwt.
 * @throws issuer_misconfigured / temporarily_unavailable from the key.
 * @example createRouter({ 'GET /oidc/{idp}/jwks.json': createClientJwksEndpoint({ attributes, authenticator }) })
 */
export const createClientJwksEndpoint =
  (deps: ClientJwksEndpointDeps) =>
  async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    requireMethod(event, 'GET', 'HEAD');
    const id = event.pathParameters?.idp ?? '';
    const idp = await deps.attributes.getIdp(id);
    if (idp?.protocol !== 'oidc' || !idp.oidc.clientAuth) {
      throw new NotFoundError(`no OIDC IdP "${id.slice(0, 64)}" with private_key_jwt`);
    }
    return json(200, await deps.authenticator.jwks(idp), {
      headers: { 'cache-control': 'public, max-age=300' },
    });
  };

/** The route key of {@link createClientJwksEndpoint} (infra/routes.ts). */
export const CLIENT_JWKS_ROUTE_KEY = 'GET /oidc/{idp}/jwks.json';
