import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import type { SamlIdpConfig } from '../config/index.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { attrOf, BINDING_REDIRECT, childNamed, childrenNamed, NS, textOf } from '../xml/index.js';
import { parseStrictXml } from './parse-xml.js';

/** One certificate an IdP signs with: its public key, ready for node:crypto. */
export interface TrustedCertificate {
  /** RSA public key (≥ 2048 bits) taken from the configured certificate. */
  key: KeyObject;
  /** SHA-256 of the certificate DER, hex: what logs and rollover checks name it by. */
  sha256: string;
  subject: string;
  /** The certificate's own validity end (informational: SAML pins keys, expiry is not enforced). */
  validTo: string;
}

/** An IdP's compiled trust anchor: built once per container from its config, never per request. */
export interface SamlTrust {
  idpId: string;
  /** The only accepted `<Issuer>`. */
  entityId: string;
  /** Every certificate whose key may sign (two during a rollover). KeyInfo in messages is ignored. */
  certificates: readonly TrustedCertificate[];
  /** The IdP's SingleSignOnService for the HTTP-Redirect binding, if known (for AuthnRequests). */
  ssoUrl?: string;
  /** Response-only signatures allowed (the Response signature then covers the assertion). */
  allowUnsignedAssertion: boolean;
  maxAuthnAgeSeconds?: number;
  allowedTenants?: readonly string[];
}

/** What fedgate reads from IdP metadata. */
export interface IdpMetadata {
  entityId: string;
  /** Base64 DER of every KeyDescriptor with `use="signing"` or no `use`, in document order. */
  signingCertificates: string[];
  singleSignOnServices: Array<{ binding: string; location: string }>;
}

const MIN_RSA_BITS = 2048;

/**
 * Reads an IdP's SAML metadata with the same strict parser as responses (no DOCTYPE, entities or
 * PIs; comments allowed, metadata is operator-supplied): one `EntityDescriptor` with one
 * `IDPSSODescriptor`, its signing certificates and SSO endpoints. The metadata's own signature is
 * not checked: it is configuration, trusted as such.
 * @throws server_error (GatewayMisconfiguredError) when the metadata is unusable.
 */
export const parseIdpMetadata = (xml: string): IdpMetadata => {
  let root: Element;
  try {
    ({ root } = parseStrictXml(xml, { maxDepth: 64, maxElements: 100_000, allowComments: true }));
  } catch (err) {
    throw new GatewayMisconfiguredError(`IdP metadata: ${(err as Error).message}`, { cause: err });
  }
  const fail = (why: string): never => {
    throw new GatewayMisconfiguredError(`IdP metadata: ${why}`);
  };
  if (root.namespaceURI !== NS.metadata || root.localName !== 'EntityDescriptor') {
    fail('the root element is not an md:EntityDescriptor (give the IdP its own metadata)');
  }
  const entityId = attrOf(root, 'entityID') ?? fail('EntityDescriptor has no entityID');
  const descriptors = childrenNamed(root, NS.metadata, 'IDPSSODescriptor');
  if (descriptors.length !== 1) fail(`${descriptors.length} IDPSSODescriptor elements (want 1)`);
  const idp = descriptors[0] as Element;
  const signingCertificates: string[] = [];
  for (const kd of childrenNamed(idp, NS.metadata, 'KeyDescriptor')) {
    const use = attrOf(kd, 'use');
    if (use !== undefined && use !== 'signing') continue;
    const keyInfo = childNamed(kd, NS.dsig, 'KeyInfo');
    for (const data of keyInfo ? childrenNamed(keyInfo, NS.dsig, 'X509Data') : []) {
      for (const cert of childrenNamed(data, NS.dsig, 'X509Certificate')) {
        signingCertificates.push(textOf(cert).replace(/\s+/g, ''));
      }
    }
  }
  const singleSignOnServices = childrenNamed(idp, NS.metadata, 'SingleSignOnService').map((s) => ({
    binding: attrOf(s, 'Binding') ?? '',
    location: attrOf(s, 'Location') ?? '',
  }));
  return { entityId, signingCertificates, singleSignOnServices };
};

/**
 * Compiles one SAML IdP's trust anchor from its config: metadata parsed once, explicit
 * `entityId` / `signingCertificates` / `ssoUrl` winning over it, each certificate turned into a
 * node:crypto public key (RSA ≥ 2048 bits only).
 * @throws server_error (GatewayMisconfiguredError) for unusable metadata or certificates.
 * @example const trust = compileSamlTrust(idp); // at cold start, per IdP
 */
export const compileSamlTrust = (idp: SamlIdpConfig): SamlTrust => {
  const settings = idp.saml;
  const metadata =
    settings.metadataXml !== undefined ? parseIdpMetadata(settings.metadataXml) : undefined;
  const entityId = settings.entityId ?? metadata?.entityId;
  if (!entityId) throw new GatewayMisconfiguredError(`IdP ${idp.id}: no entity id`);
  const certificates = (settings.signingCertificates ?? metadata?.signingCertificates ?? []).map(
    (b64, i) => loadCertificate(idp.id, i, b64),
  );
  if (certificates.length === 0) {
    throw new GatewayMisconfiguredError(`IdP ${idp.id}: no signing certificate`);
  }
  const ssoUrl =
    settings.ssoUrl ??
    metadata?.singleSignOnServices.find((s) => s.binding === BINDING_REDIRECT)?.location;
  return Object.freeze({
    idpId: idp.id,
    entityId,
    certificates: Object.freeze(certificates),
    allowUnsignedAssertion: settings.allowUnsignedAssertion,
    ...(ssoUrl ? { ssoUrl } : {}),
    ...(settings.maxAuthnAgeSeconds !== undefined
      ? { maxAuthnAgeSeconds: settings.maxAuthnAgeSeconds }
      : {}),
    ...(settings.allowedTenants
      ? { allowedTenants: Object.freeze([...settings.allowedTenants]) }
      : {}),
  });
};

const loadCertificate = (idpId: string, index: number, b64: string): TrustedCertificate => {
  const body = b64.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(body, 'base64'));
  } catch (err) {
    throw new GatewayMisconfiguredError(`IdP ${idpId}: certificate ${index} does not parse`, {
      cause: err,
    });
  }
  const key = cert.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new GatewayMisconfiguredError(
      `IdP ${idpId}: certificate ${index} holds a ${key.asymmetricKeyType} key of ${bits} bits (RSA ≥ ${MIN_RSA_BITS} only)`,
    );
  }
  return {
    key,
    sha256: createHash('sha256').update(cert.raw).digest('hex'),
    subject: cert.subject,
    validTo: cert.validTo,
  };
};
