import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createSessionsFor,
  createStores,
  routeBy,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import { createMapperCache } from '../shared/mapping/index.js';
import { createDynamoSpaClients, createSpaEndpoints, spaCors } from '../shared/spa/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients, keys.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const clients = createDynamoSpaClients({
  client: dynamo,
  tableName: config.attributeTableName,
  ttlSeconds: config.configCacheSeconds,
});
const spa = createSpaEndpoints({
  clients,
  state,
  sessions: createSessionsFor({ config, dynamo, attributes, log: logger }),
  // SPA sessions are OIDC sign-ins: fedgate's web identity token → AssumeRoleWithWebIdentity.
  access: createAwsAccessFor({
    config,
    sts: new STSClient({ ...STS_CLIENT_DEFAULTS }),
    fetch,
    signingKeys: createLazySigningKeys({
      config,
      readFile: (p) => readFile(p, 'utf8'),
      kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
    }),
    log: logger,
    meter,
  }),
  loadIdp: (id) => attributes.getIdp(id),
  mapperFor: createMapperCache(attributes),
  log: logger,
});

/**
 * The SPA's API (CORS for exactly each client's origin): redeem a one-time code
 * (`POST /redeem`), fresh credentials from the session (`POST /credentials`), list grants
 * (`POST /grants`), end the session (`POST /logout`), and the preflights of the four.
 */
export const handler = createHttpHandler(
  { logger, format: 'json', middlewares: [spaCors(clients)] },
  routeBy({
    'POST /redeem': (e) => spa.redeem(e),
    'OPTIONS /redeem': (e) => spa.preflight(e),
    'POST /credentials': (e) => spa.credentials(e),
    'OPTIONS /credentials': (e) => spa.preflight(e),
    'POST /grants': (e) => spa.grants(e),
    'OPTIONS /grants': (e) => spa.preflight(e),
    'POST /logout': (e) => spa.logout(e),
    'OPTIONS /logout': (e) => spa.preflight(e),
  }),
);
