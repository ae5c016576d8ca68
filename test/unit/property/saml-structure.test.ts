/**
 * Properties of the closed structure checks (shared/saml/structure.ts) and of the verifier around
 * them, over random mutations of validly signed responses: an attacker holding a signed response
 * duplicates, moves, renames, wraps and re-IDs its elements (and forges copies of the assertion,
 * XSW-style). Whatever the mutations, the outcome is a refusal with a `saml_*` GatewayError, or
 * acceptance with exactly the identity the IdP signed: never another one.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  buildUpstreamResponse,
  signUpstreamResponse,
} from '../../../infra/local/upstream/saml-response.js';
import { createSamlVerifier, type VerifiedAssertion } from '../../../shared/saml/index.js';
import { parseStrictXml, RESPONSE_LIMITS } from '../../../shared/saml/parse-xml.js';
import { checkResponseStructure } from '../../../shared/saml/structure.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { samlIdpConfigFor } from '../../support/saml/fedgate-verify.js';
import { IDP_ENTITY_ID, SAML_SP } from '../../support/saml/make-saml-fixtures.js';
import { forgeAssertion, NS, parseXml, serializeXml } from '../../support/saml/xml-edit.js';
import { fcOptions, outcomeOf } from './outcome.js';

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

const NOW = 1_795_338_000; // 2026-11-22T09:00:00Z
const key = await createTestKeyPair('fedgate property IdP');
const env = { now: NOW, idp: key, rollover: key, attacker: key, otherIdp: key };

const unsigned = buildUpstreamResponse({
  issuer: IDP_ENTITY_ID,
  audience: SAML_SP.entityId,
  acsUrl: SAML_SP.acsUrl,
  nameId: 'jane.doe@corp.example',
  attributes: {
    groups: ['Everyone', 'aws-developers'],
    email: ['jane.doe@corp.example'],
    oktaUserId: ['00u1fedgateJANE'],
  },
  now: NOW,
  lifetimeSeconds: 300,
  sessionIndex: '_session1',
});

/** The three signing shapes fedgate accepts, each with the IdP config it is accepted under. */
const BASES = [
  {
    name: 'assertion signed',
    xml: signUpstreamResponse(unsigned, { ...key, signAssertion: true, signResponse: false }),
    allowUnsignedAssertion: false,
  },
  {
    name: 'response and assertion signed',
    xml: signUpstreamResponse(unsigned, { ...key, signAssertion: true, signResponse: true }),
    allowUnsignedAssertion: false,
  },
  {
    name: 'response signed only (allowed by the IdP config)',
    xml: signUpstreamResponse(unsigned, { ...key, signAssertion: false, signResponse: true }),
    allowUnsignedAssertion: true,
  },
].map((base) => {
  const verifier = createSamlVerifier({
    idp: samlIdpConfigFor(env, { idp: { allowUnsignedAssertion: base.allowUnsignedAssertion } }),
  });
  const verify = (xml: string) =>
    verifier.verify({
      samlResponseB64: Buffer.from(xml, 'utf8').toString('base64'),
      acsUrl: SAML_SP.acsUrl,
      spEntityId: SAML_SP.entityId,
      now: NOW,
    });
  return { ...base, verify, signed: verify(base.xml) };
});

/**
 * What a grant is decided from, and the replay key: everything the verifier returns but which
 * signatures were present and the (unsigned, log-only) Response ID.
 */
const identityOf = ({ signature: _s, responseId: _r, ...identity }: VerifiedAssertion) => identity;

// ------------------------------------------------------------------------------ DOM mutations
const ELEMENT = 1;
const elementsOf = (doc: Document): Element[] =>
  Array.from(doc.getElementsByTagName('*') as unknown as ArrayLike<Element>);
