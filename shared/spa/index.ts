/**
 * The SPA hand-off (issue #4): allowlisted `return_to` per SPA client, one-time codes bound to the
 * SPA's PKCE challenge, `POST /credentials` with CORS for exactly the client's origin, fedgate
 * sessions with refresh and logout, grants chosen by opaque id. See README.md in this folder.
 */
export {
  createDynamoSpaClients,
  createStaticSpaClients,
  parseSpaReturnTo,
  requireSpaClient,
  type SpaClientRegistry,
} from './clients.js';
export {
  createSpaEndpoints,
  type SpaEndpointsDeps,
  spaCors,
  spaSessionCookie,
} from './endpoints.js';
export * from './errors.js';
export {
  codeKey,
  isPkceVerifier,
  isS256Challenge,
  issueSpaCode,
  SPA_CODE_TTL_SECONDS,
  type SpaCode,
  SpaCodeSchema,
  type SpaSession,
  SpaSessionSchema,
  sessionKey,
  verifierMatches,
} from './handoff.js';
