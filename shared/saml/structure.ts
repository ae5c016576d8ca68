import { attrOf, elementChildren, NS, nameOf } from '../xml/index.js';
import {
  SamlAttributeInvalidError,
  SamlEncryptedUnsupportedError,
  SamlStructureInvalidError,
} from './errors.js';
import { isXmlWhitespace } from './parse-xml.js';

/**
 * The one shape of SAML Response fedgate accepts (SECURITY.md §2.4), as a closed content model
 * over namespace URI + local name: every element of the document must be listed here, in the
 * position and number the SAML 2.0 / XMLDSig schemas give it, with only the listed attributes.
 * Nothing is skipped as "any content", so a second Assertion, a Signature or ID-bearing element
 * hidden in Extensions, Advice, StatusDetail, ds:Object, SubjectConfirmationData or KeyInfo has no
 * place to go. Narrower than the schemas on purpose: no Advice, Extensions, StatusDetail,
 * ds:Object, AuthzDecisionStatement, BaseID, AuthnContextDecl, KeyInfo beyond X509/KeyName/RSA.
 */

type Key = string;
interface Particle {
  names: readonly Key[];
  min: number;
  max: number;
}
interface Model {
  /** Unqualified attributes allowed. */
  attrs?: readonly string[];
  required?: readonly string[];
  /** The attribute that is an XML ID here (`ID` on SAML elements, `Id` on XMLDSig ones). */
  id?: 'ID' | 'Id';
  /** Namespace-qualified attributes: `any` (schema anyAttribute ##other) or a list of `{ns}local`. */
  foreign?: 'any' | readonly string[];
  content: 'empty' | 'text' | readonly Particle[];
}

const PREFIX: ReadonlyMap<string, string> = new Map([
  [NS.protocol, 'p'],
  [NS.assertion, 'a'],
  [NS.dsig, 'ds'],
  [NS.excC14n, 'ec'],
]);

const one = (...names: Key[]): Particle => ({ names, min: 1, max: 1 });
const opt = (...names: Key[]): Particle => ({ names, min: 0, max: 1 });
const many = (...names: Key[]): Particle => ({ names, min: 0, max: Number.POSITIVE_INFINITY });
const some = (...names: Key[]): Particle => ({ names, min: 1, max: Number.POSITIVE_INFINITY });

const NAME_ID_ATTRS = ['Format', 'NameQualifier', 'SPNameQualifier', 'SPProvidedID'];
const TEXT: Model = { content: 'text' };

