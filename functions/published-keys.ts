import { createPublishedEndpoints } from '../shared/gateway/index.js';
import { createHttpHandler } from '../shared/http/index.js';
import { compose, meter, routesOf, signingKeysOf } from './compose/index.js';

// fedgate's keys as AWS reads them. Each key's certificate is self-signed through KMS Sign once
// per container (shared/issuer/kms-signing-keys.ts), so this function holds Sign and GetPublicKey
// on the stage's keys, and nothing else: no table, no secret, no input beyond the method.
const fn = compose('published-keys');
const published = createPublishedEndpoints({ config: fn.config, signingKeys: signingKeysOf(fn) });

/**
 * fedgate's IdP metadata for IAM SAML providers (`GET /aws/saml-metadata.xml`) and its JWKS for
 * IAM OIDC providers (`GET /.well-known/jwks.json`): every published key, the next one before it
 * signs.
 */
export const handler = createHttpHandler(
  { logger: fn.logger, meter, format: 'json' },
  routesOf(fn, {
    'GET /aws/saml-metadata.xml': (e) => published.awsSamlMetadata(e),
    'GET /.well-known/jwks.json': (e) => published.jwks(e),
  }),
);
