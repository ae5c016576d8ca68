/** Small DOM readers over the validated tree: always by namespace URI + local name. */

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** The element children of `el`, in document order. */
export const elementChildren = (el: Element): Element[] => {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT_NODE) out.push(c as Element);
  }
  return out;
};

/** The element children of `el` with this namespace URI and local name. */
export const childrenNamed = (el: Element, ns: string, local: string): Element[] =>
  elementChildren(el).filter((c) => c.namespaceURI === ns && c.localName === local);

/** The first element child of `el` with this namespace URI and local name. */
export const childNamed = (el: Element, ns: string, local: string): Element | undefined => {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (
      c.nodeType === ELEMENT_NODE &&
      (c as Element).namespaceURI === ns &&
      (c as Element).localName === local
    ) {
      return c as Element;
    }
  }
  return undefined;
};

/**
 * The character data of a text-only element: its text and CDATA children joined, which is what
 * exclusive c14n digests (comments are refused earlier, so none can hide between the pieces).
 */
export const textOf = (el: Element): string => {
  let s = '';
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) s += (c as Text).data;
  }
  return s;
};

/** An unqualified attribute's value, or `undefined` when absent (xmldom returns '' for absent). */
export const attrOf = (el: Element, name: string): string | undefined =>
  el.getAttributeNode(name)?.value ?? undefined;

/** `{namespace}local` for messages. */
export const nameOf = (el: Element): string => `{${el.namespaceURI ?? ''}}${el.localName}`;
