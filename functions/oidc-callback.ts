import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../shared/config/index.js';
import { parseConsoleDestination } from '../shared/console/index.js';
import {
  createAwsAccessFor,
  createLazySigningKeys,
  createSessionsFor,
  createSignInFor,
  createStores,
  errorPagesFor,
  guardClientKeyLoader,
} from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { KMS_CLIENT_DEFAULTS, loadSigningKeys } from '../shared/issuer/index.js';
import { logger, meter } from '../shared/log.js';
import {
  createClientAuthenticator,
  createClientJwksEndpoint,
  createOidcClient,
  createOidcEndpoints,
  createSecretResolver,
  extensionSecretPortFromEnv,
  withClientJwksRoute,
} from '../shared/oidc/index.js';
import { createDynamoSpaClients } from '../shared/spa/index.js';
import { DYNAMODB_CLIENT_DEFAULTS } from '../shared/store/index.js';
import { STS_CLIENT_DEFAULTS } from '../shared/sts/index.js';

// Cold start: config, clients, keys and the per-container discovery/JWKS cache.
const config = loadConfig(process.env);
const dynamo = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
const { attributes, state } = createStores({ config, dynamo });
const kms = new KMSClient({ ...KMS_CLIENT_DEFAULTS });
const readText = (p: string) => readFile(p, 'utf8');
const signingKeys = createLazySigningKeys({ config, readFile: readText, kms });
const access = createAwsAccessFor({
  config,
  sts: new STSClient({ ...STS_CLIENT_DEFAULTS }),
  fetch,
  signingKeys,
  log: logger,
});
const sessions = createSessionsFor({ config, dynamo, attributes, log: logger });
const { complete } = createSignInFor({ config, attributes, state, sessions, access, log: logger });
// Client secrets: env:/file:, and arn:aws:secretsmanager:/ssm: through the AWS Parameters and
// Secrets Lambda Extension (a layer; no SDK client bundled).
const resolveSecret = createSecretResolver({
  readEnv: (name) => process.env[name],
  readFile: readText,
  aws: extensionSecretPortFromEnv(process.env),
});
// private_key_jwt keys: the same loader and Signer port as fedgate's AWS-facing keys, refusing
// those very keys (an IdP must never receive signatures of the key every IAM role trusts).
const loadClientKeys = guardClientKeyLoader({
  loadKeys: (ref) => loadSigningKeys({ refs: [ref], readFile: readText, kms }),
  awsSigningKeys: signingKeys,
  awsSigningKeyRefs: config.signingKeyRefs,
});
const authenticator = createClientAuthenticator({
  resolveSecret,
  loadKeys: (ref) => loadClientKeys(ref),
});
const endpoints = createOidcEndpoints({
  attributes,
  state,
  client: createOidcClient({
    fetch,
    resolveSecret,
    clientAuth: authenticator,
    clockSkewSeconds: config.clockSkewSeconds,
  }),
  parseDestination: (raw) => parseConsoleDestination(raw),
  spaClients: createDynamoSpaClients({
    client: dynamo,
    tableName: config.attributeTableName,
    ttlSeconds: config.configCacheSeconds,
  }),
  complete,
  publicBaseUrl: config.publicBaseUrl,
  log: logger,
  meter,
});

const clientJwks = createClientJwksEndpoint({ attributes, authenticator });

/**
 * `GET /oidc/{idp}/callback`: the IdP's authorization response → ID token → a session, then the AWS console or the access portal.
 * `GET /oidc/{idp}/jwks.json`: the public key of the IdP's private_key_jwt client key (served by
 * the function that signs with it, which alone holds the key's grant). Every other route key
 * (`$default` from `npm run invoke`, a recorded event) is the callback, as before.
 */
export const handler = createHttpHandler(
  {
    logger,
    format: 'html',
    ...errorPagesFor({ config, attributes }),
  },
  withClientJwksRoute(clientJwks, (event) => endpoints.callback(event)),
);
