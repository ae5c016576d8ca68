import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { createCliApi } from '../shared/cli/index.js';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createSamlAssumption,
  createSessionsFor,
  createStores,
  portalSettingsFrom,
  routeBy,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import { createDynamoSessionStore, DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients and keys once per container.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const sts = new STSClient({ ...STS_CLIENT_DEFAULTS });
const signingKeys = createLazySigningKeys({
  config,
  readFile: (p) => readFile(p, 'utf8'),
  kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
});
const api = createCliApi({
  sessions: createSessionsFor({ config, dynamo, attributes, log: logger }),
  sessionStore: createDynamoSessionStore({ client: dynamo, tableName: config.stateTableName }),
  state,
  access: createAwsAccessFor({
    config,
    sts,
    fetch,
    signingKeys,
    log: logger,
    saml: createSamlAssumption({ config, sts, signingKeys, log: logger }),
  }),
  loadIdp: (id) => attributes.getIdp(id),
  settings: portalSettingsFrom(attributes),
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/**
 * The fedgate CLI's API (JSON, no cookies, no CORS): sign-in codes and device polling to a CLI
 * session (`POST /cli/token`), device authorizations, and — with the session's bearer token —
 * roles, credentials (credential_process), the console, logout.
 */
export const handler = createHttpHandler(
  { logger, meter, format: 'json' },
  routeBy({
    'POST /cli/token': (e) => api.token(e),
    'POST /cli/device': (e) => api.device(e),
    'POST /cli/roles': (e) => api.roles(e),
    'POST /cli/credentials': (e) => api.credentials(e),
    'POST /cli/console': (e) => api.console(e),
    'POST /cli/logout': (e) => api.logout(e),
  }),
);