const contains = (ancestor: Node, node: Node | null): boolean => {
  for (let n = node; n; n = n.parentNode) if (n === ancestor) return true;
  return false;
};
const childElements = (el: Element): Element[] => {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling)
    if (c.nodeType === ELEMENT) out.push(c as Element);
  return out;
};
/** Inserts `node` as the `index`-th child element of `parent` (modulo, so any nat works). */
const insertAt = (parent: Element, node: Node, index: number) => {
  const kids = childElements(parent);
  parent.insertBefore(node, kids.length === 0 ? null : (kids[index % (kids.length + 1)] ?? null));
};

/** Names an attacker renames to: the SAML/XMLDSig vocabulary, in and out of its namespaces. */
const RENAMES: readonly [string, string][] = [
  [NS.assertion, 'saml2:Assertion'],
  [NS.assertion, 'saml2:Advice'],
  [NS.assertion, 'saml2:NameID'],
  [NS.assertion, 'saml2:Subject'],
  [NS.assertion, 'saml2:AttributeValue'],
  [NS.assertion, 'saml2:EncryptedAssertion'],
  [NS.protocol, 'saml2p:Response'],
  [NS.protocol, 'saml2p:Extensions'],
  [NS.protocol, 'saml2p:StatusDetail'],
  [NS.protocol, 'saml2p:Assertion'],
  [NS.dsig, 'ds:Object'],
  [NS.dsig, 'ds:Signature'],
  [NS.dsig, 'ds:Assertion'],
  ['urn:oasis:names:tc:SAML:1.0:assertion', 'saml1:Assertion'],
  ['urn:evil', 'e:Assertion'],
];
const ID_NAMES = ['ID', 'Id', 'id'] as const;

