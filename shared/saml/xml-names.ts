/** Namespace URIs fedgate reads SAML by: elements are always matched by namespace + local name. */
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

/** The only algorithms fedgate verifies (SECURITY.md §2.3). */
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

/** The only top-level StatusCode fedgate accepts. */
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** The only SubjectConfirmation Method fedgate accepts (Web Browser SSO profile). */
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** The only Issuer Format accepted when one is given (SAML Core §2.2.5). */
export const NAMEID_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