const MODELS: ReadonlyMap<Key, Model> = new Map(
  Object.entries({
    'p:Response': {
      attrs: ['ID', 'Version', 'IssueInstant', 'Destination', 'Consent', 'InResponseTo'],
      required: ['ID', 'Version', 'IssueInstant'],
      id: 'ID',
      content: [opt('a:Issuer'), opt('ds:Signature'), one('p:Status'), many('a:Assertion')],
    },
    'p:Status': { content: [one('p:StatusCode'), opt('p:StatusMessage')] },
    'p:StatusCode': { attrs: ['Value'], required: ['Value'], content: [opt('p:StatusCode')] },
    'p:StatusMessage': TEXT,
    'a:Assertion': {
      attrs: ['ID', 'Version', 'IssueInstant'],
      required: ['ID', 'Version', 'IssueInstant'],
      id: 'ID',
      content: [
        one('a:Issuer'),
        opt('ds:Signature'),
        opt('a:Subject'),
        opt('a:Conditions'),
        many('a:AuthnStatement', 'a:AttributeStatement'),
      ],
    },
    'a:Issuer': { attrs: NAME_ID_ATTRS, content: 'text' },
    'a:Subject': { content: [opt('a:NameID'), many('a:SubjectConfirmation')] },
    'a:NameID': { attrs: NAME_ID_ATTRS, content: 'text' },
    'a:SubjectConfirmation': {
      attrs: ['Method'],
      required: ['Method'],
      content: [opt('a:SubjectConfirmationData')],
    },
    // Schema: anyType (mixed, any children). Bearer confirmation needs none: refusing children is
    // what keeps an Assertion from hiding here.
    'a:SubjectConfirmationData': {
      attrs: ['NotBefore', 'NotOnOrAfter', 'Recipient', 'InResponseTo', 'Address'],
      foreign: 'any',
      content: 'empty',
    },
    'a:Conditions': {
      attrs: ['NotBefore', 'NotOnOrAfter'],
      content: [many('a:AudienceRestriction', 'a:OneTimeUse', 'a:ProxyRestriction')],
    },
    'a:AudienceRestriction': { content: [some('a:Audience')] },
    'a:Audience': TEXT,
    'a:OneTimeUse': { content: 'empty' },
    'a:ProxyRestriction': { attrs: ['Count'], content: [many('a:Audience')] },
    'a:AuthnStatement': {
      attrs: ['AuthnInstant', 'SessionIndex', 'SessionNotOnOrAfter'],
      required: ['AuthnInstant'],
      content: [opt('a:SubjectLocality'), one('a:AuthnContext')],
    },
    'a:SubjectLocality': { attrs: ['Address', 'DNSName'], content: 'empty' },
    'a:AuthnContext': {
      content: [
        opt('a:AuthnContextClassRef'),
        opt('a:AuthnContextDeclRef'),
        many('a:AuthenticatingAuthority'),
      ],
    },
    'a:AuthnContextClassRef': TEXT,
    'a:AuthnContextDeclRef': TEXT,
    'a:AuthenticatingAuthority': TEXT,
    'a:AttributeStatement': { content: [some('a:Attribute')] },
    'a:Attribute': {
      attrs: ['Name', 'NameFormat', 'FriendlyName'],
      required: ['Name'],
      foreign: 'any',
      content: [many('a:AttributeValue')],
    },
    'a:AttributeValue': { foreign: [`{${NS.xsi}}type`], content: 'text' },

    'ds:Signature': {
      attrs: ['Id'],
      id: 'Id',
      content: [one('ds:SignedInfo'), one('ds:SignatureValue'), opt('ds:KeyInfo')],
    },
    'ds:SignedInfo': {
      attrs: ['Id'],
      id: 'Id',
      content: [one('ds:CanonicalizationMethod'), one('ds:SignatureMethod'), some('ds:Reference')],
    },
    'ds:CanonicalizationMethod': {
      attrs: ['Algorithm'],
      required: ['Algorithm'],
      content: [opt('ec:InclusiveNamespaces')],
    },
    'ec:InclusiveNamespaces': { attrs: ['PrefixList'], required: ['PrefixList'], content: 'empty' },
    'ds:SignatureMethod': { attrs: ['Algorithm'], required: ['Algorithm'], content: 'empty' },
    'ds:Reference': {
      attrs: ['URI', 'Id', 'Type'],
      id: 'Id',
      content: [opt('ds:Transforms'), one('ds:DigestMethod'), one('ds:DigestValue')],
    },
    'ds:Transforms': { content: [some('ds:Transform')] },
    'ds:Transform': {
      attrs: ['Algorithm'],
      required: ['Algorithm'],
      content: [opt('ec:InclusiveNamespaces')],
    },
    'ds:DigestMethod': { attrs: ['Algorithm'], required: ['Algorithm'], content: 'empty' },
    'ds:DigestValue': TEXT,
    'ds:SignatureValue': { attrs: ['Id'], id: 'Id', content: 'text' },
    // KeyInfo is never used to pick a key (only configured certificates are); it is still closed so
    // that nothing (RetrievalMethod, a nested Signature, an Assertion) can ride inside it.
    'ds:KeyInfo': {
      attrs: ['Id'],
      id: 'Id',
      content: [many('ds:X509Data', 'ds:KeyName', 'ds:KeyValue')],
    },
    'ds:X509Data': {
      content: [
        some(
          'ds:X509Certificate',
          'ds:X509IssuerSerial',
          'ds:X509SubjectName',
          'ds:X509SKI',
          'ds:X509CRL',
        ),
      ],
    },
    'ds:X509IssuerSerial': { content: [one('ds:X509IssuerName'), one('ds:X509SerialNumber')] },
    'ds:KeyValue': { content: [one('ds:RSAKeyValue')] },
    'ds:RSAKeyValue': { content: [one('ds:Modulus'), one('ds:Exponent')] },
    'ds:X509Certificate': TEXT,
    'ds:X509SubjectName': TEXT,
    'ds:X509SKI': TEXT,
    'ds:X509CRL': TEXT,
    'ds:X509IssuerName': TEXT,
    'ds:X509SerialNumber': TEXT,
    'ds:KeyName': TEXT,
    'ds:Modulus': TEXT,
    'ds:Exponent': TEXT,
  } satisfies Record<Key, Model>),
);

// xs:ID is an NCName; fedgate takes the ASCII subset every IdP uses.
const NCNAME_ASCII = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;
const ENCRYPTED = new Set(['EncryptedAssertion', 'EncryptedID', 'EncryptedAttribute']);

const keyOf = (el: Element): Key => {
  const prefix = PREFIX.get(el.namespaceURI ?? '');
  if (prefix === undefined) {
    throw new SamlStructureInvalidError(
      `element ${nameOf(el)} is in a namespace fedgate does not accept`,
    );
  }
  return `${prefix}:${el.localName}`;
};

/**
 * Refuses encrypted SAML content anywhere in the document: fedgate does not decrypt (no key to
 * hold, no padding oracle to defend), so it says so clearly instead of "structure invalid".
 * @throws saml_encrypted_unsupported (SamlEncryptedUnsupportedError)
 */
