/**
 * The STS domain: AssumeRoleWithSAML / AssumeRoleWithWebIdentity with what fedgate minted,
 * duration clamping (and one retry at 3600 s), and STS errors translated into messages that say
 * what to fix. The STS client is built in `functions/` with {@link STS_CLIENT_DEFAULTS}.
 */
export { createRoleAssumer, type RoleAssumerDeps } from './assume-role.js';
export { regionalStsEndpoint, STS_CLIENT_DEFAULTS } from './client-config.js';
export { ALWAYS_ALLOWED_DURATION_SECONDS, clampDuration } from './duration.js';
export {
  isMaxSessionDurationExceeded,
  StsAccessDeniedError,
  StsAssumeRoleFailedError,
  StsExpiredTokenError,
  StsIdpCommunicationError,
  StsIdpRejectedClaimError,
  StsInvalidIdentityTokenError,
  StsMalformedPolicyError,
  type StsOperation,
  StsPackedPolicyTooLargeError,
  StsRegionDisabledError,
  StsValidationError,
  translateStsError,
} from './errors.js';
export type {
  AssumeRoleWithSamlInput,
  AssumeRoleWithWebIdentityInput,
  AwsSessionCredentials,
  RoleAssumer,
  StsPort,
} from './types.js';
