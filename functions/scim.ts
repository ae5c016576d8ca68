import { createHttpHandler } from '../shared/http/index.js';
import {
  createScimAuthenticator,
  createScimEndpoints,
  createScimService,
  createScimThrottle,
  scimErrorBody,
} from '../shared/scim/index.js';
import {
  attributesOf,
  compose,
  deprovisioningOf,
  directoryStoreOf,
  meter,
  routesOf,
  secretResolverOf,
} from './compose/index.js';

const fn = compose('scim');
const attributes = attributesOf(fn);
const scim = createScimEndpoints({
  loadIdp: (id) => attributes.getIdp(id),
  // Bearer tokens by reference, as OIDC client secrets are (the role reads the SCIM tokens only).
  authenticate: createScimAuthenticator(secretResolverOf(fn)),
  throttle: createScimThrottle(),
  service: createScimService({
    store: directoryStoreOf(fn),
    deprovision: deprovisioningOf(fn),
    log: fn.logger,
  }),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});

/**
 * SCIM 2.0 provisioning (`/scim/v2/{idp}/…`): Users and Groups into each IdP's directory in the
 * attribute table; deprovisioning revokes the person's sessions. The endpoint dispatches on the
 * route key itself (shared/scim/endpoints.ts), so every declared route goes to it.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'json', middlewares: [scimErrorBody()] },
  routesOf(fn, Object.fromEntries(fn.manifest.routes.map((route) => [route, scim]))),
);
