/**
 * Upstream SAML: the verifier of IdP responses (one parse, closed structure, signatures against
 * configured certificates only, post-checks), the replay step, and the mapping to an Identity.
 * See README.md in this folder for the validation order and every error code.
 */

export {
  type AcsDeps,
  createAcsEndpoint,
  type SamlResponseVerifier,
  UnsolicitedResponseRefusedError,
} from './acs-endpoint.js';
export {
  ENTRA_GROUPS_LINK_CLAIM,
  ENTRA_OBJECT_ID_CLAIM,
  ENTRA_TENANT_CLAIM,
  mapSamlIdentity,
  NAME_ID_CLAIM,
} from './claims.js';
export { consumeAssertion } from './consume-assertion.js';
export * from './errors.js';
export { loadSamlIdp } from './load-idp.js';
export { MAX_BASE64_LENGTH, MAX_XML_BYTES } from './parse-xml.js';
// Not re-exported here: login-endpoints.ts and sp.ts load samlify, which the ACS bundle must not.
export { AUTHN_REQUEST_TTL_SECONDS, pendingRequestCookie, type SpUrls, spUrls } from './sp-urls.js';
export {
  compileSamlTrust,
  type IdpMetadata,
  parseIdpMetadata,
  type SamlTrust,
  type TrustedCertificate,
} from './trust.js';
export type { VerifiedAssertion } from './types.js';
export {
  createSamlResponseVerifier,
  createSamlVerifier,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_VALIDITY_SECONDS,
  type SamlVerifier,
  type SamlVerifierOptions,
  type SamlVerifyInput,
} from './verify-response.js';
