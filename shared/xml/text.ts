/**
 * Escaping for the XML documents fedgate builds (the AWS SAML response, the IdP metadata). Every
 * value that reaches a document goes through one of these two functions, so a claim-derived value
 * always comes out as literal text: it can never close an element, open one, or end a CDATA
 * section.
 */

/**
 * Characters outside XML 1.0's `Char` production (XML 1.0 §2.2): C0 controls other than TAB, LF
 * and CR, lone surrogates, U+FFFE and U+FFFF. No escape makes them legal (`&#0;` is itself not
 * well-formed), so they are refused, never dropped or replaced.
 */
const ILLEGAL_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const TEXT_SPECIALS = /[&<>\r\u0085\u2028]/g;
const ATTRIBUTE_SPECIALS = /[&<>"'\t\n\r\u0085\u2028]/g;
const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  // '>' only matters in "]]>" in text, but escaping it always is simpler to reason about.
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // XML 1.0 §2.11 turns a literal CR into LF and §3.3.3 turns TAB/LF/CR in attribute values into
  // spaces: character references keep the value the signer canonicalized and the verifier reads.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
  // XML 1.1 §2.11 also turns NEL and LINE SEPARATOR (which is in AWS's tag charset, \p{Z}) into
  // LF, and so does @xmldom/xmldom whatever the version; XML 1.0 parsers (libxml2, AWS) keep
  // them. Written as references they reach every parser as themselves, so the digest computed
  // here is the one every verifier computes.
  '\u0085': '&#133;',
  '\u2028': '&#8232;',
};
const entity = (c: string) => ENTITIES[c] as string;

/** Thrown by the escapers: the caller translates it into its own error code. */
export class IllegalXmlCharacterError extends Error {
  constructor(readonly codePoint: number) {
    super(`U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} cannot appear in XML 1.0`);
    this.name = 'IllegalXmlCharacterError';
  }
}

/**
 * Returns `value` when every character of it may appear in an XML 1.0 document.
 * @throws IllegalXmlCharacterError naming the first character that may not.
 */
export const refuseIllegalXml = (value: string): string => {
  const m = ILLEGAL_XML_CHAR.exec(value);
  if (m) throw new IllegalXmlCharacterError(m[0].codePointAt(0) as number);
  return value;
};

/** Whether every character of `value` may appear in an XML 1.0 document. */
export const isXmlSafe = (value: string): boolean => !ILLEGAL_XML_CHAR.test(value);

/**
 * Escapes character data (element content).
 * @throws IllegalXmlCharacterError when `value` holds a character XML 1.0 cannot carry.
 */
export const escapeXmlText = (value: string): string => {
  refuseIllegalXml(value);
  return value.replace(TEXT_SPECIALS, entity);
};

/**
 * Escapes an attribute value for a double- or single-quoted attribute.
 * @throws IllegalXmlCharacterError when `value` holds a character XML 1.0 cannot carry.
 */
export const escapeXmlAttribute = (value: string): string => {
  refuseIllegalXml(value);
  return value.replace(ATTRIBUTE_SPECIALS, entity);
};
