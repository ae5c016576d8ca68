import { describe, expect, it } from 'vitest';
import {
  decodeSamlResponse,
  parseStrictXml,
  RESPONSE_LIMITS,
  scanRawXml,
} from '../../../shared/saml/parse-xml.js';

const code = (code: string) => expect.objectContaining({ code });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const X = 'xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol"';

describe('decodeSamlResponse', () => {
  it('decodes canonical base64 of UTF-8, with CR/LF allowed and a UTF-8 BOM dropped', () => {
    expect(decodeSamlResponse(b64('<a/>'))).toBe('<a/>');
    expect(
      decodeSamlResponse(`${b64('<a>é</a>').slice(0, 4)}\r\n${b64('<a>é</a>').slice(4)}`),
    ).toBe('<a>é</a>');
    expect(
      decodeSamlResponse(
        Buffer.from([0xef, 0xbb, 0xbf, 0x3c, 0x61, 0x2f, 0x3e]).toString('base64'),
      ),
    ).toBe('<a/>');
  });

  it.each([
    ['empty', ''],
    ['a tab', `${b64('<a/>')}\t`],
    ['a space', `${b64('<a/>')} `],
    ['missing padding', b64('<a/>x').replace(/=+$/, '')],
    ['padding in the middle', `${b64('<a')}${b64('/>')}`],
    ['too long', 'A'.repeat(256 * 1024 + 4)],
    ['a UTF-32 BOM', Buffer.from([0, 0, 0xfe, 0xff]).toString('base64')],
    ['a UTF-16BE BOM', Buffer.from([0xfe, 0xff, 0, 0x3c]).toString('base64')],
    ['an overlong UTF-8 sequence', Buffer.from([0x3c, 0xc0, 0xbc, 0x3e]).toString('base64')],
  ])('refuses %s', (_, value) => {
    expect(() => decodeSamlResponse(value)).toThrow(code('saml_malformed'));
  });
});

describe('scanRawXml', () => {
  const scan = (xml: string) => scanRawXml(xml, RESPONSE_LIMITS);

  it('accepts declarations, CDATA and quoted markup characters', () => {
    expect(() =>
      scan(
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?><a x="a>b/>"><![CDATA[<!DOCTYPE <b>]]></a>',
      ),
    ).not.toThrow();
    expect(() => scan("<?xml version='1.0'?><a/>")).not.toThrow();
    expect(() => scan('<a>&amp;&lt;&#65;&#x41;&quot;</a>')).not.toThrow();
  });

  it.each([
    ['XML 1.1', '<?xml version="1.1"?><a/>', 'saml_malformed'],
    ['ISO-8859-1', '<?xml version="1.0" encoding="ISO-8859-1"?><a/>', 'saml_malformed'],
    ['leading whitespace', ' <a/>', 'saml_malformed'],
    ['an unterminated comment', '<a><!-- x</a>', 'saml_forbidden_construct'],
    ['an unterminated CDATA section', '<a><![CDATA[x</a>', 'saml_malformed'],
    ['an unterminated start tag', '<a x="1"', 'saml_malformed'],
    ['an extra end tag', '<a/></a>', 'saml_malformed'],
    ['no element', '<?xml version="1.0"?>', 'saml_malformed'],
    ['an ENTITY declaration', '<a><!ENTITY x "y"></a>', 'saml_forbidden_construct'],
    ['a DEL character', '<a>\u007f</a>', 'saml_malformed'],
    ['U+FFFE', '<a>\ufffe</a>', 'saml_malformed'],
    ['a bare ampersand', '<a>a & b</a>', 'saml_malformed'],
    ['"<" in an attribute value', '<a b="<"/>', 'saml_malformed'],
    ['a mismatched end tag', '<a><b></a></b>', 'saml_malformed'],
  ])('refuses %s', (_, xml, expected) => {
    expect(() => scan(xml)).toThrow(code(expected));
  });

  it.each([
    ['a quote left open to the end', '<a x="1>', /unterminated start tag at offset 0/],
    ['a single quote left open to the end', "<r><a x='1>", /unterminated start tag at offset 3/],
    ['no ">" after the attributes', '<r><a x="1" y=\'2\'', /unterminated start tag at offset 3/],
    [
      '"<" before the closing quote',
      '<r><a x="a<b"/></r>',
      /"<" in an attribute value at offset 10/,
    ],
    ['"<" in a quote never closed', "<a x='ab<c>", /"<" in an attribute value at offset 8/],
  ])('pins the start tag scan: %s', (_, xml, message) => {
    expect(() => scan(xml)).toThrow(message);
  });

  it('reads ">" and "/" inside quotes as text, in either quote style', () => {
    expect(() => scan(`<a x='>"/>' y=">'/"><b z=""/></a>`)).not.toThrow();
    expect(() => scan('<a x=">"><b/></a>')).not.toThrow();
  });

  it('counts depth and elements', () => {
    const deep = (n: number) => `${'<a>'.repeat(n)}${'</a>'.repeat(n)}`;
    expect(() => scan(deep(32))).not.toThrow();
    expect(() => scan(deep(33))).toThrow(code('saml_malformed'));
    expect(() => scan(`<a>${'<b/>'.repeat(4999)}</a>`)).not.toThrow();
    expect(() => scan(`<a>${'<b/>'.repeat(5000)}</a>`)).toThrow(code('saml_malformed'));
  });
});

describe('parseStrictXml', () => {
  const parse = (xml: string, allowComments = false) =>
    parseStrictXml(xml, { ...RESPONSE_LIMITS, allowComments });

  it('returns the root and every element in document order', () => {
    const { root, elements } = parse(`<p:a ${X}><p:b><p:c/></p:b><p:d/></p:a>`);
    expect(root.localName).toBe('a');
    expect(elements.map((e) => e.localName)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('allows comments only when asked', () => {
    expect(() => parse(`<p:a ${X}><!-- x --></p:a>`, true)).not.toThrow();
    expect(() => parse(`<p:a ${X}><!-- x --></p:a>`)).toThrow(code('saml_forbidden_construct'));
  });

  it.each([
    ['text after the root', `<p:a ${X}/>junk`],
    ['an element in no namespace', '<a/>'],
    ['an undeclared attribute prefix', `<p:a ${X} q:x="1"/>`],
    ['a prefix undeclared to ""', `<p:a ${X}><p:b xmlns:p=""/></p:a>`],
    [
      'the default namespace bound to the xml namespace',
      `<p:a ${X} xmlns="http://www.w3.org/XML/1998/namespace"/>`,
    ],
    ['the xmlns prefix declared', `<p:a ${X} xmlns:xmlns="urn:x"/>`],
    [
      'a prefix bound to the xmlns namespace',
      `<p:a ${X} xmlns:q="http://www.w3.org/2000/xmlns/"/>`,
    ],
    ['a duplicate attribute', `<p:a ${X} b="1" b="2"/>`],
    ['an undefined entity', `<p:a ${X}>&x;</p:a>`],
    [
      'one attribute twice through two prefixes',
      `<p:a ${X} xmlns:q="urn:q" xmlns:r="urn:q" q:x="1" r:x="2"/>`,
    ],
  ])('refuses %s', (_, xml) => {
    expect(() => parse(xml)).toThrow(code('saml_malformed'));
  });
});
