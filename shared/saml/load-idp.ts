import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SamlIdpConfig } from '../config/index.js';
import { NotFoundError } from '../http/errors.js';
import type { Log } from '../log.js';
import type { AttributeStore } from '../store/index.js';

/**
 * The SAML IdP named by the route's `{idp}`: the URL selects the trust anchor, never the message.
 * @throws not_found (404) for an unknown id or an IdP of another protocol.
 */
export const loadSamlIdp = async (
  attributes: AttributeStore,
  event: APIGatewayProxyEventV2,
  log: Log,
): Promise<SamlIdpConfig> => {
  const id = event.pathParameters?.idp ?? '';
  const idp = await attributes.getIdp(id);
  if (idp?.protocol !== 'saml') throw new NotFoundError(`no SAML IdP "${id.slice(0, 64)}"`);
  log.appendKeys({ flow: 'saml', idp: idp.id });
  return idp;
};
