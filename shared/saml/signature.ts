import {
  ALGORITHMS,
  attrOf,
  childNamed,
  childrenNamed,
  DIGEST_HASHES,
  digestMatches,
  NS,
  SIGNATURE_HASHES,
  textOf,
  verifySignedInfo,
  XmlCanonicalizationError,
} from '../xml/index.js';
import { SamlSignatureInvalidError, SamlStructureInvalidError } from './errors.js';
import type { TrustedCertificate } from './trust.js';

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
 * read): SignedInfo is canonicalized with exclusive c14n (shared/xml/dsig.ts) and its SignatureValue
 * checked under each certificate in turn (rollover); then the signature element
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
  /** Runs a canonicalizing step, its failure translated into this domain's error. */
  const canonicalizing = <T>(part: string, step: () => T): T => {
    try {
      return step();
    } catch (err) {
      if (!(err instanceof XmlCanonicalizationError)) throw err;
      throw new SamlSignatureInvalidError(`${what}: ${part} does not canonicalize`, {
        cause: err.cause,
      });
    }
  };
  const signer = canonicalizing('SignedInfo', () =>
    verifySignedInfo(
      sig.signedInfo,
      sig.signedInfoPrefixes,
      sig.signatureHash,
      sig.signatureValue,
      certificates,
    ),
  );
  if (!signer) {
    throw new SamlSignatureInvalidError(
      `${what}: SignatureValue does not verify under any of ${certificates.length} configured certificate(s)`,
    );
  }
  // The enveloped-signature transform, applied to the document itself (not a copy): from here on
  // the signed element is exactly what was digested.
  sig.signed.removeChild(sig.element);
  const matches = canonicalizing('signed element', () =>
    digestMatches(sig.signed, sig.referencePrefixes, sig.digestHash, sig.digestValue),
  );
  if (!matches) {
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
