import { X509Certificate } from 'node:crypto';
import {
  BINDING_REDIRECT,
  escapeXmlAttribute,
  isXmlSafe,
  NAMEID_PERSISTENT,
  NS,
} from '../xml/index.js';
import { IssuerMisconfiguredError } from './errors.js';
import type { PublishedKey } from './signing-keys.js';

/** SAML Metadata §2.2.1 / Core §8.3.6: entityID is a URI of at most 1024 characters. */
const MAX_ENTITY_ID_LENGTH = 1024;
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

export interface AwsIdpMetadataOptions {
  /** fedgate's IdP entity id: the Issuer of every assertion minted for AWS. */
  entityId: string;
  /** Every published key, the active one first (rotation: the next key before it signs). */
  keys: readonly PublishedKey[];
  /**
   * The SingleSignOnService Location (the schema requires one; AWS never calls it). Default: the
   * origin of `entityId` when that is an https URL, e.g. `https://sso.example.com/`.
   */
  ssoUrl?: string;
}

const checkUri = (field: string, value: string): void => {
  if (!ABSOLUTE_URI.test(value) || value.length > MAX_ENTITY_ID_LENGTH || !isXmlSafe(value)) {
    throw new IssuerMisconfiguredError(
      `${field}: must be an absolute URI of at most ${MAX_ENTITY_ID_LENGTH} characters`,
    );
  }
};

const defaultSsoUrl = (entityId: string): string => {
  const url = URL.canParse(entityId) ? new URL(entityId) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new IssuerMisconfiguredError('ssoUrl: required when entityId is not an http(s) URL');
  }
  return `${url.origin}/`;
};

/** One `<md:KeyDescriptor use="signing">` around a certificate, as DER base64. */
const buildKeyDescriptor = (key: PublishedKey): string => {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(key.certificatePem);
  } catch (cause) {
    throw new IssuerMisconfiguredError(`key ${key.kid}: the certificate does not parse`, { cause });
  }
  if (!certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(key.publicKeySpki)) {
    throw new IssuerMisconfiguredError(`key ${key.kid}: the certificate is not for this key`);
  }
  return (
    '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>' +
    `<ds:X509Certificate>${certificate.raw.toString('base64')}</ds:X509Certificate>` +
    '</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
  );
};

/**
 * Builds fedgate's SAML IdP metadata for AWS: the document registered with
 * `aws iam create-saml-provider --saml-metadata-document` (and served at
 * `GET /aws/saml-metadata.xml`). One EntityDescriptor with an IDPSSODescriptor: one signing
 * KeyDescriptor per published key, so AWS accepts assertions from the next key as soon as the
 * provider is updated, before that key signs (SECURITY.md §5); the persistent NameID format; a
 * SingleSignOnService, which the schema requires although AWS never uses it. Valid against
 * saml-schema-metadata-2.0.xsd.
 * @throws issuer_misconfigured when there is no key, a key is listed twice, a certificate does not
 *   parse or is not for its key, or `entityId` / `ssoUrl` is not an absolute URI of ≤ 1024
 *   characters (`ssoUrl` is required when `entityId` is not an http(s) URL).
 * @example buildAwsIdpMetadata({ entityId: `${base}/aws/saml-metadata.xml`, keys: await signingKeys.published() })
 */
export const buildAwsIdpMetadata = (opts: AwsIdpMetadataOptions): string => {
  checkUri('entityId', opts.entityId);
  const ssoUrl = opts.ssoUrl ?? defaultSsoUrl(opts.entityId);
  checkUri('ssoUrl', ssoUrl);
  if (opts.keys.length === 0) throw new IssuerMisconfiguredError('no key to publish');
  if (new Set(opts.keys.map((k) => k.kid)).size !== opts.keys.length) {
    throw new IssuerMisconfiguredError('a key is listed more than once');
  }
  // Unsigned (IAM takes the document as uploaded), so it is laid out for people to read.
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${escapeXmlAttribute(opts.entityId)}">`,
    // fedgate takes no AuthnRequests from AWS (its responses are unsolicited), so it asks for no
    // signed requests.
    `  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.protocol}">`,
    ...opts.keys.map((key) => `    ${buildKeyDescriptor(key)}`),
    `    <md:NameIDFormat>${NAMEID_PERSISTENT}</md:NameIDFormat>`,
    `    <md:SingleSignOnService Binding="${BINDING_REDIRECT}" Location="${escapeXmlAttribute(ssoUrl)}"/>`,
    '  </md:IDPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
};
