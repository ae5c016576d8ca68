import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  escapeXmlAttribute,
  escapeXmlText,
  IllegalXmlCharacterError,
  isXmlSafe,
} from '../../../shared/xml/index.js';

const INJECTION = `</saml:AttributeValue><saml:AttributeValue>arn:aws:iam::999999999999:role/Evil]]>"'&amp;`;

/** What an XML parser reads back from a value placed as text and as an attribute. */
const roundTrip = (value: string) => {
  const doc = new DOMParser().parseFromString(
    `<r a="${escapeXmlAttribute(value)}" b='${escapeXmlAttribute(value)}'>${escapeXmlText(value)}</r>`,
    'text/xml',
  );
  const r = doc.documentElement as Element;
  return {
    text: r.textContent,
    doubleQuoted: r.getAttribute('a'),
    singleQuoted: r.getAttribute('b'),
    children: r.childNodes.length,
  };
};

describe('escapeXmlText / escapeXmlAttribute', () => {
  it.each([
    ['markup that closes the element', INJECTION],
    ['a CDATA end', ']]>'],
    ['quotes', `"'"'`],
    ['an entity reference', '&lt;&#0;&amp;'],
    ['whitespace an attribute would normalize', 'a\tb\nc\r\nd'],
    ['Unicode separators and letters from the tag charset', 'a\u00a0b\u2028c\u2029\u3000d 𝒜 中'],
    ['NEL, which XML 1.1 and xmldom would turn into LF', 'a\u0085b\r\u0085c'],
  ])('%s comes back literally, as one text node', (_, value) => {
    expect(roundTrip(value)).toEqual({
      text: value,
      doubleQuoted: value,
      singleQuoted: value,
      children: 1,
    });
  });

  it('escapes every markup character', () => {
    expect(escapeXmlText(`<a>&"'\r\u2028\u0085`)).toBe(`&lt;a&gt;&amp;"'&#13;&#8232;&#133;`);
    expect(escapeXmlAttribute(`<a>&"'\t\n\r`)).toBe('&lt;a&gt;&amp;&quot;&apos;&#9;&#10;&#13;');
  });

  it.each([
    ['NUL', 'a\u0000b', 0x0],
    ['a C0 control', 'a\u001fb', 0x1f],
    ['a lone high surrogate', 'a\ud800b', 0xd800],
    ['a lone low surrogate', 'a\udc00', 0xdc00],
    ['U+FFFE', '\ufffe', 0xfffe],
    ['U+FFFF', 'x\uffff', 0xffff],
  ])('refuses %s (not an XML 1.0 Char)', (_, value, codePoint) => {
    expect(isXmlSafe(value)).toBe(false);
    for (const escapeValue of [escapeXmlText, escapeXmlAttribute]) {
      expect(() => escapeValue(value)).toThrow(IllegalXmlCharacterError);
      expect(() => escapeValue(value)).toThrow(expect.objectContaining({ codePoint }));
    }
  });

  it('accepts TAB, LF, CR and characters outside the BMP', () => {
    expect(isXmlSafe('\t\n\r 𝒜\ud7ff\ue000\ufffd')).toBe(true);
  });
});
