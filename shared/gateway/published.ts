import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RuntimeConfig } from '../config/index.js';
import { requireMethod } from '../http/request.js';
import { type HttpResponse, json } from '../http/responses.js';
import { publicUrl } from '../http/urls.js';
import {
  buildAwsIdpMetadata,
  buildJwks,
  buildOpenIdConfiguration,
  type SigningKeys,
} from '../issuer/index.js';
import { awsIssuerEntityId, webIdentityIssuer } from './signing.js';

/**
 * What fedgate publishes as the identity provider AWS trusts. `GET /aws/saml-metadata.xml` is the
 * document for `aws iam create-saml-provider`: every published key (current and next during a
 * rotation), so the IAM provider trusts the next key before it signs.
 */
export const createPublishedEndpoints = ({
  config,
  signingKeys,
}: {
  config: RuntimeConfig;
  signingKeys: SigningKeys;
}) => ({
  async awsSamlMetadata(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    requireMethod(event, 'GET', 'HEAD');
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/samlmetadata+xml; charset=utf-8',
        'cache-control': 'public, max-age=300',
      },
      body: buildAwsIdpMetadata({
        entityId: awsIssuerEntityId(config),
        keys: await signingKeys.published(),
        ssoUrl: publicUrl(config.publicBaseUrl, '/').href,
      }),
    };
  },

  /**
   * `GET /.well-known/openid-configuration`: fedgate as the OIDC issuer registered as the IAM OIDC
   * provider (AssumeRoleWithWebIdentity). IAM reads `issuer` and `jwks_uri`.
   */
  async openIdConfiguration(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    requireMethod(event, 'GET', 'HEAD');
    const issuer = webIdentityIssuer(config);
    return json(
      200,
      buildOpenIdConfiguration({ issuer, jwksUri: `${issuer}/.well-known/jwks.json` }),
      {
        headers: { 'cache-control': 'public, max-age=300' },
      },
    );
  },

  /** `GET /.well-known/jwks.json`: every published key (the next one before it signs). */
  async jwks(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    requireMethod(event, 'GET', 'HEAD');
    return json(200, buildJwks(await signingKeys.published()), {
      headers: { 'cache-control': 'public, max-age=300' },
    });
  },
});
