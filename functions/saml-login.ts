import { parseConsoleDestination } from '../shared/console/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { createSamlLoginEndpoints } from '../shared/saml/login-endpoints.js';
import {
  attributesOf,
  compose,
  errorPagesOf,
  meter,
  onlyRouteOf,
  stateOf,
} from './compose/index.js';

const fn = compose('saml-login');
const endpoints = createSamlLoginEndpoints({
  attributes: attributesOf(fn),
  state: stateOf(fn),
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});

/** `GET /saml/{idp}/login`: SP-initiated sign-in (an AuthnRequest to the IdP). */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  onlyRouteOf(fn, (event) => endpoints.login(event)),
);
