/**
 * The gateway side of the fedgate CLI (RFC 8252 loopback and RFC 8628-shaped device sign-in, a CLI
 * session of kind `cli`, credentials and console for it). See README.md in this folder.
 */

export { type CliApi, type CliApiDeps, createCliApi, DEVICE_GRANT_TYPE } from './api-endpoints.js';
export {
  type Approval,
  ApprovalSchema,
  approvalOf,
  CLIENT_LABEL,
  isClientLabel,
} from './approval.js';
export { createUserCodeLimiter, USER_CODE_LIMITS, type UserCodeLimiter } from './attempts.js';
export {
  authorizePathOf,
  type CliAuthorizeRequest,
  parseCliAuthorizeRequest,
} from './authorize-request.js';
export { type CliPages, type CliPagesDeps, createCliPages } from './browser-endpoints.js';
export { CLI_CODE_TTL_SECONDS, cliCodeKey, issueCliCode, redeemCliCode } from './codes.js';
export {
  DEVICE_POLL_INTERVAL_SECONDS,
  DEVICE_TTL_SECONDS,
  deviceIdOf,
  formatUserCode,
  newDeviceCodes,
  normaliseUserCode,
  USER_CODE_ALPHABET,
} from './device.js';
export * from './errors.js';
export { parseLoopbackRedirectUri } from './loopback.js';
export { cliSetupFor } from './portal-setup.js';
export { type CliRole, cliRoleOf, resolveCliRole } from './roles.js';
