/**
 * SPAs on the one session model: allowlisted `return_to` per SPA client, one-time codes holding
 * the verified identity and bound to the SPA's PKCE challenge and to the browser that started the
 * login, sessions of kind `spa` re-evaluated at every refresh, CORS for exactly the client's
 * origin, grants chosen by opaque id. See README.md in this folder.
 */
export {
  createStaticSpaClients,
  parseSpaReturnTo,
  requireSpaClient,
  spaErrorUrl,
  spaGrantsOf,
} from './clients.js';
export {
  createSpaCompletion,
  type SpaCompletion,
  type SpaCompletionDeps,
  type VerifiedSpaSignIn,
} from './completion.js';
export {
  createSpaEndpoints,
  type SpaEndpointsDeps,
  spaCors,
  spaSessionCookie,
} from './endpoints.js';
export * from './errors.js';
export {
  codeKey,
  isLoginBinding,
  isPkceVerifier,
  isS256Challenge,
  isSpaState,
  issueSpaCode,
  loginBindingHash,
  newLoginBinding,
  SPA_CODE_TTL_SECONDS,
  SPA_LOGIN_COOKIE,
  SPA_LOGIN_TTL_SECONDS,
  type SpaCode,
  SpaCodeSchema,
  type SpaLogin,
  SpaLoginSchema,
  verifierMatches,
} from './handoff.js';
