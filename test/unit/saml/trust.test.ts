import { describe, expect, it } from 'vitest';
import { IdpConfigSchema, type SamlIdpConfig } from '../../../shared/config/index.js';
import { compileSamlTrust, parseIdpMetadata } from '../../../shared/saml/index.js';
import { createTestKeyPair } from '../../kit/keys.js';

const current = await createTestKeyPair('idp');
const next = await createTestKeyPair('idp next');
const encryption = await createTestKeyPair('idp encryption');

const metadata = (body: string, root = 'md:EntityDescriptor') =>
  `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported from the IdP admin console -->
<${root} xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="http://www.okta.com/exk1">${body}</${root}>`;
const key = (cert: string, use?: string) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
${cert.replace(/.{64}/g, '$&\n')}
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
const IDP_SSO = (inner: string) =>
  `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${inner}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/post"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/redirect"/></md:IDPSSODescriptor>`;

const config = (saml: Record<string, unknown>): SamlIdpConfig =>
  IdpConfigSchema.parse({
    id: 'okta',
    displayName: 'Okta',
    protocol: 'saml',
    saml,
  }) as SamlIdpConfig;

describe('parseIdpMetadata', () => {
  it('reads the entity id, signing certificates (use=signing or none) and SSO endpoints', () => {
    const md = parseIdpMetadata(
      metadata(
        IDP_SSO(
          key(current.certificateB64, 'signing') +
            key(encryption.certificateB64, 'encryption') +
            key(next.certificateB64),
        ),
      ),
    );
    expect(md).toEqual({
      entityId: 'http://www.okta.com/exk1',
      signingCertificates: [current.certificateB64, next.certificateB64],
      singleSignOnServices: [
        {
          binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
          location: 'https://idp.example/post',
        },
        {
          binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
          location: 'https://idp.example/redirect',
        },
      ],
    });
  });

  it.each([
    ['an EntitiesDescriptor', metadata(IDP_SSO(''), 'md:EntitiesDescriptor')],
    ['no IDPSSODescriptor', metadata('')],
    ['two IDPSSODescriptors', metadata(IDP_SSO('') + IDP_SSO(''))],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${metadata(IDP_SSO(''))}`],
    ['no entityID', metadata(IDP_SSO('')).replace(' entityID="http://www.okta.com/exk1"', '')],
  ])('refuses %s as server_error', (_, xml) => {
    expect(() => parseIdpMetadata(xml)).toThrow(expect.objectContaining({ code: 'server_error' }));
  });
});

describe('compileSamlTrust', () => {
  it('compiles metadata once into keys, with the Redirect SSO endpoint', () => {
    const trust = compileSamlTrust(
      config({
        metadataXml: metadata(IDP_SSO(key(current.certificateB64) + key(next.certificateB64))),
      }),
    );
    expect(trust.entityId).toBe('http://www.okta.com/exk1');
    expect(trust.ssoUrl).toBe('https://idp.example/redirect');
    expect(trust.certificates.map((c) => c.key.asymmetricKeyType)).toEqual(['rsa', 'rsa']);
    expect(trust.certificates[0]?.subject).toBe('CN=idp');
    expect(trust.allowUnsignedAssertion).toBe(false);
    expect(Object.isFrozen(trust)).toBe(true);
  });

  it('lets explicit settings win over the metadata', () => {
    const trust = compileSamlTrust(
      config({
        metadataXml: metadata(IDP_SSO(key(current.certificateB64))),
        entityId: 'http://www.okta.com/override',
        signingCertificates: [next.certificatePem],
        ssoUrl: 'https://idp.example/explicit',
        maxAuthnAgeSeconds: 600,
        allowedTenants: ['t1'],
      }),
    );
    expect(trust).toMatchObject({
      entityId: 'http://www.okta.com/override',
      ssoUrl: 'https://idp.example/explicit',
      maxAuthnAgeSeconds: 600,
      allowedTenants: ['t1'],
    });
    expect(trust.certificates).toHaveLength(1);
    expect(trust.certificates[0]?.subject).toBe('CN=idp next');
  });

  it('refuses certificates that are not RSA ≥ 2048 bits, or do not parse', async () => {
    const weak = await createTestKeyPair('weak', { modulusLength: 1024 });
    expect(() =>
      compileSamlTrust(config({ entityId: 'x', signingCertificates: [weak.certificateB64] })),
    ).toThrow(expect.objectContaining({ code: 'server_error' }));
    expect(() =>
      compileSamlTrust(
        config({
          entityId: 'x',
          signingCertificates: [
            Buffer.from('not a certificate at all, really not, no, not even close to DER').toString(
              'base64',
            ),
          ],
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'server_error' }));
  });

  it('refuses metadata without a signing certificate', () => {
    expect(() =>
      compileSamlTrust(
        config({ metadataXml: metadata(IDP_SSO(key(encryption.certificateB64, 'encryption'))) }),
      ),
    ).toThrow(expect.objectContaining({ code: 'server_error' }));
  });
});
