/**
 * Upstream OIDC: fedgate as the relying party of OpenID providers (openid-client: code flow, PKCE
 * S256, state, nonce, signed ID tokens with a pinned algorithm), the transactions in the state
 * table, the IdP profiles (generic, Okta, Entra ID, Google) and the mapping to an Identity.
 * See README.md in this folder for the validation order and every error code.
 */

export {
  type AwsSecretRef,
  createExtensionSecretPort,
  type ExtensionSecretPortOptions,
  extensionSecretPortFromEnv,
  parseAwsSecretRef,
  SECRETS_EXTENSION_DEFAULT_PORT,
  SECRETS_EXTENSION_TOKEN_HEADER,
} from './aws-secrets.js';
export {
  type BoundedFetchOptions,
  createBoundedFetch,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
} from './bounded-fetch.js';
export { ENTRA_CONSUMER_TENANT, mapOidcIdentity } from './claims.js';
export {
  type AuthorizationRequest,
  type CodeRedemption,
  createOidcClient,
  type OidcClient,
  type OidcClientDeps,
} from './client.js';
export {
  CLIENT_ASSERTION_TYPE,
  CLIENT_JWKS_ROUTE_KEY,
  type ClientAssertionInput,
  type ClientAuthDeps,
  type ClientAuthenticator,
  type ClientJwksEndpointDeps,
  ClientKeyNotConfiguredError,
  createClientAuthenticator,
  createClientJwksEndpoint,
  DEFAULT_ASSERTION_LIFETIME_SECONDS,
  MAX_ASSERTION_LIFETIME_SECONDS,
  secretClientAuth,
  signClientAssertion,
} from './client-auth.js';
export {
  createOidcCallback,
  createOidcLogin,
  loadOidcIdp,
  type OidcCallbackDeps,
  type OidcLoginDeps,
  oidcRedirectUri,
} from './endpoints.js';
export * from './errors.js';
export { type IdTokenClaimsPolicy, verifyIdTokenClaims } from './id-token-claims.js';
export {
  createIdTokenSignatureVerifier,
  type IdTokenSignatureVerifier,
  type IdTokenSignatureVerifierOptions,
  type IdTokenSigningAlg,
  isPlainJwtTyp,
  JWKS_BACKOFF_BASE_MS,
  JWKS_BACKOFF_MAX_MS,
  JWKS_MAX_AGE_MS,
  JWKS_MAX_STALE_MS,
  JWKS_REFETCH_AFTER_MS,
} from './id-token-signature.js';
export {
  type AwsSecretPort,
  createSecretResolver,
  type SecretResolver,
  type SecretResolverDeps,
} from './secrets.js';
export {
  isWellFormedState,
  newTransactionSecrets,
  OIDC_TRANSACTION_TTL_SECONDS,
  type OidcTransaction,
  OidcTransactionSchema,
  transactionCookie,
  transactionKey,
} from './transaction.js';
export { translateOidcError } from './translate.js';
