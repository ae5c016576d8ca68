/**
 * Properties of the SAML pre-parse guard and the one parse (shared/saml/parse-xml.ts), over
 * generated strings, bytes, base64 and XML-shaped token soup: nothing but a GatewayError with a
 * stable code ever comes out, and a DOCTYPE, entity/markup declaration, processing instruction or
 * comment inserted anywhere into a valid signed response is always refused.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  buildUpstreamResponse,
  signUpstreamResponse,
} from '../../../infra/local/upstream/saml-response.js';
import { GatewayError } from '../../../shared/http/errors.js';
import { createSamlVerifier, MAX_XML_BYTES } from '../../../shared/saml/index.js';
import {
  decodeSamlResponse,
  parseStrictXml,
  RESPONSE_LIMITS,
} from '../../../shared/saml/parse-xml.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { samlIdpConfigFor } from '../../support/saml/fedgate-verify.js';
import { IDP_ENTITY_ID, SAML_SP } from '../../support/saml/make-saml-fixtures.js';
import { parseXml } from '../../support/saml/xml-edit.js';
import { fcOptions, outcomeOf, refusedWith } from './outcome.js';

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

const PARSE_CODES = ['saml_malformed', 'saml_forbidden_construct'] as const;
const NOW = 1_795_338_000; // 2026-11-22T09:00:00Z

const key = await createTestKeyPair('fedgate property IdP');
const validXml = signUpstreamResponse(
  buildUpstreamResponse({
    issuer: IDP_ENTITY_ID,
    audience: SAML_SP.entityId,
    acsUrl: SAML_SP.acsUrl,
    nameId: 'jane.doe@corp.example',
    attributes: { groups: ['aws-developers', 'Everyone'], email: ['jane.doe@corp.example'] },
    now: NOW,
    lifetimeSeconds: 300,
  }),
  { ...key, signAssertion: true, signResponse: true },
);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const env = { now: NOW, idp: key, rollover: key, attacker: key, otherIdp: key };
const verifier = createSamlVerifier({ idp: samlIdpConfigFor(env) });
const verify = (samlResponseB64: string) =>
  verifier.verify({
    samlResponseB64,
    acsUrl: SAML_SP.acsUrl,
    spEntityId: SAML_SP.entityId,
    now: NOW,
  });

/** Splits base64 with CR/LF every `width` characters, as some IdPs and proxies post it. */
const wrap = (s: string, width: number, eol: string) =>
  s.replace(new RegExp(`(.{${width}})`, 'g'), `$1${eol}`);

describe('the positive control', () => {
  it('the generated response verifies, so every refusal below is the mutation’s doing', () => {
    expect(verify(b64(validXml)).nameId).toBe('jane.doe@corp.example');
    expect(verify(wrap(b64(validXml), 76, '\r\n')).nameId).toBe('jane.doe@corp.example');
  });
});

describe('decodeSamlResponse', () => {
  it('arbitrary strings: decoded or refused with saml_malformed, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: 'binary-ascii', maxLength: 200 }),
          fc.base64String({ maxLength: 200 }),
        ),
        (s) => {
          refusedWith(['saml_malformed'], () => decodeSamlResponse(s));
        },
      ),
      fcOptions(3000),
    );
  });

  it('base64 of arbitrary bytes: the exact UTF-8 text (BOM dropped) or saml_malformed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(0, 4, 64, 76),
        fc.constantFrom('\n', '\r\n', '\r'),
        (bytes, width, eol) => {
          const encoded = Buffer.from(bytes).toString('base64');
          const posted = width === 0 ? encoded : wrap(encoded, width, eol);
          const outcome = outcomeOf(() => decodeSamlResponse(posted));
          if (!outcome.ok) {
            expect(outcome.error.code).toBe('saml_malformed');
            return;
          }
          // Accepted: the text is the bytes, as UTF-8, without a leading UTF-8 BOM. No other
          // decoding (UTF-16, lenient replacement characters) ever happens.
          const body =
            bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
          expect(Buffer.from(outcome.value, 'utf8').equals(Buffer.from(body))).toBe(true);
        },
      ),
      fcOptions(3000),
    );
  });

  it('non-canonical base64 (other pad bits, missing or extra padding) is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), (bytes) => {
        const canonical = Buffer.from(bytes).toString('base64');
        const variants = [canonical.replace(/=+$/, ''), `${canonical}=`, `${canonical}====`];
        if (canonical.endsWith('=')) {
          // Flip a pad bit in the last data character: Buffer decodes it to the same bytes.
          const i = canonical.replace(/=+$/, '').length - 1;
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
          const flipped = alphabet[alphabet.indexOf(canonical.charAt(i)) ^ 1] as string;
          variants.push(canonical.slice(0, i) + flipped + canonical.slice(i + 1));
        }
        for (const v of variants) {
          if (v === canonical) continue;
          expect(() => decodeSamlResponse(v)).toThrow(
            expect.objectContaining({ code: 'saml_malformed' }),
          );
        }
      }),
      fcOptions(2000),
    );
  });
});

