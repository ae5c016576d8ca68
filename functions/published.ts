import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import {
  createLazySigningKeys,
  createPublishedEndpoints,
  createStores,
  routeBy,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import { createSamlLoginEndpoints } from '../shared/saml/login-endpoints.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';

const config = loadConfig(process.env);
const { attributes, state } = createStores({
  config,
  dynamo: new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS }),
});
const published = createPublishedEndpoints({
  config,
  signingKeys: createLazySigningKeys({
    config,
    readFile: (p) => readFile(p, 'utf8'),
    kms: new KMSClient({ ...KMS_CLIENT_DEFAULTS }),
  }),
});
const sp = createSamlLoginEndpoints({
  attributes,
  state,
  parseDestination: (raw) => parseConsoleDestination(raw),
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
});

/**
 * The published documents: SP metadata per upstream IdP, fedgate's IdP metadata for IAM, and
 * fedgate's OIDC discovery document and JWKS for the IAM OIDC provider.
 */
export const handler = createHttpHandler(
  { logger, meter, format: 'json' },
  routeBy({
    'GET /saml/{idp}/metadata': (e) => sp.metadata(e),
    'GET /aws/saml-metadata.xml': (e) => published.awsSamlMetadata(e),
    'GET /.well-known/openid-configuration': (e) => published.openIdConfiguration(e),
    'GET /.well-known/jwks.json': (e) => published.jwks(e),
  }),
);
