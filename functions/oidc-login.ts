import { parseConsoleDestination } from '../shared/console/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { createOidcClient, createOidcLogin } from '../shared/oidc/index.js';
import {
  attributesOf,
  compose,
  errorPagesOf,
  meter,
  onlyRouteOf,
  secretResolverOf,
  spaClientsOf,
  stateOf,
} from './compose/index.js';

// The OIDC client keeps the per-container discovery/JWKS cache.
const fn = compose('oidc-login');
const endpoints = createOidcLogin({
  attributes: attributesOf(fn),
  state: stateOf(fn),
  client: createOidcClient({
    fetch,
    resolveSecret: secretResolverOf(fn),
    clockSkewSeconds: fn.config.clockSkewSeconds,
  }),
  parseDestination: (raw) => parseConsoleDestination(raw),
  spaClients: spaClientsOf(fn),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
  meter,
});

/** `GET /oidc/{idp}/login`: start a sign-in at an upstream OpenID provider (code + PKCE). */
export const handler = createHttpHandler(
  { logger: fn.logger, format: 'html', ...errorPagesOf(fn) },
  onlyRouteOf(fn, (event) => endpoints.login(event)),
);
