import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import { createStores, errorPagesFor } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import {
  createOidcClient,
  createOidcEndpoints,
  createSecretResolver,
  extensionSecretPortFromEnv,
} from '../shared/oidc/index.js';
import { createDynamoSpaClients } from '../shared/spa/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';

// Cold start: config, clients, the per-container discovery/JWKS cache.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const endpoints = createOidcEndpoints({
  attributes,
  state,
  client: createOidcClient({
    fetch,
    // arn:aws:secretsmanager:/ssm: through the AWS Parameters and Secrets Lambda Extension.
    resolveSecret: createSecretResolver({
      readEnv: (name) => process.env[name],
      readFile: (p) => readFile(p, 'utf8'),
      aws: extensionSecretPortFromEnv(process.env),
    }),
    clockSkewSeconds: config.clockSkewSeconds,
  }),
  parseDestination: (raw) => parseConsoleDestination(raw),
  spaClients: createDynamoSpaClients({
    client: dynamo,
    tableName: config.attributeTableName,
    ttlSeconds: config.configCacheSeconds,
  }),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
  meter,
});

/** `GET /oidc/{idp}/login`: start a sign-in at an upstream OpenID provider (code + PKCE). */
export const handler = createHttpHandler(
  {
    logger,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  (event) => endpoints.login(event),
);
