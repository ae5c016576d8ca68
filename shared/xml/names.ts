/**
 * Every SAML and XML Signature URI fedgate reads or writes, in one place: namespaces (elements
 * are always matched by namespace + local name, never by prefix), the prefixes fedgate writes,
 * the algorithms it signs and verifies with, and the SAML identifiers (statuses, formats,
 * bindings) it checks or sends. No other product file spells one of these URIs
 * (test/unit/xml/names.test.ts).
 */

/** Namespace URIs. */
export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

/** The prefix fedgate writes for each namespace it builds documents in (readers ignore prefixes). */
export const PREFIX = {
  protocol: 'samlp',
  assertion: 'saml',
  metadata: 'md',
  dsig: 'ds',
} as const;

/** The only algorithms fedgate signs or verifies with (SECURITY.md §2.3). */
export const ALGORITHMS = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
} as const;

/** SignatureMethod → node:crypto hash name (RSASSA-PKCS1-v1_5). */
export const SIGNATURE_HASHES: ReadonlyMap<string, 'sha256' | 'sha512'> = new Map([
  [ALGORITHMS.rsaSha256, 'sha256'],
  [ALGORITHMS.rsaSha512, 'sha512'],
]);

/** DigestMethod → node:crypto hash name and digest length in bytes. */
export const DIGEST_HASHES: ReadonlyMap<string, { hash: 'sha256' | 'sha512'; bytes: number }> =
  new Map([
    [ALGORITHMS.sha256, { hash: 'sha256', bytes: 32 }],
    [ALGORITHMS.sha512, { hash: 'sha512', bytes: 64 }],
  ]);

/** The only top-level StatusCode fedgate accepts, and the one it sends. */
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** The only SubjectConfirmation Method fedgate accepts or sends (Web Browser SSO profile). */
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** The only Issuer Format accepted when one is given (SAML Core §2.2.5). */
export const NAMEID_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
/** The NameID format fedgate mints: an opaque, stable, non-PII subject (SAML Core §8.3.7). */
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
/** The e-mail NameID format (SAML 1.1's identifier, reused by SAML 2.0 Core §8.3.2). */
export const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/** Attribute NameFormat for URI-named attributes, as AWS's are (SAML Core §8.2.2). */
export const ATTRNAME_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
/** The authentication context class fedgate sends when it was told none. */
export const AC_UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
/** The HTTP-Redirect binding (SAML Bindings §3.4): where AuthnRequests go. */
export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
