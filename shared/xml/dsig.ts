import { createHash, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
// The canonicalizer alone: the package index also loads SignedXml and its XPath engine.
import { ExclusiveCanonicalization } from 'xml-crypto/lib/exclusive-canonicalization.js';
import type { NamespacePrefix } from 'xml-crypto/lib/types.js';
import { ALGORITHMS, NS, PREFIX } from './names.js';
import type { XmlChild, XmlTreeBuilder } from './tree.js';

/**
 * XML Signature, the one module that uses xml-crypto: exclusive canonicalization (its
 * canonicalizer alone, never SignedXml) for the enveloped signatures fedgate verifies on upstream
 * SAML responses (shared/saml) and the one it writes on the assertion it mints for AWS
 * (shared/issuer). The RSA and digest arithmetic is node:crypto's. Which signature is read, and
 * which shapes are refused, stays with the caller: this module only computes.
 */

/** A hash fedgate signs or digests with. */
export type DsigHash = 'sha256' | 'sha512';

/** Thrown when a node does not canonicalize: the caller translates it into its own error code. */
export class XmlCanonicalizationError extends Error {
  constructor(opts?: ErrorOptions) {
    super('the node does not canonicalize', opts);
    this.name = 'XmlCanonicalizationError';
  }
}

/**
 * The exclusive canonical form (without comments) of `node` as it sits in its document. Prefixes
 * in `inclusivePrefixes` (an InclusiveNamespaces PrefixList) that are declared above `node` are
 * rendered from its ancestors, as the signer saw them.
 * @throws XmlCanonicalizationError
 */
export const canonicalize = (node: Element, inclusivePrefixes: readonly string[] = []): string => {
  try {
    return new ExclusiveCanonicalization().process(node, {
      inclusiveNamespacesPrefixList: [...inclusivePrefixes],
      ancestorNamespaces: ancestorNamespaces(node),
    }) as string;
  } catch (cause) {
    throw new XmlCanonicalizationError({ cause });
  }
};

/**
 * Whether `signatureValue` over the canonical SignedInfo verifies (RSASSA-PKCS1-v1_5 with
 * `hash`) under one of `candidates`' keys, tried in order (certificate rollover).
 * @returns the first candidate that verifies, or `undefined`.
 * @throws XmlCanonicalizationError when SignedInfo does not canonicalize.
 */
export const verifySignedInfo = <T extends { key: KeyObject }>(
  signedInfo: Element,
  inclusivePrefixes: readonly string[],
  hash: DsigHash,
  signatureValue: Buffer,
  candidates: readonly T[],
): T | undefined => {
  const data = Buffer.from(canonicalize(signedInfo, inclusivePrefixes), 'utf8');
  return candidates.find((candidate) => {
    try {
      return verify(hash, data, candidate.key, signatureValue);
    } catch {
      return false;
    }
  });
};

/**
 * Whether the digest of `signed`'s canonical form equals `expected`, compared in constant time.
 * The enveloped-signature transform is the caller's: detach the Signature first.
 * @throws XmlCanonicalizationError
 */
export const digestMatches = (
  signed: Element,
  inclusivePrefixes: readonly string[],
  hash: DsigHash,
  expected: Buffer,
): boolean => {
  const actual = createHash(hash).update(canonicalize(signed, inclusivePrefixes), 'utf8').digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
};

/** An enveloped signature on its way: the SignedInfo built, its canonical bytes to sign. */
export interface PreparedSignature {
  signedInfo: Element;
  bytesToSign: Buffer;
}

/**
 * Prepares the enveloped RSA-SHA256 signature of `element` (XML-DSig §4.3: one Reference to
 * `#referenceId`, enveloped-signature then exclusive c14n, SHA-256). The digest is over `element`
 * as a verifier sees it after the enveloped-signature transform, so the Signature must not be in
 * it yet. Exclusive c14n renders only visibly utilized namespaces (ds:), so SignedInfo
 * canonicalizes the same alone as inside the Signature of the final document.
 * @throws XmlCanonicalizationError
 */
export const prepareEnvelopedSignature = (
  b: XmlTreeBuilder,
  element: Element,
  referenceId: string,
): PreparedSignature => {
  const digestB64 = createHash('sha256').update(canonicalize(element), 'utf8').digest('base64');
  const ds = dsElement(b);
  const signedInfo = ds('SignedInfo', undefined, [
    ds('CanonicalizationMethod', { Algorithm: ALGORITHMS.excC14n }),
    ds('SignatureMethod', { Algorithm: ALGORITHMS.rsaSha256 }),
    ds('Reference', { URI: `#${referenceId}` }, [
      ds('Transforms', undefined, [
        ds('Transform', { Algorithm: ALGORITHMS.envelopedSignature }),
        ds('Transform', { Algorithm: ALGORITHMS.excC14n }),
      ]),
      ds('DigestMethod', { Algorithm: ALGORITHMS.sha256 }),
      ds('DigestValue', undefined, [digestB64]),
    ]),
  ]);
  return { signedInfo, bytesToSign: Buffer.from(canonicalize(signedInfo), 'utf8') };
};

/**
 * The `ds:Signature` element of a prepared signature: SignedInfo, the SignatureValue and the
 * signing certificate in KeyInfo (verifiers trust configured certificates, not this one; AWS
 * matches it against the provider's metadata).
 */
export const buildSignatureElement = (
  b: XmlTreeBuilder,
  prepared: PreparedSignature,
  signatureValue: Buffer,
  certificateB64: string,
): Element => {
  const ds = dsElement(b);
  return ds('Signature', { [`xmlns:${PREFIX.dsig}`]: NS.dsig }, [
    prepared.signedInfo,
    ds('SignatureValue', undefined, [signatureValue.toString('base64')]),
    ds('KeyInfo', undefined, [
      ds('X509Data', undefined, [ds('X509Certificate', undefined, [certificateB64])]),
    ]),
  ]);
};

const dsElement =
  (b: XmlTreeBuilder) =>
  (name: string, attributes?: Record<string, string>, children?: XmlChild[]): Element =>
    b.element(NS.dsig, `${PREFIX.dsig}:${name}`, attributes, children);

/**
 * The prefixed namespace bindings in scope at `el` from its ancestors (nearest wins), minus those
 * `el` declares itself: what exclusive c14n needs to render InclusiveNamespaces prefixes that are
 * declared above the signed subtree.
 */
const ancestorNamespaces = (el: Element): NamespacePrefix[] => {
  const seen = new Set<string>();
  const own = el.attributes;
  for (let k = 0; k < own.length; k++) {
    const a = own.item(k) as Attr;
    if (a.prefix === 'xmlns') seen.add(a.localName);
  }
  const out: NamespacePrefix[] = [];
  for (let p = el.parentNode; p && p.nodeType === 1; p = p.parentNode) {
    const attrs = (p as Element).attributes;
    for (let k = 0; k < attrs.length; k++) {
      const a = attrs.item(k) as Attr;
      if (a.prefix !== 'xmlns' || seen.has(a.localName)) continue;
      seen.add(a.localName);
      out.push({ prefix: a.localName, namespaceURI: a.value });
    }
  }
  return out;
};