// XML-shaped token soup: enough real markup that many documents reach xmldom and the DOM walk.
const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const token = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      `<p:Response xmlns:p="${P}">`,
      '</p:Response>',
      `<p:Status xmlns:p="${P}" ID="_x">`,
      '</p:Status>',
      '<p:a>',
      '</p:a>',
      '<p:b/>',
      '<a>',
      '</a>',
      '<b x="1" x="2"/>',
      '<q:x xmlns:q="">',
      '<r:y xmlns:r="urn:r" r:z="1" xmlns:s="urn:r" s:z="2"/>',
      'xmlns="http://www.w3.org/XML/1998/namespace"',
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.1"?>',
      "<?xml version='1.0' encoding='ISO-8859-1'?>",
      '<!-- c -->',
      '<![CDATA[ <x> ]]>',
      ']]>',
      '<!DOCTYPE r>',
      '<!ENTITY e "x">',
      '<?pi data?>',
      '&amp;',
      '&lt;',
      '&e;',
      '&#0;',
      '&#65;',
      '&#x1F600;',
      '&#xD800;',
      '&#1114112;',
      '&#x110000;',
      '&#9999999;',
      '&',
      '<',
      '>',
      '"',
      "'",
      '=',
      '/',
      ' ',
      '\r\n',
      '\t',
      '\u0000',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\ufffe',
      '\ud800',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
// …and well-nested documents with hostile text, attributes and names, a few tokens spliced in.
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const text = fc.oneof(
  fc.constantFrom(
    'x',
    ' ',
    '&amp;&lt;&gt;&quot;&apos;',
    '&#0;',
    '&#x1;',
    '&#xD800;',
    '&#xDFFF;',
    '&#xFFFE;',
    '&#x110000;',
    '&#1114111;',
    '&#x202E;',
    ']]>',
    '<![CDATA[<a:Assertion/>]]>',
    '<!-- c -->',
    '<?pi x?>',
    '<!DOCTYPE d>',
    '&e;',
  ),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const attribute = fc
  .tuple(
    fc.constantFrom('ID', 'Id', 'id', 'p:ID', 'xml:lang', 'xml:id', 'xmlns:q', 'xmlns', 'q:x', 'x'),
    fc.oneof(
      fc.constantFrom('_a', '1', '', P, 'http://www.w3.org/XML/1998/namespace', '&#60;', '&lt;'),
      text,
    ),
  )
  .map(([n, v]) => ` ${n}="${v.replaceAll('"', '&quot;')}"`);
const { element } = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, text, tie('element')),
  element: fc
    .record({
      name: fc.constantFrom(
        'p:Response',
        'p:Status',
        'a:Assertion',
        'ds:Signature',
        'p:x',
        'q:y',
        'z',
      ),
      attrs: fc.array(attribute, { maxLength: 3 }),
      children: fc.array(tie('node'), { maxLength: 4 }),
      empty: fc.boolean(),
    })
    .map(({ name, attrs, children, empty }) =>
      empty && children.length === 0
        ? `<${name}${attrs.join('')}/>`
        : `<${name}${attrs.join('')}>${(children as string[]).join('')}</${name}>`,
    ),
}));
const namespaced = fc
  .tuple(fc.boolean(), element)
  .map(
    ([decl, root]) =>
      (decl ? '<?xml version="1.0" encoding="UTF-8"?>' : '') +
      root.replace(/^<([^ />]+)/, `<$1 xmlns:p="${P}" xmlns:a="${A}" xmlns:ds="${DS}"`),
  );
