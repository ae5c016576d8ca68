import { createHttpHandler } from '../shared/http/index.js';
import { createMapperCache } from '../shared/mapping/index.js';
import { createSpaEndpoints, spaCors } from '../shared/spa/index.js';
import {
  attributesOf,
  awsAccessOf,
  compose,
  meter,
  routesOf,
  servesNoSamlSessions,
  sessionsOf,
  spaClientsOf,
  stateOf,
} from './compose/index.js';

// SPA sessions are OIDC sign-ins: fedgate's web identity token → AssumeRoleWithWebIdentity.
const fn = compose('credentials');
const attributes = attributesOf(fn);
const clients = spaClientsOf(fn);
const spa = createSpaEndpoints({
  clients,
  state: stateOf(fn),
  sessions: sessionsOf(fn),
  access: awsAccessOf(fn, { saml: servesNoSamlSessions }),
  loadIdp: (id) => attributes.getIdp(id),
  mapperFor: createMapperCache(attributes),
  log: fn.logger,
});

/**
 * The SPA's API (CORS for exactly each client's origin): redeem a one-time code
 * (`POST /redeem`), fresh credentials from the session (`POST /credentials`), list grants
 * (`POST /grants`), end the session (`POST /logout`), and the preflights of the four.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'json', middlewares: [spaCors(clients)] },
  routesOf(fn, {
    'POST /redeem': (e) => spa.redeem(e),
    'OPTIONS /redeem': (e) => spa.preflight(e),
    'POST /credentials': (e) => spa.credentials(e),
    'OPTIONS /credentials': (e) => spa.preflight(e),
    'POST /grants': (e) => spa.grants(e),
    'OPTIONS /grants': (e) => spa.preflight(e),
    'POST /logout': (e) => spa.logout(e),
    'OPTIONS /logout': (e) => spa.preflight(e),
  }),
);
