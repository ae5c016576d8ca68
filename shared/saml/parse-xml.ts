import { DOMParser } from '@xmldom/xmldom';
import { NS } from '../xml/index.js';
import { SamlForbiddenConstructError, SamlMalformedError } from './errors.js';

/**
 * Untrusted bytes → one DOM, with every guard that must run before and during parsing
 * (SECURITY.md §2.2). This is the only XML parser on the path: the signature is verified over,
 * and the identity read from, the document returned here.
 */

/** Longest accepted `SAMLResponse` form value (base64 characters, line breaks included). */
export const MAX_BASE64_LENGTH = 256 * 1024;
/** Largest accepted decoded document. */
export const MAX_XML_BYTES = 192 * 1024;

/** Bounds applied while scanning the raw text and again while walking the DOM. */
export interface XmlLimits {
  /** Deepest element nesting (the root is depth 1). */
  maxDepth: number;
  /** Most elements in the document. */
  maxElements: number;
  /** Comments are refused in responses; IdP metadata (operator-supplied) may carry them. */
  allowComments: boolean;
}

/** What a SAML response may be: the deepest legitimate path is 8 levels, a 150-group Entra response ~400 elements. */
export const RESPONSE_LIMITS: XmlLimits = { maxDepth: 32, maxElements: 5000, allowComments: false };

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

// Characters XML 1.0 forbids (C0 except TAB/LF/CR, U+FFFE/U+FFFF) plus DEL and the C1 controls,
// which no SAML message needs and which some parsers treat as line breaks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const FORBIDDEN_RAW_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/;
// An ampersand that does not start a character or entity reference: not well-formed, but xmldom
// reads it as text.
const BARE_AMPERSAND = /&(?![A-Za-z_][A-Za-z0-9._-]*;|#[0-9]{1,7};|#x[0-9A-Fa-f]{1,6};)/;
// A character reference: it must name a character the raw text could carry (an XML `Char` not
// in FORBIDDEN_RAW_CHARS). xmldom decodes `&#0;`, `&#xFFFE;` or `&#x110000;` without complaint.
const CHAR_REFERENCE = /&#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}));/g;
const isAllowedReference = (cp: number) =>
  cp <= 0x10ffff &&
  !(cp >= 0xd800 && cp <= 0xdfff) &&
  !FORBIDDEN_RAW_CHARS.test(String.fromCodePoint(cp));
const BASE64_CHARS = /^[A-Za-z0-9+/=\r\n]+$/;
const BASE64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;
const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*\?>/;
// A start tag's body after "<": anything but quotes and ">", and quoted values without "<".
const START_TAG_BODY = /[^"'>]*(?:(?:"[^"<]*"|'[^'<]*')[^"'>]*)*/y;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes the `SAMLResponse` form value: at most {@link MAX_BASE64_LENGTH} characters of strict,
 * canonical base64 (CR/LF allowed between characters, nothing else), at most
 * {@link MAX_XML_BYTES} bytes of valid UTF-8 (a UTF-8 BOM is dropped; UTF-16/32 BOMs refused).
 * @throws saml_malformed (SamlMalformedError) for anything else.
 */
export const decodeSamlResponse = (b64: string): string => {
  if (typeof b64 !== 'string' || b64.length === 0)
    throw new SamlMalformedError('empty SAMLResponse');
  if (b64.length > MAX_BASE64_LENGTH) {
    throw new SamlMalformedError(`SAMLResponse longer than ${MAX_BASE64_LENGTH} characters`);
  }
  if (!BASE64_CHARS.test(b64)) {
    throw new SamlMalformedError('SAMLResponse has characters outside [A-Za-z0-9+/=] and CR/LF');
  }
  const compact = b64.includes('\r') || b64.includes('\n') ? b64.replace(/[\r\n]/g, '') : b64;
  if (compact.length % 4 !== 0 || !BASE64_SHAPE.test(compact)) {
    throw new SamlMalformedError('SAMLResponse is not padded base64');
  }
  const bytes = Buffer.from(compact, 'base64');
  // Non-zero pad bits make two encodings decode alike: accept only the canonical one.
  if (bytes.toString('base64') !== compact) {
    throw new SamlMalformedError('SAMLResponse is not canonical base64');
  }
  if (bytes.length > MAX_XML_BYTES) {
    throw new SamlMalformedError(`decoded SAMLResponse larger than ${MAX_XML_BYTES} bytes`);
  }
  return decodeUtf8Document(bytes);
};

