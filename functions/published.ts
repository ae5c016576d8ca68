import { parseConsoleDestination } from '../shared/console/index.js';
import { createPublishedEndpoints } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import type { SigningKeys } from '../shared/issuer/index.js';
import { createSamlLoginEndpoints } from '../shared/saml/login-endpoints.js';
import type { StateStore } from '../shared/store/index.js';
import { attributesOf, compose, meter, routesOf, unusedPortOf } from './compose/index.js';

// No keys here: the documents that carry fedgate's keys are published-keys' (their certificates
// are self-signed through KMS, a grant this function, which runs samlify on any IdP's metadata
// request, does not hold).
const fn = compose('published');
const sp = createSamlLoginEndpoints({
  attributes: attributesOf(fn),
  // SP metadata reads no state; the login endpoint that writes it is saml-login's.
  state: unusedPortOf<StateStore>(fn, 'the state store', 'any state access'),
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});
const published = createPublishedEndpoints({
  config: fn.config,
  signingKeys: unusedPortOf<SigningKeys>(fn, "fedgate's signing keys", 'kms.fedgateKeys'),
});

/**
 * The published documents without keys: SP metadata per upstream IdP (to register at the IdP),
 * and fedgate's OIDC discovery document for the IAM OIDC provider.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'json' },
  routesOf(fn, {
    'GET /saml/{idp}/metadata': (e) => sp.metadata(e),
    'GET /.well-known/openid-configuration': (e) => published.openIdConfiguration(e),
  }),
);
