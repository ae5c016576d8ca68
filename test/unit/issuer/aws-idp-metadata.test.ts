import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildAwsIdpMetadata,
  createLocalSigningKeys,
  type LocalKeyMaterial,
  type PublishedKey,
} from '../../../shared/issuer/index.js';
import { ISSUER, testKeyMaterials } from '../../support/issuer/fixtures.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

let active: LocalKeyMaterial;
let next: LocalKeyMaterial;
let published: readonly PublishedKey[];
beforeAll(async () => {
  [active, next] = await testKeyMaterials();
  published = await createLocalSigningKeys({ keys: [active, next] }).published();
});

const der = (m: LocalKeyMaterial) => new X509Certificate(m.certificatePem).raw.toString('base64');

const read = (xml: string) => {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const entity = doc.documentElement as Element;
  const idp = entity.getElementsByTagNameNS(MD, 'IDPSSODescriptor');
  const descriptor = idp[0] as Element;
  return {
    entity,
    idpCount: idp.length,
    descriptor,
    keyDescriptors: Array.from(descriptor.getElementsByTagNameNS(MD, 'KeyDescriptor')),
    certificates: Array.from(descriptor.getElementsByTagNameNS(DS, 'X509Certificate')).map(
      (c) => c.textContent,
    ),
    nameIdFormats: Array.from(descriptor.getElementsByTagNameNS(MD, 'NameIDFormat')).map(
      (n) => n.textContent,
    ),
    sso: Array.from(descriptor.getElementsByTagNameNS(MD, 'SingleSignOnService')),
  };
};

describe('buildAwsIdpMetadata', () => {
  it('describes fedgate as a SAML 2.0 IdP with one signing key per published key (rotation)', () => {
    const m = read(buildAwsIdpMetadata({ entityId: ISSUER, keys: published }));
    expect(m.entity.localName).toBe('EntityDescriptor');
    expect(m.entity.getAttribute('entityID')).toBe(ISSUER);
    expect(m.idpCount).toBe(1);
    expect(m.descriptor.getAttribute('protocolSupportEnumeration')).toBe(
      'urn:oasis:names:tc:SAML:2.0:protocol',
    );
    expect(m.keyDescriptors.map((k) => k.getAttribute('use'))).toEqual(['signing', 'signing']);
    expect(m.certificates).toEqual([der(active), der(next)]);
    expect(m.nameIdFormats).toEqual(['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent']);
    expect(m.sso.map((s) => [s.getAttribute('Binding'), s.getAttribute('Location')])).toEqual([
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'https://sso.example.com/'],
    ]);
  });

  it('publishes a single key when there is no rotation', () => {
    const m = read(buildAwsIdpMetadata({ entityId: ISSUER, keys: published.slice(0, 1) }));
    expect(m.certificates).toEqual([der(active)]);
  });

  it('takes an explicit SSO URL, and a URN entity id with it', () => {
    const m = read(
      buildAwsIdpMetadata({
        entityId: 'urn:example:fedgate',
        keys: published,
        ssoUrl: 'https://sso.example.com/start?a=1&b=2',
      }),
    );
    expect(m.entity.getAttribute('entityID')).toBe('urn:example:fedgate');
    expect(m.sso[0]?.getAttribute('Location')).toBe('https://sso.example.com/start?a=1&b=2');
  });

  it('escapes the entity id', () => {
    const entityId = 'https://sso.example.com/aws?x="<y>"&z';
    const m = read(buildAwsIdpMetadata({ entityId, keys: published }));
    expect(m.entity.getAttribute('entityID')).toBe(entityId);
  });

  it.each([
    ['no key', () => ({ entityId: ISSUER, keys: [] })],
    ['a key twice', () => ({ entityId: ISSUER, keys: [published[0]!, published[0]!] })],
    [
      'a certificate that is not for its key',
      () => ({
        entityId: ISSUER,
        keys: [{ ...published[0]!, certificatePem: next.certificatePem }],
      }),
    ],
    [
      'a certificate that does not parse',
      () => ({ entityId: ISSUER, keys: [{ ...published[0]!, certificatePem: 'nope' }] }),
    ],
    ['an entity id that is not a URI', () => ({ entityId: 'fedgate', keys: published })],
    ['a URN entity id without an SSO URL', () => ({ entityId: 'urn:x:fedgate', keys: published })],
    [
      'an SSO URL with whitespace',
      () => ({ entityId: ISSUER, keys: published, ssoUrl: 'https://a b' }),
    ],
  ])('refuses %s (issuer_misconfigured)', (_, opts) => {
    expect(() => buildAwsIdpMetadata(opts())).toThrow(
      expect.objectContaining({ code: 'issuer_misconfigured' }),
    );
  });
});
