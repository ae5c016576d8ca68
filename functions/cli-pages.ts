import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCliPages, createUserCodeLimiter } from '../shared/cli/index.js';
import { loadConfig } from '../shared/config/index.js';
import {
  createSessionsFor,
  createStores,
  errorPagesFor,
  routeBy,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { logger, meter } from '../shared/log.js';
import { createDynamoAttemptCounter, DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';

// Cold start: a bad deploy fails here, at init, not on a user.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const pages = createCliPages({
  sessions: createSessionsFor({ config, dynamo, attributes, log: logger }),
  state,
  limitUserCodes: createUserCodeLimiter({
    counter: createDynamoAttemptCounter({ client: dynamo, tableName: config.stateTableName }),
  }),
  listIdps: () => attributes.listIdps(),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/**
 * The fedgate CLI's pages in the person's browser, on their browser session: the loopback
 * sign-in's consent and the device sign-in's code entry and confirmation.
 */
export const handler = createHttpHandler(
  {
    logger,
    meter,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  routeBy({
    'GET /cli/authorize': (e) => pages.authorize(e),
    'POST /cli/authorize': (e) => pages.consent(e),
    'GET /cli/device': (e) => pages.device(e),
    'POST /cli/device/confirm': (e) => pages.confirm(e),
  }),
);
