import { createCliApi } from '../shared/cli/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import { portalSettingsFrom } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { createDynamoSessionStore } from '../shared/store/index.js';
import {
  attributesOf,
  awsAccessOf,
  compose,
  dynamoOf,
  meter,
  routesOf,
  samlAssumptionOf,
  sessionsOf,
  stateOf,
} from './compose/index.js';

const fn = compose('cli');
const attributes = attributesOf(fn);
const api = createCliApi({
  sessions: sessionsOf(fn),
  sessionStore: createDynamoSessionStore({
    client: dynamoOf(fn),
    tableName: fn.config.stateTableName,
  }),
  state: stateOf(fn),
  access: awsAccessOf(fn, { saml: samlAssumptionOf(fn) }),
  loadIdp: (id) => attributes.getIdp(id),
  settings: portalSettingsFrom(attributes),
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});

/**
 * The fedgate CLI's API (JSON, no cookies, no CORS): sign-in codes and device polling to a CLI
 * session (`POST /cli/token`), device authorizations, and — with the session's bearer token —
 * roles, credentials (credential_process), the console, logout.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'json' },
  routesOf(fn, {
    'POST /cli/token': (e) => api.token(e),
    'POST /cli/device': (e) => api.device(e),
    'POST /cli/roles': (e) => api.roles(e),
    'POST /cli/credentials': (e) => api.credentials(e),
    'POST /cli/console': (e) => api.console(e),
    'POST /cli/logout': (e) => api.logout(e),
  }),
);