export const rejectEncryptedContent = (elements: readonly Element[]): void => {
  for (const el of elements) {
    if (
      (el.namespaceURI === NS.assertion && ENCRYPTED.has(el.localName)) ||
      el.namespaceURI === NS.xenc
    ) {
      throw new SamlEncryptedUnsupportedError(
        `${nameOf(el)} present: encrypted SAML is not supported`,
      );
    }
  }
};

/**
 * Checks the whole tree under `response` against the content model and collects the XML IDs,
 * which must be unique across the document (`ID` on Response/Assertion, `Id` on XMLDSig elements;
 * `id`, `Id` on SAML elements or `ID` on XMLDSig ones are refused, so no tool can resolve a
 * Reference to an element fedgate did not mean).
 * @returns the document's IDs → their elements.
 * @throws saml_structure_invalid (SamlStructureInvalidError)
 * @throws saml_attribute_invalid (SamlAttributeInvalidError) for element content in an AttributeValue.
 */
export const checkResponseStructure = (response: Element): ReadonlyMap<string, Element> => {
  if (response.namespaceURI !== NS.protocol || response.localName !== 'Response') {
    throw new SamlStructureInvalidError(
      `root element is ${nameOf(response)}, not a SAML 2.0 Response`,
    );
  }
  const ids = new Map<string, Element>();
  checkElement(response, 'p:Response', ids);
  return ids;
};

const checkElement = (el: Element, key: Key, ids: Map<string, Element>): void => {
  const model = MODELS.get(key);
  if (!model) throw new SamlStructureInvalidError(`element ${key} is not allowed`);
  checkAttributes(el, key, model, ids);
  if (model.content === 'empty' || model.content === 'text') {
    for (let c = el.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1) {
        if (key === 'a:AttributeValue') {
          throw new SamlAttributeInvalidError('AttributeValue has element content (text only)');
        }
        throw new SamlStructureInvalidError(`${key} must not contain elements`);
      }
      if (model.content === 'empty' && !isXmlWhitespace((c as Text).data)) {
        throw new SamlStructureInvalidError(`${key} must be empty`);
      }
    }
    return;
  }
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1 && !isXmlWhitespace((c as Text).data)) {
      throw new SamlStructureInvalidError(`${key} has text between its elements`);
    }
  }
  const children = elementChildren(el);
  let i = 0;
  for (const particle of model.content) {
    let count = 0;
    while (i < children.length && count < particle.max) {
      const child = children[i] as Element;
      const childKey = keyOf(child);
      if (!particle.names.includes(childKey)) break;
      checkElement(child, childKey, ids);
      count++;
      i++;
    }
    if (count < particle.min) {
      const found = children[i];
      throw new SamlStructureInvalidError(
        found
          ? `${displayKey(found)} is not allowed here in ${key} (expected ${particle.names.join(' or ')})`
          : `${key} lacks ${particle.names.join(' or ')}`,
      );
    }
  }
  if (i < children.length) {
    throw new SamlStructureInvalidError(
      `${displayKey(children[i] as Element)} is not allowed here in ${key}`,
    );
  }
};

const displayKey = (el: Element): string =>
  PREFIX.has(el.namespaceURI ?? '') ? keyOf(el) : nameOf(el);

const checkAttributes = (el: Element, key: Key, model: Model, ids: Map<string, Element>): void => {
  const attrs = el.attributes;
  for (let k = 0; k < attrs.length; k++) {
    const attr = attrs.item(k) as Attr;
    if (attr.name === 'xmlns' || attr.prefix === 'xmlns') continue; // checked by the parser step
    if (!attr.namespaceURI) {
      if (!model.attrs?.includes(attr.name)) {
        throw new SamlStructureInvalidError(`attribute ${attr.name} is not allowed on ${key}`);
      }
      continue;
    }
    const qualified = `{${attr.namespaceURI}}${attr.localName}`;
    const allowed =
      model.foreign === 'any'
        ? !PREFIX.has(attr.namespaceURI) &&
          attr.namespaceURI !== NS.xml &&
          attr.localName.toLowerCase() !== 'id'
        : (model.foreign?.includes(qualified) ?? false);
    if (!allowed) {
      throw new SamlStructureInvalidError(`attribute ${qualified} is not allowed on ${key}`);
    }
  }
  for (const name of model.required ?? []) {
    if (attrOf(el, name) === undefined) {
      throw new SamlStructureInvalidError(`${key} lacks attribute ${name}`);
    }
  }
  if (model.id) {
    const id = attrOf(el, model.id);
    if (id === undefined) return;
    if (!NCNAME_ASCII.test(id)) {
      throw new SamlStructureInvalidError(`${key} ${model.id} is not an NCName`);
    }
    if (ids.has(id)) throw new SamlStructureInvalidError(`duplicate ID ${JSON.stringify(id)}`);
    ids.set(id, el);
  }
  if ((key === 'a:Assertion' || key === 'p:Response') && attrOf(el, 'Version') !== '2.0') {
    throw new SamlStructureInvalidError(`${key} Version is not 2.0`);
  }
};
