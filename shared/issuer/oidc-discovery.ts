import { createPublicKey, type JsonWebKey, X509Certificate } from 'node:crypto';
import { IssuerMisconfiguredError } from './errors.js';
import type { PublishedKey } from './signing-keys.js';
import { AWS_SOURCE_IDENTITY_CLAIM, AWS_TAGS_CLAIM, checkIssuerUrl } from './web-identity-token.js';

/**
 * What fedgate publishes as the OIDC issuer AWS trusts (ARCHITECTURE.md §2.5): the discovery
 * document at `<issuer>/.well-known/openid-configuration` and the JWKS it points to. STS fetches
 * both over HTTPS to verify the web identity tokens fedgate mints; IAM reads only `issuer` and
 * `jwks_uri`, the rest is there for other verifiers and people.
 */

/** The discovery document (OpenID Connect Discovery 1.0 §3), as far as fedgate issues tokens. */
export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
  scopes_supported: string[];
  claims_supported: string[];
}

/** One RSA public key in the JWKS (RFC 7517 §4, RFC 7518 §6.3.1). */
export interface PublishedJwk {
  kty: 'RSA';
  use: 'sig';
  alg: 'RS256';
  kid: string;
  /** Modulus, base64url. */
  n: string;
  /** Public exponent, base64url. */
  e: string;
  /** The key's certificate, DER in standard base64 (RFC 7517 §4.7: not base64url). */
  x5c: [string];
}

export interface Jwks {
  keys: PublishedJwk[];
}

/** Every claim a minted token may carry. */
const CLAIMS_SUPPORTED = [
  'iss',
  'sub',
  'aud',
  'iat',
  'nbf',
  'exp',
  'jti',
  AWS_TAGS_CLAIM,
  AWS_SOURCE_IDENTITY_CLAIM,
];

/**
 * Builds the `/.well-known/openid-configuration` document for fedgate as a token issuer. fedgate
 * is not an authorization server for AWS (it mints tokens and hands them to STS itself), so there
 * is no `authorization_endpoint` or `token_endpoint`: the same shape as other issuers of tokens
 * for AssumeRoleWithWebIdentity (GitHub Actions, EKS service accounts).
 * @throws issuer_misconfigured when the issuer or the JWKS URI is not an https URL in the one
 *   spelling IAM compares (http only for 127.0.0.1 / localhost).
 * @example buildOpenIdConfiguration({ issuer: 'https://sso.example.com', jwksUri: 'https://sso.example.com/.well-known/jwks.json' })
 */
export const buildOpenIdConfiguration = ({
  issuer,
  jwksUri,
}: {
  issuer: string;
  jwksUri: string;
}): OpenIdConfiguration => {
  const issuerProblem = checkIssuerUrl(issuer);
  if (issuerProblem) throw new IssuerMisconfiguredError(`issuer: ${issuerProblem}`);
  // STS fetches the JWKS over HTTPS: the same rule as the issuer.
  const jwksProblem = checkIssuerUrl(jwksUri);
  if (jwksProblem) throw new IssuerMisconfiguredError(`jwksUri: ${jwksProblem}`);
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
    claims_supported: [...CLAIMS_SUPPORTED],
  };
};

/** One JWK for a published key, its certificate checked against it. */
const buildJwk = (key: PublishedKey): PublishedJwk => {
  let jwk: JsonWebKey;
  let certificate: X509Certificate;
  try {
    jwk = createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' }).export({
      format: 'jwk',
    });
  } catch (cause) {
    throw new IssuerMisconfiguredError(`key ${key.kid}: the public key does not parse`, { cause });
  }
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new IssuerMisconfiguredError(`key ${key.kid}: RS256 needs an RSA key, got ${jwk.kty}`);
  }
  try {
    certificate = new X509Certificate(key.certificatePem);
  } catch (cause) {
    throw new IssuerMisconfiguredError(`key ${key.kid}: the certificate does not parse`, { cause });
  }
  // A verifier that prefers x5c over n/e must find the same key.
  if (!certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(key.publicKeySpki)) {
    throw new IssuerMisconfiguredError(`key ${key.kid}: the certificate is not for this key`);
  }
  return {
    kty: 'RSA',
    use: 'sig',
    alg: 'RS256',
    kid: key.kid,
    n: jwk.n,
    e: jwk.e,
    x5c: [certificate.raw.toString('base64')],
  };
};

/**
 * Builds the JWKS (`/.well-known/jwks.json`) from every published key, in order. Rotation
 * publishes the next key before it signs, so tokens signed by either key verify while STS holds a
 * cached copy of this document.
 * @throws issuer_misconfigured when there is no key, a `kid` is empty or repeated, a key is not
 *   RSA, or a certificate does not parse or is not for its key.
 * @example buildJwks(await signingKeys.published()) // { keys: [{ kty: 'RSA', kid, n, e, x5c, … }] }
 */
export const buildJwks = (keys: readonly PublishedKey[]): Jwks => {
  if (keys.length === 0) throw new IssuerMisconfiguredError('no signing key to publish');
  const kids = new Set<string>();
  for (const key of keys) {
    if (typeof key.kid !== 'string' || key.kid.length === 0) {
      throw new IssuerMisconfiguredError('a published key has no kid');
    }
    // Verifiers pick the key by `kid`: two keys under one id would make one of them unreachable.
    if (kids.has(key.kid)) throw new IssuerMisconfiguredError(`key ${key.kid}: kid repeated`);
    kids.add(key.kid);
  }
  return { keys: keys.map(buildJwk) };
};