const mutation = fc.record({
  op: fc.constantFrom(
    'duplicate',
    'move',
    'rename',
    'setId',
    'copyId',
    'removeAttribute',
    'remove',
    'wrap',
    'swap',
    'forgeCopy',
    'editText',
  ),
  a: fc.nat(),
  b: fc.nat(),
  c: fc.nat(),
  text: fc.constantFrom('admin@corp.example', 'jane.doe@corp.example ', '', 'aws-admins', '_evil'),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Applies one mutation; returns a label of what it did (for fast-check's report and stats). */
const applyMutation = (doc: Document, m: Mutation): string => {
  const els = elementsOf(doc);
  const root = doc.documentElement as Element;
  const target = els[m.a % els.length] as Element;
  const other = els[m.b % els.length] as Element;
  const nonRoot = target === root ? undefined : target;
  switch (m.op) {
    case 'duplicate': {
      const copy = target.cloneNode(true);
      // Into `other`, unless that is inside the original: then next to it (a root copy: inside).
      if (!contains(target, other)) insertAt(other, copy, m.c);
      else insertAt(nonRoot ? (target.parentNode as Element) : root, copy, m.c);
      return `duplicate ${target.localName}`;
    }
    case 'move': {
      if (!nonRoot || contains(nonRoot, other)) return 'noop';
      nonRoot.parentNode?.removeChild(nonRoot);
      insertAt(other, nonRoot, m.c);
      return `move ${target.localName} into ${other.localName}`;
    }
    case 'rename': {
      if (!nonRoot) return 'noop';
      const [ns, qname] = RENAMES[m.b % RENAMES.length] as [string, string];
      const renamed = doc.createElementNS(ns, qname);
      for (const attr of Array.from(target.attributes as unknown as ArrayLike<Attr>)) {
        if (attr.namespaceURI) renamed.setAttributeNS(attr.namespaceURI, attr.name, attr.value);
        else renamed.setAttribute(attr.name, attr.value);
      }
      while (target.firstChild) renamed.appendChild(target.firstChild);
      target.parentNode?.replaceChild(renamed, target);
      return `rename ${target.localName} to ${qname}`;
    }
    case 'setId': {
      const name = ID_NAMES[m.b % ID_NAMES.length] as string;
      target.setAttribute(name, m.c % 2 === 0 ? `_${m.c.toString(16)}` : m.text || '_x');
      return `set ${name} on ${target.localName}`;
    }
    case 'copyId': {
      const source = els.find((e) => e.getAttribute('ID')) ?? root;
      const name = ID_NAMES[m.c % ID_NAMES.length] as string;
      target.setAttribute(name, source.getAttribute('ID') ?? '_x');
      return `copy ${source.localName}'s ID to ${name} on ${target.localName}`;
    }
    case 'removeAttribute': {
      const attrs = Array.from(target.attributes as unknown as ArrayLike<Attr>).filter(
        (a) => a.prefix !== 'xmlns' && a.name !== 'xmlns',
      );
      const attr = attrs[m.b % Math.max(attrs.length, 1)];
      if (!attr) return 'noop';
      target.removeAttributeNode(attr);
      return `remove @${attr.name} of ${target.localName}`;
    }
    case 'remove': {
      if (!nonRoot) return 'noop';
      nonRoot.parentNode?.removeChild(nonRoot);
      return `remove ${target.localName}`;
    }
    case 'wrap': {
      if (!nonRoot) return 'noop';
      const [ns, qname] = RENAMES[m.b % RENAMES.length] as [string, string];
      const wrapper = doc.createElementNS(ns, qname);
      nonRoot.parentNode?.replaceChild(wrapper, nonRoot);
      wrapper.appendChild(nonRoot);
      return `wrap ${target.localName} in ${qname}`;
    }
    case 'swap': {
      const parent = target.parentNode as Element | null;
      if (!nonRoot || !parent || parent.nodeType !== ELEMENT) return 'noop';
      const siblings = childElements(parent);
      const sibling = siblings[m.b % siblings.length] as Element;
      if (sibling === nonRoot) return 'noop';
      const marker = doc.createTextNode('');
      parent.replaceChild(marker, nonRoot);
      parent.replaceChild(nonRoot, sibling);
      parent.replaceChild(sibling, marker);
      return `swap ${target.localName} and ${sibling.localName}`;
    }
    case 'forgeCopy': {
      const assertion = els.find(
        (e) => e.namespaceURI === NS.assertion && e.localName === 'Assertion',
      );
      if (!assertion) return 'noop';
      let forged: Element;
      try {
        forged = forgeAssertion(assertion, {
          id: m.c % 2 === 0 ? '_evil' : (assertion.getAttribute('ID') ?? '_evil'),
          nameId: m.text || 'admin@corp.example',
        });
      } catch {
        return 'noop'; // an earlier mutation removed the NameID (or moved it into the Signature)
      }
      if (contains(forged, other)) return 'noop';
      insertAt(other, forged, m.c);
      return `forged assertion into ${other.localName}`;
    }
    case 'editText': {
      const texts = els.filter(
        (e) =>
          (e.localName === 'NameID' ||
            e.localName === 'AttributeValue' ||
            e.localName === 'Issuer' ||
            e.localName === 'Audience') &&
          childElements(e).length === 0,
      );
      const el = texts[m.b % Math.max(texts.length, 1)];
      if (!el) return 'noop';
      while (el.firstChild) el.removeChild(el.firstChild);
      el.appendChild(doc.createTextNode(m.text));
      return `set text of ${el.localName}`;
    }
  }
};

const mutate = (xml: string, mutations: readonly Mutation[]): { xml: string; did: string[] } => {
  const doc = parseXml(xml);
  const did = mutations.map((m) => applyMutation(doc, m));
  return { xml: serializeXml(doc), did };
};

const baseIndex = fc.nat({ max: BASES.length - 1 });
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

describe('the positive control', () => {
  it.each(BASES.map((b) => [b.name, b] as const))('%s verifies unmutated', (_, base) => {
    expect(base.signed.nameId).toBe('jane.doe@corp.example');
    expect(identityOf(base.verify(base.xml))).toEqual(identityOf(base.signed));
  });
});

describe('mutations of a signed response', () => {
  it('are refused with a saml_* GatewayError, or accepted with the signed identity', () => {
    fc.assert(
      fc.property(baseIndex, mutations, (i, ms) => {
        const base = BASES[i] as (typeof BASES)[number];
        const { xml } = mutate(base.xml, ms);
        const outcome = outcomeOf(() => base.verify(xml));
        if (outcome.ok) {
          // Accepted: only harmless edits (KeyInfo, the Response ID when unsigned, …) survive.
          expect(identityOf(outcome.value)).toEqual(identityOf(base.signed));
        } else {
          expect(outcome.error.code).toMatch(/^saml_[a-z_]+$/);
          expect(outcome.error.expose).toBe(true);
          expect([400, 403]).toContain(outcome.error.status);
        }
      }),
      fcOptions(1000),
    );
  });

  it('that checkResponseStructure accepts keep the closed shape: nothing hides anywhere', () => {
    fc.assert(
      fc.property(baseIndex, mutations, (i, ms) => {
        const { xml } = mutate((BASES[i] as (typeof BASES)[number]).xml, ms);
        const parsed = outcomeOf(() => parseStrictXml(xml, RESPONSE_LIMITS));
        if (!parsed.ok) {
          expect(['saml_malformed', 'saml_forbidden_construct']).toContain(parsed.error.code);
          return;
        }
        const checked = outcomeOf(() => checkResponseStructure(parsed.value.root));
        if (!checked.ok) {
          expect(['saml_structure_invalid', 'saml_attribute_invalid']).toContain(
            checked.error.code,
          );
          return;
        }
        const { root, elements } = parsed.value;
        const ids = checked.value;
        for (const el of elements) {
          const parent = el.parentNode as Element;
          // Only the four namespaces of the one accepted shape.
          expect([
            NS.protocol,
            NS.assertion,
            NS.dsig,
            'http://www.w3.org/2001/10/xml-exc-c14n#',
          ]).toContain(el.namespaceURI);
          // An Assertion is only ever a child of the Response; a Signature only of the Response
          // or an Assertion (no XSW hiding place: Extensions, Advice, Object, KeyInfo, …).
          if (el.localName === 'Assertion') expect(parent).toBe(root);
          if (el.localName === 'Signature' && el.namespaceURI === NS.dsig) {
            expect(parent === root || parent.localName === 'Assertion').toBe(true);
          }
          // Every ID-like attribute is the schema's ID attribute, and in the returned map.
          for (const name of ID_NAMES) {
            const value = el.getAttribute(name);
            if (!el.hasAttribute(name)) continue;
            expect(name).toBe(el.namespaceURI === NS.dsig ? 'Id' : 'ID');
            expect(ids.get(value as string)).toBe(el);
          }
        }
        // IDs are unique: the map has one entry per ID-bearing element.
        const idBearing = elements.filter((e) => e.hasAttribute('ID') || e.hasAttribute('Id'));
        expect(ids.size).toBe(idBearing.length);
      }),
      fcOptions(1000),
    );
  });

  it('XSW: a forged, unsigned assertion placed anywhere never yields its identity', () => {
    fc.assert(
      fc.property(
        baseIndex,
        fc.record({ a: fc.nat(), b: fc.nat(), c: fc.nat() }),
        fc.array(mutation, { maxLength: 2 }),
        (i, where, extra) => {
          const base = BASES[i] as (typeof BASES)[number];
          const forge: Mutation = { op: 'forgeCopy', text: 'admin@corp.example', ...where };
          const { xml } = mutate(base.xml, [forge, ...extra]);
          const outcome = outcomeOf(() => base.verify(xml));
          if (outcome.ok) expect(outcome.value.nameId).toBe('jane.doe@corp.example');
          else expect(outcome.error.code).toMatch(/^saml_[a-z_]+$/);
        },
      ),
      fcOptions(600),
    );
  });
});
