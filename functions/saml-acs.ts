import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createSamlAssumption,
  createSessionsFor,
  createSignInFor,
  createStores,
  errorPagesFor,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import {
  createAcsEndpoint,
  createSamlResponseVerifier,
  mapSamlIdentity,
} from '../shared/saml/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients and keys once per container.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state, replay } = createStores({ config, dynamo });
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
const { complete, confirmation } = createSignInFor({
  config,
  attributes,
  state,
  sessions,
  access,
  log: logger,
});
const acs = createAcsEndpoint({
  attributes,
  state,
  replay,
  verify: createSamlResponseVerifier({ clockSkewSeconds: config.clockSkewSeconds }),
  toIdentity: mapSamlIdentity,
  parseDestination: (raw) => parseConsoleDestination(raw),
  complete,
  confirmation,
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/** `POST /saml/{idp}/acs`: an upstream IdP's SAML response → a session, then the AWS console or the access portal. */
export const handler = createHttpHandler(
  {
    logger,
    meter,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  (event) => acs.acs(event),
);
