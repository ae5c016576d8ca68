import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import {
  createAwsHandback,
  createLazySigningKeys,
  createSamlAssumption,
  createStores,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

const config = loadConfig(process.env);
const { state } = createStores({
  config,
  dynamo: new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS }),
});
const sts = new STSClient({ ...STS_CLIENT_DEFAULTS });
const signingKeys = createLazySigningKeys({
  config,
  readFile: (p) => readFile(p, 'utf8'),
  kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
});
const handback = createAwsHandback({
  config,
  state,
  sts,
  fetch,
  signingKeys,
  log: logger,
  saml: createSamlAssumption({ config, sts, signingKeys, log: logger }),
});

/** `POST /select-role`: the role picker's choice → AWS console or access keys. */
export const handler = createHttpHandler({ logger, meter, format: 'html' }, (event) =>
  handback.select(event),
);
