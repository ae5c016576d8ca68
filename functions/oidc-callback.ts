import { createHttpHandler } from '../shared/http/index.js';
import {
  CLIENT_JWKS_ROUTE_KEY,
  createClientJwksEndpoint,
  createOidcCallback,
  createOidcClient,
} from '../shared/oidc/index.js';
import {
  attributesOf,
  awsAccessOf,
  clientAuthenticatorOf,
  compose,
  errorPagesOf,
  meter,
  routesOf,
  secretResolverOf,
  servesNoSamlSessions,
  signInOf,
  spaClientsOf,
  stateOf,
} from './compose/index.js';

// SPA sign-ins and OIDC sessions are web identity: no SAML assumption, no XML stack bundled. The
// OIDC client keeps the per-container discovery/JWKS cache.
const fn = compose('oidc-callback');
const { complete } = signInOf(fn, { access: awsAccessOf(fn, { saml: servesNoSamlSessions }) });
const authenticator = clientAuthenticatorOf(fn);
const endpoints = createOidcCallback({
  attributes: attributesOf(fn),
  state: stateOf(fn),
  client: createOidcClient({
    fetch,
    resolveSecret: secretResolverOf(fn),
    clientAuth: authenticator,
    clockSkewSeconds: fn.config.clockSkewSeconds,
  }),
  spaClients: spaClientsOf(fn),
  complete,
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
  meter,
});
const clientJwks = createClientJwksEndpoint({ attributes: attributesOf(fn), authenticator });
const callback = (event: Parameters<typeof endpoints.callback>[0]) => endpoints.callback(event);

/**
 * `GET /oidc/{idp}/callback`: the IdP's authorization response → ID token → a session, then the
 * AWS console or the access portal. `GET /oidc/{idp}/jwks.json`: the public key of the IdP's
 * private_key_jwt client key (served by the function that signs with it, which alone holds the
 * key's grant). Every other route key (`$default` from `npm run invoke`, a recorded event) is the
 * callback, as before.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  routesOf(
    fn,
    { 'GET /oidc/{idp}/callback': callback, [CLIENT_JWKS_ROUTE_KEY]: clientJwks },
    callback,
  ),
);
