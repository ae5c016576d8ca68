/**
 * The HTTP API's routes: which function serves which route. One table for the CDK app (one API
 * Gateway route per entry) and the local runner (which matches requests the same way), so the
 * two cannot disagree. Functions are named by their file in functions/.
 */
export interface RouteDef {
  /** API Gateway route key: `METHOD /path/{param}`. */
  routeKey: `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'} /${string}`;
  /** File name in functions/ without extension. */
  fn: string;
}

export const ROUTES: readonly RouteDef[] = [
  { routeKey: 'GET /', fn: 'home' },
  { routeKey: 'POST /saml/{idp}/acs', fn: 'saml-acs' },
  { routeKey: 'GET /saml/{idp}/login', fn: 'saml-login' },
  { routeKey: 'GET /oidc/{idp}/login', fn: 'oidc-login' },
  // One redirect URI per IdP: a response can only ever be redeemed at the IdP it came from.
  { routeKey: 'GET /oidc/{idp}/callback', fn: 'oidc-callback' },
  // The private_key_jwt client key's public half, to register at the IdP: served by the function
  // that signs client assertions (it alone holds that key's grant).
  { routeKey: 'GET /oidc/{idp}/jwks.json', fn: 'oidc-callback' },
  // The access portal's actions and the IdP-initiated sign-in confirmation (GET / is `home`).
  { routeKey: 'POST /portal/open', fn: 'portal' },
  { routeKey: 'GET /portal/keys', fn: 'portal' },
  { routeKey: 'POST /signout', fn: 'portal' },
  { routeKey: 'POST /signin/confirm', fn: 'portal' },
  { routeKey: 'GET /saml/{idp}/metadata', fn: 'published' },
  { routeKey: 'GET /aws/saml-metadata.xml', fn: 'published' },
  { routeKey: 'GET /.well-known/openid-configuration', fn: 'published' },
  { routeKey: 'GET /.well-known/jwks.json', fn: 'published' },
  // The SPA's API: the only routes with CORS (exactly each SPA client's origin), and their
  // explicit preflights (the HTTP API itself has no CORS configuration).
  { routeKey: 'POST /redeem', fn: 'credentials' },
  { routeKey: 'OPTIONS /redeem', fn: 'credentials' },
  { routeKey: 'POST /credentials', fn: 'credentials' },
  { routeKey: 'OPTIONS /credentials', fn: 'credentials' },
  { routeKey: 'POST /grants', fn: 'credentials' },
  { routeKey: 'OPTIONS /grants', fn: 'credentials' },
  { routeKey: 'POST /logout', fn: 'credentials' },
  { routeKey: 'OPTIONS /logout', fn: 'credentials' },
  // The fedgate CLI: its pages in the person's browser, on the browser session (the loopback
  // sign-in's consent, the device sign-in's code entry and confirmation) …
  { routeKey: 'GET /cli/authorize', fn: 'cli-pages' },
  { routeKey: 'POST /cli/authorize', fn: 'cli-pages' },
  { routeKey: 'GET /cli/device', fn: 'cli-pages' },
  { routeKey: 'POST /cli/device/confirm', fn: 'cli-pages' },
  // … and its JSON API (no cookies, no CORS): codes to a CLI session, then bearer calls.
  { routeKey: 'POST /cli/token', fn: 'cli' },
  { routeKey: 'POST /cli/device', fn: 'cli' },
  { routeKey: 'POST /cli/roles', fn: 'cli' },
  { routeKey: 'POST /cli/credentials', fn: 'cli' },
  { routeKey: 'POST /cli/console', fn: 'cli' },
  { routeKey: 'POST /cli/logout', fn: 'cli' },
  // SCIM 2.0 provisioning, one base URL per IdP (its bearer token opens its directory only):
  // discovery documents, then Users and Groups (shared/directory/README.md).
  { routeKey: 'GET /scim/v2/{idp}/ServiceProviderConfig', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/ResourceTypes', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/ResourceTypes/{id}', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Schemas', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Schemas/{id}', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Users', fn: 'scim' },
  { routeKey: 'POST /scim/v2/{idp}/Users', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Users/{id}', fn: 'scim' },
  { routeKey: 'PUT /scim/v2/{idp}/Users/{id}', fn: 'scim' },
  { routeKey: 'PATCH /scim/v2/{idp}/Users/{id}', fn: 'scim' },
  { routeKey: 'DELETE /scim/v2/{idp}/Users/{id}', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Groups', fn: 'scim' },
  { routeKey: 'POST /scim/v2/{idp}/Groups', fn: 'scim' },
  { routeKey: 'GET /scim/v2/{idp}/Groups/{id}', fn: 'scim' },
  { routeKey: 'PUT /scim/v2/{idp}/Groups/{id}', fn: 'scim' },
  { routeKey: 'PATCH /scim/v2/{idp}/Groups/{id}', fn: 'scim' },
  { routeKey: 'DELETE /scim/v2/{idp}/Groups/{id}', fn: 'scim' },
];

/** Function names, each once. */
export const FUNCTIONS: readonly string[] = [...new Set(ROUTES.map((r) => r.fn))];
