import { parseConsoleDestination } from '../shared/console/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import {
  createAcsEndpoint,
  createSamlResponseVerifier,
  mapSamlIdentity,
} from '../shared/saml/index.js';
import {
  attributesOf,
  awsAccessOf,
  compose,
  errorPagesOf,
  meter,
  onlyRouteOf,
  replayOf,
  samlAssumptionOf,
  signInOf,
  stateOf,
} from './compose/index.js';

const fn = compose('saml-acs');
const { complete, confirmation } = signInOf(fn, {
  access: awsAccessOf(fn, { saml: samlAssumptionOf(fn) }),
});
const acs = createAcsEndpoint({
  attributes: attributesOf(fn),
  state: stateOf(fn),
  replay: replayOf(fn),
  verify: createSamlResponseVerifier({ clockSkewSeconds: fn.config.clockSkewSeconds }),
  toIdentity: mapSamlIdentity,
  parseDestination: (raw) => parseConsoleDestination(raw),
  complete,
  confirmation,
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});

/** `POST /saml/{idp}/acs`: an upstream IdP's SAML response → a session, then the AWS console or the access portal. */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  onlyRouteOf(fn, (event) => acs.acs(event)),
);
