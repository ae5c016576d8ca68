import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../shared/config/index.js';
import {
  createPortalViewFor,
  createSessionsFor,
  createStores,
  errorPagesFor,
} from '../shared/gateway/index.js';
import { createHomeEndpoint, createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import { createHome } from '../shared/portal/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';

// Cold start: a bad deploy fails here, at init, not on a user.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes } = createStores({ config, dynamo });
const sessions = createSessionsFor({ config, dynamo, attributes, log: logger });

/** `GET /`: the access portal for a signed-in person, the IdP list for anyone else. */
export const handler = createHttpHandler(
  {
    logger,
    meter,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  createHome({
    portal: createPortalViewFor({ config, attributes, sessions, log: logger }),
    signIn: createHomeEndpoint({
      listIdps: () => attributes.listIdps(),
      publicBaseUrl: config.publicBaseUrl,
    }),
  }),
);