const spliced = fc
  .tuple(namespaced, fc.array(fc.tuple(fc.nat(), token), { maxLength: 2 }))
  .map(([doc, edits]) =>
    edits.reduce((s, [at, t]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + t + s.slice(i);
    }, doc),
  );
const soup = fc.oneof(
  fc.array(token, { maxLength: 40 }).map((ts) => ts.join('')),
  namespaced,
  spliced,
);

describe('parseStrictXml', () => {
  it('arbitrary strings: parsed or refused with a parse code, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        refusedWith(PARSE_CODES, () => parseStrictXml(s, RESPONSE_LIMITS));
      }),
      fcOptions(3000),
    );
  });

  it('XML-shaped token soup: parsed or refused with a parse code, never anything else', () => {
    fc.assert(
      fc.property(soup, (xml) => {
        const outcome = outcomeOf(() => parseStrictXml(xml, RESPONSE_LIMITS));
        if (!outcome.ok) {
          expect(PARSE_CODES).toContain(outcome.error.code);
          return;
        }
        // Accepted: one root, every element namespaced, within the limits.
        const { root, elements } = outcome.value;
        expect(elements[0]).toBe(root);
        expect(elements.length).toBeLessThanOrEqual(RESPONSE_LIMITS.maxElements);
        for (const el of elements) expect(el.namespaceURI).toBeTruthy();
        // …and no markup declaration, PI or comment got through in any spelling.
        expect(xml).not.toMatch(/<!(?!\[CDATA\[)/);
        expect(xml.replace(/^<\?xml[ \t\r\n][^>]*\?>/, '')).not.toMatch(/<\?/);
      }),
      fcOptions(2500),
    );
  });

  it('deep nesting and many elements are bounded, whatever their shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 4960, max: 5040 })),
        fc.boolean(),
        (depth, siblings, selfClosing) => {
          const open = `<p:a xmlns:p="${P}">`.repeat(depth);
          const close = '</p:a>'.repeat(depth);
          const inner = selfClosing ? '<p:b/>'.repeat(siblings) : '<p:b></p:b>'.repeat(siblings);
          const xml = `${open}${inner}${close}`;
          const outcome = outcomeOf(() => parseStrictXml(xml, RESPONSE_LIMITS));
          const tooDeep = depth + (siblings > 0 ? 1 : 0) > RESPONSE_LIMITS.maxDepth;
          const tooMany = depth + siblings > RESPONSE_LIMITS.maxElements;
          expect(outcome.ok).toBe(!tooDeep && !tooMany);
          if (!outcome.ok) expect(outcome.error.code).toBe('saml_malformed');
        },
      ),
      fcOptions(120),
    );
  });
});

