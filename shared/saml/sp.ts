/**
 * samlify, the project's SAML toolkit, for what it is good at: SP metadata and AuthnRequests.
 * Responses are verified by fedgate's own single-parse verifier (verify-response.ts); samlify is
 * kept out of the ACS function's bundle.
 */
import * as samlify from 'samlify';
import type { SamlIdpConfig } from '../config/index.js';
import { NAMEID_EMAIL, NAMEID_PERSISTENT } from '../xml/index.js';
import type { SpUrls } from './sp-urls.js';

const POST = samlify.Constants.namespace.binding.post;
const REDIRECT = samlify.Constants.namespace.binding.redirect;

const toServiceProvider = (urls: SpUrls) =>
  samlify.ServiceProvider({
    entityID: urls.entityId,
    assertionConsumerService: [{ Binding: POST, Location: urls.acsUrl }],
    wantAssertionsSigned: true,
    authnRequestsSigned: false,
    nameIDFormat: [NAMEID_PERSISTENT, NAMEID_EMAIL],
  });

const toIdentityProvider = (idp: SamlIdpConfig) =>
  idp.saml.metadataXml !== undefined && idp.saml.ssoUrl === undefined
    ? samlify.IdentityProvider({ metadata: idp.saml.metadataXml })
    : samlify.IdentityProvider({
        entityID: idp.saml.entityId,
        signingCert: idp.saml.signingCertificates?.map(
          (c) => `-----BEGIN CERTIFICATE-----\n${c}\n-----END CERTIFICATE-----`,
        ),
        singleSignOnService: idp.saml.ssoUrl
          ? [{ Binding: REDIRECT, Location: idp.saml.ssoUrl }]
          : [],
        ...(idp.saml.metadataXml ? { metadata: idp.saml.metadataXml } : {}),
      });

/** The SP metadata document to register at the upstream IdP (`GET /saml/{idp}/metadata`). */
export const buildSpMetadata = (urls: SpUrls): string => toServiceProvider(urls).getMetadata();

/**
 * An SP-initiated AuthnRequest for the HTTP-Redirect binding: the request id (to keep, single-use,
 * in the state table) and the URL of the IdP's SSO endpoint carrying it. No RelayState goes to
 * the IdP: where the person returns to stays server-side with the request id.
 * @throws Error when the IdP has no HTTP-Redirect SSO endpoint (a configuration problem).
 */
export const buildAuthnRequest = (idp: SamlIdpConfig, urls: SpUrls): { id: string; url: URL } => {
  const request = toServiceProvider(urls).createLoginRequest(toIdentityProvider(idp), 'redirect');
  return { id: request.id, url: new URL(request.context) };
};