/**
 * UTF-8 bytes → text: UTF-16/UTF-32 (with or without BOM: NULs are refused later) and invalid
 * UTF-8 are refused; a UTF-8 BOM is dropped.
 * @throws saml_malformed (SamlMalformedError)
 */
export const decodeUtf8Document = (bytes: Uint8Array): string => {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe) || (b0 === 0 && b1 === 0)) {
    throw new SamlMalformedError('document is UTF-16/UTF-32 (byte order mark), not UTF-8');
  }
  const start = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return UTF8.decode(bytes.subarray(start));
  } catch (err) {
    throw new SamlMalformedError('document is not valid UTF-8', { cause: err });
  }
};

/**
 * One linear pass over the raw text before any parser sees it: forbidden characters, the XML
 * declaration (version 1.0, encoding UTF-8 if given), no DOCTYPE / ENTITY / other markup
 * declarations, no processing instructions, comments only if allowed, nesting depth and element
 * count within `limits`; end tags must match their start tags by name. CDATA sections are skipped
 * as text.
 * @throws saml_forbidden_construct (SamlForbiddenConstructError) for declarations, PIs, comments.
 * @throws saml_malformed (SamlMalformedError) for characters, declaration, depth, count, truncation.
 */
export const scanRawXml = (xml: string, limits: XmlLimits): void => {
  const bad = FORBIDDEN_RAW_CHARS.exec(xml);
  if (bad) {
    throw new SamlMalformedError(
      `forbidden character U+${(bad[0].codePointAt(0) as number).toString(16).padStart(4, '0')} at offset ${bad.index}`,
    );
  }
  const amp = BARE_AMPERSAND.exec(xml);
  if (amp) throw new SamlMalformedError(`bare "&" at offset ${amp.index}`);
  for (const ref of xml.matchAll(CHAR_REFERENCE)) {
    const cp = ref[1] !== undefined ? Number.parseInt(ref[1], 16) : Number(ref[2]);
    if (!isAllowedReference(cp)) {
      throw new SamlMalformedError(
        `character reference to forbidden U+${cp.toString(16).padStart(4, '0')} at offset ${ref.index}`,
      );
    }
  }
  let i = 0;
  if (xml.startsWith('<?xml') && /[ \t\r\n]/.test(xml.charAt(5))) {
    const decl = XML_DECLARATION.exec(xml);
    if (!decl) throw new SamlMalformedError('unsupported XML declaration (version 1.0 only)');
    const encoding = decl[3];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
      throw new SamlMalformedError(`declared encoding ${encoding} (UTF-8 only)`);
    }
    i = decl[0].length;
  }
  if (i === 0 && !xml.startsWith('<')) {
    throw new SamlMalformedError('document does not start with markup');
  }
  // Open elements by the name they were written with: xmldom silently skips an end tag that does
  // not match (`<a><b></a></b>` parses as a/b), so the scan is where nesting is enforced.
  const open: string[] = [];
  let elements = 0;
  let roots = 0;
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    const next = xml.charCodeAt(lt + 1);
    if (next === 0x2f /* / */) {
      const gt = xml.indexOf('>', lt);
      const name = gt < 0 ? undefined : xml.slice(lt + 2, gt).replace(/[ \t\r\n]+$/, '');
      if (name === undefined || open.pop() !== name) {
        throw new SamlMalformedError(`end tag does not match its start tag at offset ${lt}`);
      }
      i = gt + 1;
      continue;
    }
    if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        if (!limits.allowComments) {
          throw new SamlForbiddenConstructError(`comment at offset ${lt}`);
        }
        const end = xml.indexOf('-->', lt + 4);
        if (end < 0) throw new SamlMalformedError('unterminated comment');
        i = end + 3;
        continue;
      }
      if (xml.startsWith('<![CDATA[', lt)) {
        const end = xml.indexOf(']]>', lt + 9);
        if (end < 0) throw new SamlMalformedError('unterminated CDATA section');
        i = end + 3;
        continue;
      }
      // <!DOCTYPE, <!ENTITY, <!ATTLIST, <!ELEMENT, …: XXE, billion laughs and the parser
      // differentials of ruby-saml CVE-2025-25291/25292 all start here.
      throw new SamlForbiddenConstructError(
        `markup declaration ${JSON.stringify(xml.slice(lt, lt + 10))} at offset ${lt}`,
      );
    }
    if (next === 0x3f /* ? */) {
      throw new SamlForbiddenConstructError(`processing instruction at offset ${lt}`);
    }
    if (++elements > limits.maxElements) {
      throw new SamlMalformedError(`more than ${limits.maxElements} elements`);
    }
    if (open.length === 0 && ++roots > 1)
      throw new SamlMalformedError('more than one root element');
    // The start tag's body in one native regex step (a character loop here costs more than the
    // rest of the scan in a fresh process): it stops at the closing ">", or at a quote that is
    // not closed before a "<" or the end.
    START_TAG_BODY.lastIndex = lt + 1;
    START_TAG_BODY.test(xml);
    const j = START_TAG_BODY.lastIndex;
    const stop = xml.charCodeAt(j);
    if (stop === 0x22 /* " */ || stop === 0x27 /* ' */) {
      const close = xml.indexOf(xml.charAt(j), j + 1);
      const inner = xml.indexOf('<', j + 1);
      if (inner >= 0 && (close < 0 || inner < close)) {
        throw new SamlMalformedError(`"<" in an attribute value at offset ${inner}`);
      }
    }
    if (stop !== 0x3e /* > */)
      throw new SamlMalformedError(`unterminated start tag at offset ${lt}`);
    if (xml.charCodeAt(j - 1) !== 0x2f /* / */) {
      if (open.length >= limits.maxDepth) {
        throw new SamlMalformedError(`elements nested deeper than ${limits.maxDepth}`);
      }
      open.push(xml.slice(lt + 1, j).split(/[ \t\r\n/]/, 1)[0] as string);
    }
    i = j + 1;
  }
  if (open.length !== 0) throw new SamlMalformedError('unclosed elements at end of document');
  if (roots === 0) throw new SamlMalformedError('no root element');
};

