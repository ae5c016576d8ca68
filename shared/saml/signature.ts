import { createHash, timingSafeEqual, verify } from 'node:crypto';
// The canonicalizer alone: the package index also loads SignedXml and its XPath engine.
import { ExclusiveCanonicalization } from 'xml-crypto/lib/exclusive-canonicalization.js';
import type { NamespacePrefix } from 'xml-crypto/lib/types.js';
import { attrOf, childNamed, childrenNamed, textOf } from './dom.js';
import { SamlSignatureInvalidError, SamlStructureInvalidError } from './errors.js';
import type { TrustedCertificate } from './trust.js';
import { ALGORITHMS, DIGEST_HASHES, NS, SIGNATURE_HASHES } from './xml-names.js';

/** One enveloped XMLDSig signature, read and checked for shape, not yet verified. */
export interface EnvelopedSignature {
  /** The ds:Signature element (a direct child of `signed`). */
  element: Element;
  /** The Response or Assertion it signs: its Reference points at this element's ID. */
  signed: Element;
  signedInfo: Element;
  signedInfoPrefixes: string[];
  signatureHash: 'sha256' | 'sha512';
  signatureValue: Buffer;
  digestHash: 'sha256' | 'sha512';
  digestValue: Buffer;
  referencePrefixes: string[];
}

const NCNAME_ASCII = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the signature that is a direct child of `signed` (structure already checked): one
 * Reference whose URI is `#` + the parent's ID (no `""`, no XPointer, nothing elsewhere),
 * transforms exactly enveloped-signature then exclusive c14n, well-formed base64 values.
 * @throws saml_structure_invalid (SamlStructureInvalidError) for the Reference's shape.
 * @throws saml_signature_invalid (SamlSignatureInvalidError) for undecodable values.
 */
export const readEnvelopedSignature = (element: Element, signed: Element): EnvelopedSignature => {
  const what = `${signed.localName} signature`;
  const signedInfo = childNamed(element, NS.dsig, 'SignedInfo') as Element;
  const references = childrenNamed(signedInfo, NS.dsig, 'Reference');
  if (references.length !== 1) {
    throw new SamlStructureInvalidError(`${what} has ${references.length} References (want 1)`);
  }
  const reference = references[0] as Element;
  const id = attrOf(signed, 'ID');
  if (id === undefined || attrOf(reference, 'URI') !== `#${id}`) {
    throw new SamlStructureInvalidError(
      `${what} Reference URI is not "#" + the ${signed.localName} ID`,
    );
  }
  const transforms = childNamed(reference, NS.dsig, 'Transforms');
  const steps = transforms ? childrenNamed(transforms, NS.dsig, 'Transform') : [];
  const [enveloped, c14n] = steps;
  // Without an explicit exclusive c14n step XMLDSig falls back to inclusive c14n: refuse that.
  if (
    steps.length !== 2 ||
    attrOf(enveloped as Element, 'Algorithm') !== ALGORITHMS.envelopedSignature ||
    attrOf(c14n as Element, 'Algorithm') !== ALGORITHMS.excC14n ||
    childNamed(enveloped as Element, NS.excC14n, 'InclusiveNamespaces')
  ) {
    throw new SamlStructureInvalidError(
      `${what} transforms are not exactly enveloped-signature then exclusive c14n`,
    );
  }
  const canonicalization = childNamed(signedInfo, NS.dsig, 'CanonicalizationMethod') as Element;
  const signatureMethod = childNamed(signedInfo, NS.dsig, 'SignatureMethod') as Element;
  const digestMethod = childNamed(reference, NS.dsig, 'DigestMethod') as Element;
  const digest = DIGEST_HASHES.get(attrOf(digestMethod, 'Algorithm') ?? '');
  const signatureHash = SIGNATURE_HASHES.get(attrOf(signatureMethod, 'Algorithm') ?? '');
  if (!digest || !signatureHash) {
    // checkAlgorithms ran first; this only guards against calling out of order.
    throw new SamlStructureInvalidError(`${what} algorithms are not allowed`);
  }
  const digestValue = decodeBase64Value(
    textOf(childNamed(reference, NS.dsig, 'DigestValue') as Element),
    `${what} DigestValue`,
  );
  if (digestValue.length !== digest.bytes) {
    throw new SamlSignatureInvalidError(`${what} DigestValue has ${digestValue.length} bytes`);
  }
  return {
    element,
    signed,
    signedInfo,
    signedInfoPrefixes: readPrefixList(canonicalization, what),
    signatureHash,
    signatureValue: decodeBase64Value(
      textOf(childNamed(element, NS.dsig, 'SignatureValue') as Element),
      `${what} SignatureValue`,
    ),
    digestHash: digest.hash,
    digestValue,
    referencePrefixes: readPrefixList(c14n as Element, what),
  };
};

