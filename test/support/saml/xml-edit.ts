import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

/**
 * DOM editing for the attack mutators (test code: a lenient parse, then serialization). The
 * mutators act like an attacker holding a validly signed response: they move, copy and change
 * nodes, and the untouched parts keep their signatures.
 */

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const parseXml = (xml: string): Document =>
  new DOMParser({ errorHandler: { warning: () => undefined } }).parseFromString(
    xml,
    'text/xml',
  ) as unknown as Document;

export const serializeXml = (doc: Node): string =>
  new XMLSerializer().serializeToString(doc as never);

/** Every descendant element of `root` (or the document) with this namespace and local name. */
export const all = (root: Document | Element, ns: string, local: string): Element[] =>
  Array.from(root.getElementsByTagNameNS(ns, local) as unknown as ArrayLike<Element>);

/** The first such descendant; throws when there is none (a mutator bug, not a test outcome). */
export const first = (root: Document | Element, ns: string, local: string): Element => {
  const el = all(root, ns, local)[0];
  if (!el) throw new Error(`no {${ns}}${local} in the fixture`);
  return el;
};

/** The direct child of `el` with this namespace and local name. */
export const child = (el: Element, ns: string, local: string): Element | undefined => {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    const e = c as Element;
    if (c.nodeType === 1 && e.namespaceURI === ns && e.localName === local) return e;
  }
  return undefined;
};

/** Parses, lets `mutate` change the DOM, serializes. */
export const edit = (xml: string, mutate: (doc: Document) => void): string => {
  const doc = parseXml(xml);
  mutate(doc);
  return serializeXml(doc);
};

/** Sets the text of an element (replacing all its children). */
export const setText = (el: Element, text: string): void => {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild((el.ownerDocument as Document).createTextNode(text));
};

/** Inserts `node` right after `ref`. */
export const insertAfter = (node: Node, ref: Node): void => {
  (ref.parentNode as Node).insertBefore(node, ref.nextSibling);
};

/**
 * An attacker's copy of an assertion: deep clone, signature removed, new ID, NameID changed.
 */
export const forgeAssertion = (
  assertion: Element,
  { id = '_evil', nameId = 'admin@corp.example' }: { id?: string; nameId?: string } = {},
): Element => {
  const forged = assertion.cloneNode(true) as Element;
  const sig = child(forged, NS.dsig, 'Signature');
  if (sig) forged.removeChild(sig);
  forged.setAttribute('ID', id);
  setText(first(forged, NS.assertion, 'NameID'), nameId);
  return forged;
};