/** A parsed document, its root element and every element in document order. */
export interface ParsedXml {
  document: Document;
  root: Element;
  elements: readonly Element[];
}

const failParse = (message: string): never => {
  throw new SamlMalformedError(`not well-formed: ${message.replace(/\s+/g, ' ').slice(0, 200)}`);
};

/**
 * Scans (see {@link scanRawXml}), parses with @xmldom/xmldom (every warning and error fatal),
 * then walks the DOM without recursion: exactly one root element, only text, CDATA and elements
 * below it (comments only if allowed), depth and count bounds again, every element and prefixed
 * attribute in a declared namespace, and no redefinition of the `xml`/`xmlns` namespaces.
 * @throws saml_malformed (SamlMalformedError)
 * @throws saml_forbidden_construct (SamlForbiddenConstructError)
 */
export const parseStrictXml = (xml: string, limits: XmlLimits): ParsedXml => {
  scanRawXml(xml, limits);
  let document: Document;
  try {
    document = new DOMParser({
      locator: {},
      errorHandler: { warning: failParse, error: failParse, fatalError: failParse },
    }).parseFromString(xml, 'text/xml') as unknown as Document;
  } catch (err) {
    if (err instanceof SamlMalformedError) throw err;
    throw new SamlMalformedError(`not well-formed: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  }
  let root: Element | undefined;
  for (let child = document.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) {
      if (root) throw new SamlMalformedError('more than one root element');
      root = child as Element;
    } else if (child.nodeType === PROCESSING_INSTRUCTION_NODE) {
      // xmldom keeps the XML declaration (already checked by the scan) as a PI named "xml".
      if ((child as ProcessingInstruction).target !== 'xml' || child !== document.firstChild) {
        throw new SamlForbiddenConstructError('processing instruction outside the root element');
      }
    } else if (child.nodeType === COMMENT_NODE && limits.allowComments) {
      // metadata may carry a comment before or after its root
    } else if (child.nodeType !== TEXT_NODE || !isXmlWhitespace((child as Text).data)) {
      throw new SamlMalformedError(`node type ${child.nodeType} outside the root element`);
    }
  }
  if (!root) throw new SamlMalformedError('no root element');

  const elements: Element[] = [];
  const stack: Array<{ node: Element; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: Element; depth: number };
    if (depth > limits.maxDepth) {
      throw new SamlMalformedError(`elements nested deeper than ${limits.maxDepth}`);
    }
    if (elements.push(node) > limits.maxElements) {
      throw new SamlMalformedError(`more than ${limits.maxElements} elements`);
    }
    checkNamespaces(node);
    const children: Element[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
      switch (child.nodeType) {
        case ELEMENT_NODE:
          children.push(child as Element);
          break;
        case TEXT_NODE:
        case CDATA_SECTION_NODE:
          break;
        case COMMENT_NODE:
          if (!limits.allowComments) {
            throw new SamlForbiddenConstructError(`comment inside <${node.nodeName}>`);
          }
          break;
        case PROCESSING_INSTRUCTION_NODE:
          throw new SamlForbiddenConstructError(`processing instruction inside <${node.nodeName}>`);
        default:
          throw new SamlMalformedError(`node type ${child.nodeType} inside <${node.nodeName}>`);
      }
    }
    // Reverse so that pops come out in document order.
    for (let k = children.length - 1; k >= 0; k--) {
      stack.push({ node: children[k] as Element, depth: depth + 1 });
    }
  }
  return { document, root, elements };
};

const checkNamespaces = (el: Element): void => {
  if (!el.namespaceURI) {
    throw new SamlMalformedError(`element <${el.nodeName}> is in no namespace`);
  }
  const attrs = el.attributes;
  const names = new Set<string>();
  for (let k = 0; k < attrs.length; k++) {
    const attr = attrs.item(k) as Attr;
    // Namespaces in XML §6.3: no two attributes with the same expanded name (xmldom only checks
    // the qualified name, so p:x and q:x bound to one namespace pass it).
    const expanded = `${attr.namespaceURI ?? ''}|${attr.localName ?? attr.name}`;
    if (names.has(expanded)) {
      throw new SamlMalformedError(`<${el.nodeName}> has two attributes named ${expanded}`);
    }
    names.add(expanded);
    if (attr.name === 'xmlns') {
      if (attr.value === NS.xml || attr.value === NS.xmlns) {
        throw new SamlMalformedError(
          `<${el.nodeName}> binds the default namespace to ${attr.value}`,
        );
      }
    } else if (attr.prefix === 'xmlns') {
      const prefix = attr.localName;
      if (prefix === 'xmlns' || (prefix === 'xml') !== (attr.value === NS.xml)) {
        throw new SamlMalformedError(`<${el.nodeName}> redefines a reserved namespace prefix`);
      }
      if (attr.value === '' || attr.value === NS.xmlns) {
        throw new SamlMalformedError(
          `<${el.nodeName}> declares prefix ${prefix} as ${attr.value || 'empty'}`,
        );
      }
    } else if (attr.prefix && !attr.namespaceURI) {
      throw new SamlMalformedError(`attribute ${attr.name} uses an undeclared prefix`);
    }
  }
};

/** XML's S production: space, tab, CR, LF. */
export const isXmlWhitespace = (s: string): boolean => /^[ \t\r\n]*$/.test(s);
