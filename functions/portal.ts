import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createPortalActionsFor,
  createSamlAssumption,
  createSessionsFor,
  createSignInFor,
  createStores,
  errorPagesFor,
  routeBy,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients and keys once per container.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const sts = new STSClient({ ...STS_CLIENT_DEFAULTS });
const signingKeys = createLazySigningKeys({
  config,
  readFile: (p) => readFile(p, 'utf8'),
  kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
});
const access = createAwsAccessFor({
  config,
  sts,
  fetch,
  signingKeys,
  log: logger,
  saml: createSamlAssumption({ config, sts, signingKeys, log: logger }),
});
const sessions = createSessionsFor({ config, dynamo, attributes, log: logger });
const portal = createPortalActionsFor({ config, attributes, sessions, access, log: logger });
const { confirmation } = createSignInFor({
  config,
  attributes,
  state,
  sessions,
  access,
  log: logger,
});

/**
 * The access portal's actions for a signed-in person (open the console or access keys for any
 * granted role, sign out) and the confirmation of IdP-initiated sign-ins.
 */
export const handler = createHttpHandler(
  {
    logger,
    meter,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  routeBy({
    'POST /portal/open': (e) => portal.open(e),
    'GET /portal/keys': (e) => portal.keys(e),
    'POST /signout': (e) => portal.signOut(e),
    'POST /signin/confirm': (e) => confirmation.confirm(e),
  }),
);