// What an attacker inserts: every spelling of a markup declaration, entity and PI.
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
const forbidden = fc.oneof(
  fc
    .tuple(fc.constantFrom('DOCTYPE', 'doctype', 'DocType', 'DOCTYPE\n'), name, fc.boolean())
    .map(([kw, n, subset]) => `<!${kw} ${n}${subset ? ` [<!ENTITY ${n} "x">]` : ''}>`),
  fc
    .tuple(
      fc.constantFrom('ENTITY', 'ENTITY %', 'entity'),
      name,
      fc.constantFrom(
        '"x"',
        'SYSTEM "file:///etc/passwd"',
        'SYSTEM "https://evil.example/x.dtd"',
        'PUBLIC "-//x//EN" "http://169.254.169.254/latest/meta-data/"',
        '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"',
      ),
    )
    .map(([kw, n, v]) => `<!${kw} ${n} ${v}>`),
  fc.constantFrom(
    '<!ATTLIST a ID ID #IMPLIED>',
    '<!ELEMENT a ANY>',
    '<!NOTATION n SYSTEM "x">',
    '<![INCLUDE[ x ]]>',
    '<![IGNORE[ x ]]>',
    '<!-- c -->',
    '<!---->',
    '<!-->',
  ),
  fc
    .tuple(fc.constantFrom('xml-stylesheet', 'php', 'x', 'xml ', 'XML', 'xmL', 'xml'), name)
    .map(([target, data]) => `<?${target} ${data}?>`),
  fc.constant('<?xml version="1.0" encoding="UTF-8"?>'),
);

/** Offsets between two pieces of markup (and both ends): where a construct is markup, not text. */
const boundaries = [0, ...[...validXml.matchAll(/>/g)].map((m) => (m.index as number) + 1)];

describe('forbidden constructs inserted into a valid signed response', () => {
  it('anywhere: always refused (by the parse step, with a parse code)', () => {
    fc.assert(
      fc.property(fc.nat({ max: validXml.length }), forbidden, (at, construct) => {
        const xml = validXml.slice(0, at) + construct + validXml.slice(at);
        const err = refusedWith(PARSE_CODES, () => parseStrictXml(xml, RESPONSE_LIMITS));
        expect(err).toBeDefined();
      }),
      fcOptions(2000),
    );
  });

  it('between markup: always saml_forbidden_construct, also through the whole verifier', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...boundaries),
        forbidden,
        fc.boolean(),
        fc.boolean(),
        (at, construct, bom, wrapped) => {
          const xml = validXml.slice(0, at) + construct + validXml.slice(at);
          // Inserted before the XML declaration, a second declaration is just a misplaced one.
          const expected =
            at === 0 && construct.startsWith('<?xml ') ? PARSE_CODES : ['saml_forbidden_construct'];
          const bytes = Buffer.concat([
            Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []),
            Buffer.from(xml, 'utf8'),
          ]);
          const posted = wrapped
            ? wrap(bytes.toString('base64'), 76, '\r\n')
            : bytes.toString('base64');
          const err = refusedWith(expected, () => verify(posted));
          expect(err).toBeDefined();
        },
      ),
      fcOptions(2000),
    );
  });

  it('a response padded past the size cap is refused before parsing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), (extra) => {
        const pad = ' '.repeat(MAX_XML_BYTES - Buffer.byteLength(validXml) + extra);
        const xml = validXml.replace('<saml2p:Status>', `${pad}<saml2p:Status>`);
        expect(() => verify(b64(xml))).toThrow(expect.objectContaining({ code: 'saml_malformed' }));
      }),
      fcOptions(20),
    );
  });
});

describe('the whole verifier on hostile form values', () => {
  it('arbitrary strings and base64 of token soup: only saml_* GatewayErrors', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          soup.map(b64),
          soup.map((s) => b64(`<?xml version="1.0"?>${s}`)),
        ),
        (posted) => {
          const outcome = outcomeOf(() => verify(posted));
          // Nothing generated here carries the IdP's signature: acceptance would be a bug.
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) expect(outcome.error.code).toMatch(/^saml_[a-z_]+$/);
        },
      ),
      fcOptions(3000),
    );
  });
});

// XML 1.0 §2.2 / WFC "Legal Character": a character reference must name a Char. The raw scan
// refuses these characters written out; written as references they reach xmldom, which decodes
// them (U+110000 and above into lone surrogates).
const illegalCodePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).filter((c) => c !== 0x9 && c !== 0xa && c !== 0xd),
  fc.integer({ min: 0xd800, max: 0xdfff }),
  fc.constantFrom(0xfffe, 0xffff),
  fc.integer({ min: 0x110000, max: 0xffffff }),
);
const charRef = (cp: number, hex: boolean) => (hex ? `&#x${cp.toString(16)};` : `&#${cp};`);
/** What xmldom makes of a reference (the string the signer must see for the digest to match). */
const decoded = (ref: string) => parseXml(`<a>${ref}</a>`).documentElement?.textContent ?? '';
const FIELDS = ['NameID', 'AttributeValue', 'SessionIndex', 'AuthnContextClassRef'] as const;

