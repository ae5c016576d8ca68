import { createPortalActionsFor } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import {
  attributesOf,
  awsAccessOf,
  compose,
  errorPagesOf,
  meter,
  routesOf,
  samlAssumptionOf,
  sessionsOf,
  signInOf,
} from './compose/index.js';

const fn = compose('portal');
const access = awsAccessOf(fn, { saml: samlAssumptionOf(fn) });
const portal = createPortalActionsFor({
  config: fn.config,
  attributes: attributesOf(fn),
  sessions: sessionsOf(fn),
  access,
  log: fn.logger,
});
const { confirmation } = signInOf(fn, { access });

/**
 * The access portal's actions for a signed-in person (open the console or access keys for any
 * granted role, sign out) and the confirmation of IdP-initiated sign-ins.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  routesOf(fn, {
    'POST /portal/open': (e) => portal.open(e),
    'GET /portal/keys': (e) => portal.keys(e),
    'POST /signout': (e) => portal.signOut(e),
    'POST /signin/confirm': (e) => confirmation.confirm(e),
  }),
);
