import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../shared/config/index.js';
import { createHomeEndpoint, createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import {
  createCachedAttributeStore,
  createDynamoAttributeStore,
  DYNAMODB_CLIENT_DEFAULTS,
} from '../shared/store/index.js';

// Cold start: a bad deploy fails here, at init, not on a user.
const config = loadConfig(process.env);
const attributes = createCachedAttributeStore(
  createDynamoAttributeStore({
    client: new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS }),
    tableName: config.attributeTableName,
  }),
  { ttlSeconds: config.configCacheSeconds },
);

/** `GET /`: the home page listing the configured IdPs. */
export const handler = createHttpHandler(
  { logger, meter, format: 'html' },
  createHomeEndpoint({
    listIdps: () => attributes.listIdps(),
    publicBaseUrl: config.publicBaseUrl,
  }),
);
