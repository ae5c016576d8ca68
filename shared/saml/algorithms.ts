import { ALGORITHMS, attrOf, DIGEST_HASHES, NS, nameOf, SIGNATURE_HASHES } from '../xml/index.js';
import { SamlAlgorithmNotAllowedError } from './errors.js';

const ALLOWED: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['CanonicalizationMethod', new Set([ALGORITHMS.excC14n])],
  ['SignatureMethod', new Set(SIGNATURE_HASHES.keys())],
  ['DigestMethod', new Set(DIGEST_HASHES.keys())],
  ['Transform', new Set([ALGORITHMS.envelopedSignature, ALGORITHMS.excC14n])],
]);

/**
 * The algorithm allowlist (SECURITY.md §2.3), applied to every `Algorithm` attribute in the
 * document before anything is verified, wherever it appears: exclusive c14n without comments,
 * RSA-SHA256/512, SHA-256/512 digests, and the enveloped-signature and exclusive c14n transforms.
 * So RSA-SHA1, SHA-1, HMAC (the public certificate as a MAC key), DSA, `#WithComments`, inclusive
 * c14n, XPath, XSLT and base64 transforms never reach the crypto code, and an `Algorithm` on any
 * other element is refused too.
 * @throws saml_algorithm_not_allowed (SamlAlgorithmNotAllowedError)
 */
export const checkAlgorithms = (elements: readonly Element[]): void => {
  for (const el of elements) {
    const algorithm = attrOf(el, 'Algorithm');
    if (algorithm === undefined) continue;
    const allowed = el.namespaceURI === NS.dsig ? ALLOWED.get(el.localName) : undefined;
    if (!allowed?.has(algorithm)) {
      throw new SamlAlgorithmNotAllowedError(
        `${nameOf(el)} Algorithm ${JSON.stringify(algorithm.slice(0, 200))} is not allowed`,
      );
    }
  }
};
