import { generateKeyPairSync, sign } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import {
  buildSignatureElement,
  canonicalize,
  childNamed,
  createXmlTreeBuilder,
  digestMatches,
  NS,
  PREFIX,
  prepareEnvelopedSignature,
  serializeXml,
  textOf,
  verifySignedInfo,
  XmlCanonicalizationError,
} from '../../../shared/xml/index.js';

const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = keyPair();
const other = keyPair();

/** A Response holding one Assertion, signed the way the issuer signs: after its Issuer. */
const signedDocument = (attributeValue = 'a & <b>') => {
  const b = createXmlTreeBuilder();
  const saml = (name: string, attrs?: Record<string, string>, children?: (Element | string)[]) =>
    b.element(NS.assertion, `${PREFIX.assertion}:${name}`, attrs, children);
  const issuer = saml('Issuer', undefined, ['https://idp.example']);
  const assertion = saml('Assertion', { ID: '_a1', Version: '2.0' }, [
    issuer,
    saml('AttributeValue', undefined, [attributeValue]),
  ]);
  const response = b.element(
    NS.protocol,
    `${PREFIX.protocol}:Response`,
    {
      [`xmlns:${PREFIX.protocol}`]: NS.protocol,
      [`xmlns:${PREFIX.assertion}`]: NS.assertion,
      ID: '_r1',
    },
    [assertion],
  );
  const prepared = prepareEnvelopedSignature(b, assertion, '_a1');
  const value = sign('sha256', prepared.bytesToSign, signer.privateKey);
  assertion.insertBefore(buildSignatureElement(b, prepared, value, 'MIIB'), issuer.nextSibling);
  return serializeXml(response);
};

/** The parsed document's Assertion, its Signature and their parts. */
const parse = (xml: string) => {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const assertion = childNamed(
    doc.documentElement as unknown as Element,
    NS.assertion,
    'Assertion',
  ) as Element;
  const signature = childNamed(assertion, NS.dsig, 'Signature') as Element;
  const signedInfo = childNamed(signature, NS.dsig, 'SignedInfo') as Element;
  const reference = childNamed(signedInfo, NS.dsig, 'Reference') as Element;
  return {
    assertion,
    signature,
    signedInfo,
    value: Buffer.from(
      textOf(childNamed(signature, NS.dsig, 'SignatureValue') as Element),
      'base64',
    ),
    digest: Buffer.from(textOf(childNamed(reference, NS.dsig, 'DigestValue') as Element), 'base64'),
  };
};

describe('prepareEnvelopedSignature + buildSignatureElement (the issuer side)', () => {
  it('writes a signature xml-crypto’s own verifier accepts over the bytes as sent', () => {
    const xml = signedDocument();
    const verifier = new SignedXml({
      publicCert: signer.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      getCertFromKeyInfo: () => null,
    });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const sig = doc.getElementsByTagNameNS(NS.dsig, 'Signature')[0];
    verifier.loadSignature(sig as unknown as Node);
    expect(verifier.checkSignature(xml)).toBe(true);
  });

  it('names exclusive c14n, RSA-SHA256 and SHA-256, referencing the element by ID', () => {
    const { signedInfo } = parse(signedDocument());
    const algorithms = [...canonicalize(signedInfo).matchAll(/Algorithm="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(algorithms).toEqual([
      'http://www.w3.org/2001/10/xml-exc-c14n#',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
      'http://www.w3.org/2001/04/xmlenc#sha256',
    ]);
    expect(canonicalize(signedInfo)).toContain('URI="#_a1"');
  });
});

describe('verifySignedInfo + digestMatches (the saml side)', () => {
  it('verifies under the key that signed, trying candidates in order (rollover)', () => {
    const { signedInfo, value } = parse(signedDocument());
    const candidates = [
      { name: 'old', key: other.publicKey },
      { name: 'new', key: signer.publicKey },
    ];
    expect(verifySignedInfo(signedInfo, [], 'sha256', value, candidates)?.name).toBe('new');
    expect(verifySignedInfo(signedInfo, [], 'sha256', value, [candidates[0] as never])).toBe(
      undefined,
    );
    expect(verifySignedInfo(signedInfo, [], 'sha512', value, candidates)).toBeUndefined();
  });

  it('matches the digest once the signature is detached, and not after a change', () => {
    const { assertion, signature, digest } = parse(signedDocument());
    expect(digestMatches(assertion, [], 'sha256', digest)).toBe(false);
    assertion.removeChild(signature);
    expect(digestMatches(assertion, [], 'sha256', digest)).toBe(true);
    expect(digestMatches(assertion, [], 'sha256', digest.subarray(1))).toBe(false);
    (childNamed(assertion, NS.assertion, 'AttributeValue')?.firstChild as Text).data = 'a & <c>';
    expect(digestMatches(assertion, [], 'sha256', digest)).toBe(false);
  });
});

describe('canonicalize', () => {
  it('renders an InclusiveNamespaces prefix declared above the node, from its ancestors', () => {
    const doc = new DOMParser().parseFromString(
      '<r xmlns:xs="urn:x-test:xs" xmlns:u="urn:x-test:u"><e a="xs:string"/></r>',
      'text/xml',
    );
    const e = doc.documentElement?.firstChild as unknown as Element;
    expect(canonicalize(e)).toBe('<e a="xs:string"></e>');
    expect(canonicalize(e, ['xs'])).toBe('<e xmlns:xs="urn:x-test:xs" a="xs:string"></e>');
  });

  it('wraps a canonicalizer failure in XmlCanonicalizationError, the cause kept', () => {
    let caught: unknown;
    try {
      canonicalize({} as Element);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(XmlCanonicalizationError);
    expect((caught as Error).cause).toBeInstanceOf(Error);
  });
});
