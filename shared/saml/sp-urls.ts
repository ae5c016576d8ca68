import { createHash } from 'node:crypto';
import { publicUrl } from '../http/urls.js';
import { STATE_KEY_PREFIXES, type StateKey, stateKey } from '../store/index.js';

/**
 * fedgate as the SAML service provider of one upstream IdP: each IdP gets its own entity id and
 * ACS URL, so a response for one IdP can never be accepted at another's ACS (mix-up defence).
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

/** The `__Host-` cookie binding a pending SP-initiated AuthnRequest to the browser, per IdP. */
export const pendingRequestCookie = (idpId: string): string => `authn-${idpId}`;

/** How long an SP-initiated AuthnRequest waits for its response. */
export const AUTHN_REQUEST_TTL_SECONDS = 600;

/**
 * The state-table key of a pending AuthnRequest: `AUTHNREQ#<SHA-256 of the request id>`. The id
 * travels in the browser's cookie and is what the ACS spends the item with, so it is a bearer
 * value: the table holds only its hash (as shared/spa does for one-time codes), and a read of the
 * table yields nothing a browser could present.
 */
export const pendingRequestKey = (requestId: string): StateKey =>
  stateKey(
    STATE_KEY_PREFIXES.authnRequest,
    createHash('sha256').update(requestId, 'utf8').digest('base64url'),
  );
