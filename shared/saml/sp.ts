import * as samlify from 'samlify';
import type { SamlIdpConfig } from '../config/index.js';
import { publicUrl } from '../http/urls.js';

/**
 * fedgate as the SAML service provider of one upstream IdP, through samlify (the project's SAML
 * toolkit for metadata and AuthnRequests; responses are verified by fedgate's own single-parse
 * verifier). Each IdP gets its own entity id and ACS URL, so a response for one IdP can never be
 * accepted at another's ACS (mix-up defence).
 */
export interface SpUrls {
  /** `<base>/saml/<idp>/metadata`: also the SP entity id (the Audience the IdP must send). */
  entityId: string;
  /** `<base>/saml/<idp>/acs`: the only Recipient/Destination accepted. */
  acsUrl: string;
}

/** The SP entity id and ACS URL of one IdP, built from the public base URL. */
export const spUrls = (publicBaseUrl: URL, idpId: string): SpUrls => ({
  entityId: publicUrl(publicBaseUrl, `/saml/${encodeURIComponent(idpId)}/metadata`).href,
  acsUrl: publicUrl(publicBaseUrl, `/saml/${encodeURIComponent(idpId)}/acs`).href,
});

const POST = samlify.Constants.namespace.binding.post;
const REDIRECT = samlify.Constants.namespace.binding.redirect;

const toServiceProvider = (urls: SpUrls) =>
  samlify.ServiceProvider({
    entityID: urls.entityId,
    assertionConsumerService: [{ Binding: POST, Location: urls.acsUrl }],
    wantAssertionsSigned: true,
    authnRequestsSigned: false,
    nameIDFormat: [
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    ],
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
