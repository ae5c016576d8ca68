import { DOMImplementation } from '@xmldom/xmldom';
import { NS } from './names.js';
import { escapeXmlAttribute, escapeXmlText, refuseIllegalXml } from './text.js';

/**
 * The documents fedgate signs are built as a DOM tree, not as a string parsed back: the
 * canonicalizer (xml-crypto) digests the tree and {@link serializeXml} writes that same tree with
 * text.ts's escaping, so one tree is both what is signed and what is sent. Building it costs a
 * fraction of parsing it (the AWS SAML Response mint, whose target is 0.5 ms).
 *
 * Only what fedgate builds is supported: elements with constant qualified names, unqualified
 * attributes, `xmlns:` declarations, and text. No comments, processing instructions, CDATA or
 * default namespaces: none of them belongs in a document fedgate signs.
 */

/** A child: an element, or text (the empty string adds no node, as a parser would see it). */
export type XmlChild = Element | string;

export interface XmlTreeBuilder {
  /**
   * Creates `<qualifiedName>` in namespace `ns` with `attributes` (in order; a name starting with
   * `xmlns:` declares a namespace) and `children` (in order).
   * @throws IllegalXmlCharacterError when a value holds a character XML 1.0 cannot carry, so
   *   nothing that could not be sent is ever canonicalized or signed.
   */
  element(
    ns: string,
    qualifiedName: string,
    attributes?: Readonly<Record<string, string>>,
    children?: readonly XmlChild[],
  ): Element;
}

/** A builder over its own owner document (nodes are created by it, never added to it). */
export const createXmlTreeBuilder = (): XmlTreeBuilder => {
  const doc = new DOMImplementation().createDocument(null, '', null);
  return {
    element: (ns, qualifiedName, attributes, children) => {
      const el = doc.createElementNS(ns, qualifiedName);
      if (attributes) {
        for (const name in attributes) {
          const value = refuseIllegalXml(attributes[name] as string);
          el.setAttributeNS(name.startsWith('xmlns:') ? NS.xmlns : null, name, value);
        }
      }
      if (children) {
        for (const child of children) {
          if (typeof child !== 'string') el.appendChild(child);
          // A parser makes no node of empty content, and the canonicalizer refuses an empty one.
          else if (child !== '') el.appendChild(doc.createTextNode(refuseIllegalXml(child)));
        }
      }
      return el;
    },
  };
};

/**
 * Writes an element built by {@link createXmlTreeBuilder}: attributes in the order they were set,
 * an empty element as `<a/>`, every value through text.ts's escapers (TAB, LF, CR, NEL and
 * LINE SEPARATOR travel as character references, so every parser reads back the very values that
 * were canonicalized).
 */
export const serializeXml = (node: Node): string => {
  if (node.nodeType === 3) return escapeXmlText((node as Text).data);
  if (node.nodeType !== 1) throw new Error(`cannot serialize node type ${node.nodeType}`);
  const el = node as Element;
  let out = `<${el.tagName}`;
  const attributes = el.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const attr = attributes[i] as Attr;
    out += ` ${attr.name}="${escapeXmlAttribute(attr.value)}"`;
  }
  const children = el.childNodes;
  if (children.length === 0) return `${out}/>`;
  out += '>';
  for (let i = 0; i < children.length; i++) out += serializeXml(children[i] as Node);
  return `${out}</${el.tagName}>`;
};
