import { createPortalViewFor } from '../shared/gateway/index.js';
import { createHomeEndpoint, createHttpHandler } from '../shared/http/index.js';
import { createHome } from '../shared/portal/index.js';
import {
  attributesOf,
  compose,
  errorPagesOf,
  meter,
  onlyRouteOf,
  sessionsOf,
} from './compose/index.js';

const fn = compose('home');
const attributes = attributesOf(fn);
const home = createHome({
  portal: createPortalViewFor({
    config: fn.config,
    attributes,
    sessions: sessionsOf(fn),
    log: fn.logger,
  }),
  signIn: createHomeEndpoint({
    listIdps: () => attributes.listIdps(),
    publicBaseUrl: fn.config.publicBaseUrl,
  }),
});

/** `GET /`: the access portal for a signed-in person, the IdP list for anyone else. */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  onlyRouteOf(fn, home),
);
