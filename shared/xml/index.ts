/**
 * The XML domain, below saml/ and issuer/: the SAML and XML Signature names (namespaces, prefixes,
 * algorithms, SAML identifiers), DOM readers for parsed documents, the tree builder and escaping
 * for documents fedgate writes, and XML Signature over xml-crypto's exclusive canonicalizer.
 * It imports nothing else of shared/. See ./README.md.
 */
export * from './dom.js';
export * from './dsig.js';
export * from './names.js';
export * from './text.js';
export * from './tree.js';
