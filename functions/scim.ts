import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../shared/config/index.js';
import { createDeprovisioning } from '../shared/directory/index.js';
import { createStores } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import { createSecretResolver, extensionSecretPortFromEnv } from '../shared/oidc/index.js';
import {
  createScimAuthenticator,
  createScimEndpoints,
  createScimService,
  createScimThrottle,
  scimErrorBody,
} from '../shared/scim/index.js';
import {
  createDynamoDirectoryStore,
  createDynamoSessionStore,
  DYNAMODB_CLIENT_DEFAULTS,
} from '../shared/store/index.js';

// Cold start: config, clients, the token resolver.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes } = createStores({ config, dynamo });
// Bearer tokens by reference: env:/file:, and arn:aws:secretsmanager:/ssm: through the AWS
// Parameters and Secrets Lambda Extension, as OIDC client secrets are.
const resolveSecret = createSecretResolver({
  readEnv: (name) => process.env[name],
  readFile: (p) => readFile(p, 'utf8'),
  aws: extensionSecretPortFromEnv(process.env),
});
const scim = createScimEndpoints({
  loadIdp: (id) => attributes.getIdp(id),
  authenticate: createScimAuthenticator(resolveSecret),
  throttle: createScimThrottle(),
  service: createScimService({
    store: createDynamoDirectoryStore({ client: dynamo, tableName: config.attributeTableName }),
    deprovision: createDeprovisioning({
      sessions: createDynamoSessionStore({ client: dynamo, tableName: config.stateTableName }),
      log: logger,
    }),
    log: logger,
  }),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/**
 * SCIM 2.0 provisioning (`/scim/v2/{idp}/…`): Users and Groups into each IdP's directory in the
 * attribute table; deprovisioning revokes the person's sessions.
 */
export const handler = createHttpHandler(
  { logger, meter, format: 'json', middlewares: [scimErrorBody()] },
  (event) => scim(event),
);