/**
 * An IdP-signed response whose `field` carries `ref`: signed over the decoded character, then the
 * character written back as the reference (the canonical form, hence the digest, is the same).
 */
const signedWithReference = (field: (typeof FIELDS)[number], ref: string): string => {
  const raw = decoded(ref);
  let xml = buildUpstreamResponse({
    issuer: IDP_ENTITY_ID,
    audience: SAML_SP.entityId,
    acsUrl: SAML_SP.acsUrl,
    nameId: 'jane.doe@corp.example',
    attributes: { groups: ['aws-developers'] },
    now: NOW,
    lifetimeSeconds: 300,
    sessionIndex: '_session1',
  });
  const marker = {
    NameID: 'jane.doe@corp.example</',
    AttributeValue: 'aws-developers</',
    SessionIndex: '_session1"',
    AuthnContextClassRef: 'PasswordProtectedTransport</',
  }[field];
  xml = xml.replace(marker, `${marker.slice(0, 4)}${raw}${marker.slice(4)}`);
  const signed = signUpstreamResponse(xml, { ...key, signAssertion: true, signResponse: false });
  expect(signed).toContain(raw);
  return signed.split(raw).join(ref);
};

describe('character references to characters XML forbids', () => {
  // Found by this property (seed 20261202, shrunk to `[1114112, false, false]`): parseStrictXml
  // accepted `&#0;`, `&#xD800;`, `&#xFFFE;`, `&#x110000;`… (xmldom decodes them; XML 1.0's Legal
  // Character WFC makes them not well-formed) while the raw scan refused the same characters
  // written out. Fixed in scanRawXml, which now decodes every character reference.
  it('are refused by the parse step', () => {
    fc.assert(
      fc.property(illegalCodePoint, fc.boolean(), fc.boolean(), (cp, hex, inAttribute) => {
        const ref = charRef(cp, hex);
        const xml = inAttribute
          ? `<p:a xmlns:p="${P}" x="${ref}"/>`
          : `<p:a xmlns:p="${P}">${ref}</p:a>`;
        expect(() => parseStrictXml(xml, RESPONSE_LIMITS)).toThrow(GatewayError);
      }),
      fcOptions(200),
    );
  });

  it('controls, surrogates and out-of-range references are refused by the value checks', () => {
    fc.assert(
      fc.property(
        illegalCodePoint.filter((cp) => cp !== 0xfffe && cp !== 0xffff),
        fc.boolean(),
        fc.constantFrom(...FIELDS),
        (cp, hex, field) => {
          const err = refusedWith(
            ['saml_subject_invalid', 'saml_attribute_invalid', 'saml_malformed'],
            () => verify(b64(signedWithReference(field, charRef(cp, hex)))),
          );
          expect(err).toBeDefined();
        },
      ),
      fcOptions(60),
    );
  });

  // Same cause: U+FFFE/U+FFFF are noncharacters (Cn), which values.ts does not refuse, so through
  // a reference they reached the verified NameID, attribute values, SessionIndex and
  // AuthnContextClassRef (seed 20261202: `[65534, false, "NameID"]`, an IdP-signed NameID
  // `jane&#65534;.doe@corp.example` was accepted; no AWS value was affected).
  it('U+FFFE and U+FFFF references are refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0xfffe, 0xffff),
        fc.boolean(),
        fc.constantFrom(...FIELDS),
        (cp, hex, field) => {
          expect(() => verify(b64(signedWithReference(field, charRef(cp, hex))))).toThrow(
            GatewayError,
          );
        },
      ),
      fcOptions(50),
    );
  });
});
