import { createCliPages, createUserCodeLimiter } from '../shared/cli/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { createDynamoAttemptCounter } from '../shared/store/index.js';
import {
  attributesOf,
  compose,
  dynamoOf,
  errorPagesOf,
  meter,
  routesOf,
  sessionsOf,
  stateOf,
} from './compose/index.js';

const fn = compose('cli-pages');
const attributes = attributesOf(fn);
const pages = createCliPages({
  sessions: sessionsOf(fn),
  state: stateOf(fn),
  limitUserCodes: createUserCodeLimiter({
    counter: createDynamoAttemptCounter({
      client: dynamoOf(fn),
      tableName: fn.config.stateTableName,
    }),
  }),
  listIdps: () => attributes.listIdps(),
  publicBaseUrl: fn.config.publicBaseUrl,
  log: fn.logger,
});

/**
 * The fedgate CLI's pages in the person's browser, on their browser session: the loopback
 * sign-in's consent and the device sign-in's code entry and confirmation.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'html', ...errorPagesOf(fn) },
  routesOf(fn, {
    'GET /cli/authorize': (e) => pages.authorize(e),
    'POST /cli/authorize': (e) => pages.consent(e),
    'GET /cli/device': (e) => pages.device(e),
    'POST /cli/device/confirm': (e) => pages.confirm(e),
  }),
);