/**
 * Verifies one enveloped signature against the configured certificates only (KeyInfo is never
 * read): SignedInfo is canonicalized with xml-crypto's exclusive c14n and its SignatureValue
 * checked with node:crypto under each certificate in turn (rollover); then the signature element
 * is detached from the signed element, which is canonicalized the same way and digested, and the
 * digest compared in constant time. The signed element stays in the document without its
 * signature: it is the very node the caller reads the identity from.
 * @returns the certificate that verified.
 * @throws saml_signature_invalid (SamlSignatureInvalidError)
 */
export const verifyEnvelopedSignature = (
  sig: EnvelopedSignature,
  certificates: readonly TrustedCertificate[],
): TrustedCertificate => {
  const what = `${sig.signed.localName} signature`;
  const c14n = new ExclusiveCanonicalization();
  let canonicalSignedInfo: string;
  try {
    canonicalSignedInfo = c14n.process(sig.signedInfo, {
      inclusiveNamespacesPrefixList: sig.signedInfoPrefixes,
      ancestorNamespaces: ancestorNamespaces(sig.signedInfo),
    }) as string;
  } catch (err) {
    throw new SamlSignatureInvalidError(`${what}: SignedInfo does not canonicalize`, {
      cause: err,
    });
  }
  const data = Buffer.from(canonicalSignedInfo, 'utf8');
  const signer = certificates.find((cert) => {
    try {
      return verify(sig.signatureHash, data, cert.key, sig.signatureValue);
    } catch {
      return false;
    }
  });
  if (!signer) {
    throw new SamlSignatureInvalidError(
      `${what}: SignatureValue does not verify under any of ${certificates.length} configured certificate(s)`,
    );
  }
  // The enveloped-signature transform, applied to the document itself (not a copy): from here on
  // the signed element is exactly what was digested.
  sig.signed.removeChild(sig.element);
  let canonical: string;
  try {
    canonical = c14n.process(sig.signed, {
      inclusiveNamespacesPrefixList: sig.referencePrefixes,
      ancestorNamespaces: ancestorNamespaces(sig.signed),
    }) as string;
  } catch (err) {
    throw new SamlSignatureInvalidError(`${what}: signed element does not canonicalize`, {
      cause: err,
    });
  }
  const actual = createHash(sig.digestHash).update(canonical, 'utf8').digest();
  if (actual.length !== sig.digestValue.length || !timingSafeEqual(actual, sig.digestValue)) {
    throw new SamlSignatureInvalidError(`${what}: digest mismatch on #${attrOf(sig.signed, 'ID')}`);
  }
  return signer;
};

const decodeBase64Value = (text: string, what: string): Buffer => {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SamlSignatureInvalidError(`${what} is not base64`);
  }
  return Buffer.from(compact, 'base64');
};

const readPrefixList = (method: Element, what: string): string[] => {
  const inclusive = childNamed(method, NS.excC14n, 'InclusiveNamespaces');
  if (!inclusive) return [];
  const prefixes = (attrOf(inclusive, 'PrefixList') ?? '').split(/[ \t\r\n]+/).filter(Boolean);
  // "#default" is legal exc-c14n but not implemented by xml-crypto: refuse rather than mis-digest.
  if (!prefixes.every((p) => NCNAME_ASCII.test(p))) {
    throw new SamlStructureInvalidError(
      `${what} InclusiveNamespaces PrefixList is not a list of prefixes`,
    );
  }
  return prefixes;
};

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
