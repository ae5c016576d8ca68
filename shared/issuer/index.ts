/**
 * The issuer domain: what fedgate signs for AWS (ARCHITECTURE.md §1: fedgate is the identity
 * provider AWS trusts). The SAML Response for AssumeRoleWithSAML, the IdP metadata registered as
 * the IAM SAML provider, and the Signer port they sign through (local keys here, KMS in AWS).
 */

export { type AwsIdpMetadataOptions, buildAwsIdpMetadata } from './aws-idp-metadata.js';
export {
  AWS_SAML_ATTRIBUTE_PREFIX,
  AWS_SAML_AUDIENCE_URN,
  AWS_SIGNIN_SAML_URL,
  type AwsSamlGrant,
  type AwsSamlMinter,
  type AwsSamlMinterOptions,
  type AwsSamlMintInput,
  createAwsSamlMinter,
  DEFAULT_ASSERTION_LIFETIME_SECONDS,
  isAuthnContextClassRef,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_SAML_RESPONSE_BASE64_LENGTH,
  type MintedAwsSamlResponse,
  NAMEID_FORMAT_PERSISTENT,
} from './aws-saml-assertion.js';
export { IssuerMisconfiguredError, MintInvalidValueError, MintTooLargeError } from './errors.js';
export {
  createKmsSigningKeys,
  KMS_CLIENT_DEFAULTS,
  type KmsPort,
  type KmsSigningKeysOptions,
} from './kms-signing-keys.js';
export { loadSigningKeys } from './load-signing-keys.js';
export {
  computeKeyId,
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type LocalSigningKeysOptions,
} from './local-signing-keys.js';
export {
  buildJwks,
  buildOpenIdConfiguration,
  type Jwks,
  type OpenIdConfiguration,
  type PublishedJwk,
} from './oidc-discovery.js';
export * from './signing-keys.js';
export {
  AWS_SOURCE_IDENTITY_CLAIM,
  AWS_TAGS_CLAIM,
  buildRoleBoundSubject,
  checkIssuerUrl,
  checkRoleBindable,
  createWebIdentityMinter,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  jwsSigningInput,
  MAX_SUBJECT_LENGTH,
  MAX_TOKEN_LIFETIME_SECONDS,
  MAX_WEB_IDENTITY_TOKEN_LENGTH,
  type MintedWebIdentityToken,
  ROLE_SUBJECT_SEPARATOR,
  roleBoundSubjectPattern,
  type WebIdentityGrant,
  type WebIdentityMinter,
  type WebIdentityMinterOptions,
  type WebIdentityMintInput,
} from './web-identity-token.js';
export * from './x509.js';
