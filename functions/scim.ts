import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { createKillSwitch } from '../infra/admin/kill-switch-aws.js';
import { loadConfig } from '../shared/config/index.js';
import { createAwsKillSwitch, createDeprovisioning } from '../shared/directory/index.js';
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
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

/** IAM is global: its endpoint region per partition. */
const IAM_REGION = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
} as const;

// Cold start: config, clients, the token resolver.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes } = createStores({ config, dynamo });
const sts = new STSClient({ ...STS_CLIENT_DEFAULTS });
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
      // IdPs with directory.deprovisioning.awsKillSwitch: the function's role assumes each target
      // account's fedgate-revocation-writer (it is one of the stage's revocationWriters).
      killSwitch: createAwsKillSwitch(
        (partition) =>
          createKillSwitch({
            sts,
            iamFor: (credentials) => new IAMClient({ region: IAM_REGION[partition], credentials }),
          }).apply,
      ),
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
