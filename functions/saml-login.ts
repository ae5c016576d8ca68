import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import { createStores, errorPagesFor } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import { createSamlLoginEndpoints } from '../shared/saml/login-endpoints.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';

const config = loadConfig(process.env);
const { attributes, state } = createStores({
  config,
  dynamo: new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS }),
});
const endpoints = createSamlLoginEndpoints({
  attributes,
  state,
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/** `GET /saml/{idp}/login`: SP-initiated sign-in (an AuthnRequest to the IdP). */
export const handler = createHttpHandler(
  {
    logger,
    meter,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  (event) => endpoints.login(event),
);
