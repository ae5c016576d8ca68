import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import { createAwsHandback, createLazySigningKeys, createStores } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger } from '../shared/log.js';
import {
  createOidcClient,
  createOidcEndpoints,
  createSecretResolver,
} from '../shared/oidc/index.js';
import { createDynamoSpaClients } from '../shared/spa/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients, keys and the per-container discovery/JWKS cache.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const handback = createAwsHandback({
  config,
  state,
  sts: new STSClient({ ...STS_CLIENT_DEFAULTS }),
  fetch,
  signingKeys: createLazySigningKeys({
    config,
    readFile: (p) => readFile(p, 'utf8'),
    kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
  }),
  log: logger,
});
const endpoints = createOidcEndpoints({
  attributes,
  state,
  client: createOidcClient({
    fetch,
    resolveSecret: createSecretResolver({
      readEnv: (name) => process.env[name],
      readFile: (p) => readFile(p, 'utf8'),
    }),
    clockSkewSeconds: config.clockSkewSeconds,
  }),
  parseDestination: (raw) => parseConsoleDestination(raw),
  spaClients: createDynamoSpaClients({
    client: dynamo,
    tableName: config.attributeTableName,
    ttlSeconds: config.configCacheSeconds,
  }),
  handback,
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/** `GET /oidc/{idp}/callback`: the IdP's authorization response → ID token → AWS console or picker. */
export const handler = createHttpHandler({ logger, format: 'html' }, (event) =>
  endpoints.callback(event),
);
