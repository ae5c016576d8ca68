/**
 * Upstream responses signed by implementations that share no code with fedgate are accepted:
 * the xmlsec1 binary (from templates, Okta- and Entra-shaped, with and without InclusiveNamespaces)
 * and pysaml2 as a real IdP (IdP- and SP-initiated, Okta- and Entra-shaped attributes).
 */
import { describe, expect, it } from 'vitest';
import {
  buildUpstreamResponse,
  entraAttributes,
  oktaAttributes,
  type UpstreamUser,
} from '../../../infra/local/upstream/saml-response.js';
import { IdpConfigSchema, type SamlIdpConfig } from '../../../shared/config/index.js';
import { createSamlVerifier, mapSamlIdentity } from '../../../shared/saml/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import {
  insertSignatureTemplate,
  respondWithPysaml2,
  signWithXmlsec1,
} from '../../support/saml/independent-signers.js';

const key = await createTestKeyPair('independent IdP');
const SP = {
  entityId: 'https://sso.example.com/saml/corp/metadata',
  acsUrl: 'https://sso.example.com/saml/corp/acs',
};
const TENANT = '0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
const OKTA = 'http://www.okta.com/exkindependent';
const ENTRA = `https://sts.windows.net/${TENANT}/`;
const REQUEST_ID = '_fedgate5b0d7f1c9a2e4b6d8f0a1c3e5b7d9f1a';
const user: UpstreamUser = {
  id: '6f1d2c3b-0000-4000-8000-1234567890ab',
  email: 'jane.doe@corp.example',
  givenName: 'Jane',
  surname: 'Doe',
  groups: ['aws-developers', 'aws-readonly'],
};
const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

const idpConfig = (
  entityId: string,
  extra: Record<string, unknown> = {},
  saml: Record<string, unknown> = {},
): SamlIdpConfig =>
  IdpConfigSchema.parse({
    id: 'corp',
    displayName: 'Corp',
    protocol: 'saml',
    saml: { entityId, signingCertificates: [key.certificateB64], ...saml },
    ...extra,
  }) as SamlIdpConfig;

const verify = (xml: string, entityId: string, expectedInResponseTo?: string) =>
  createSamlVerifier({ idp: idpConfig(entityId) }).verify({
    samlResponseB64: Buffer.from(xml).toString('base64'),
    acsUrl: SP.acsUrl,
    spEntityId: SP.entityId,
    expectedInResponseTo,
    now: Math.floor(Date.now() / 1000),
  });

const upstream = (style: 'okta' | 'entra', inResponseTo?: string) =>
  buildUpstreamResponse({
    issuer: style === 'okta' ? OKTA : ENTRA,
    audience: SP.entityId,
    acsUrl: SP.acsUrl,
    nameId: user.email,
    attributes:
      style === 'okta' ? oktaAttributes(user) : entraAttributes(user, { tenantId: TENANT }),
    now: Math.floor(Date.now() / 1000),
    style,
    ...(inResponseTo ? { inResponseTo } : {}),
  });

describe('xmlsec1 as the signer', () => {
  it('Okta-shaped, assertion signed with InclusiveNamespaces PrefixList="xs"', async () => {
    const xml = await signWithXmlsec1(
      insertSignatureTemplate(upstream('okta'), 'Assertion', { inclusivePrefixes: ['xs'] }),
      'Assertion',
      key,
    );
    expect(xml).toContain('PrefixList="xs"');
    const result = verify(xml, OKTA);
    expect(result.nameId).toBe(user.email);
    expect(result.attributes.groups).toEqual(user.groups);
  });

  it('Okta-shaped with xs declared on the Response: the PrefixList pulls it in from an ancestor', async () => {
    const decls =
      ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
    const hoisted = upstream('okta')
      .replaceAll(decls, '')
      .replace('<saml2p:Response ', `<saml2p:Response${decls} `);
    const xml = await signWithXmlsec1(
      insertSignatureTemplate(hoisted, 'Assertion', { inclusivePrefixes: ['xs'] }),
      'Assertion',
      key,
    );
    expect(verify(xml, OKTA).attributes.email).toEqual([user.email]);
  });

  it('Entra-shaped (default namespaces), SP-initiated, assertion then response signed', async () => {
    let xml = insertSignatureTemplate(upstream('entra', REQUEST_ID), 'Assertion', { prefix: '' });
    xml = await signWithXmlsec1(xml, 'Assertion', key);
    xml = await signWithXmlsec1(
      insertSignatureTemplate(xml, 'Response', { prefix: '' }),
      'Response',
      key,
    );
    const result = verify(xml, ENTRA, REQUEST_ID);
    expect(result.signature).toMatchObject({ assertion: true, response: true });
    expect(result.inResponseTo).toBe(REQUEST_ID);
    const identity = mapSamlIdentity(
      idpConfig(ENTRA, { subjectClaim: OID, claimAliases: { groups: [GROUPS] } }),
      result,
    );
    expect(identity.subject).toBe(user.id);
    expect(identity.claims.groups).toEqual(user.groups);
  });
});

describe('pysaml2 as the IdP', () => {
  const oktaRequest = {
    entityId: OKTA,
    spEntityId: SP.entityId,
    acsUrl: SP.acsUrl,
    nameId: user.email,
    attributes: oktaAttributes(user),
    nameFormat: 'unspecified' as const,
  };
  const entraRequest = {
    ...oktaRequest,
    entityId: ENTRA,
    attributes: entraAttributes(user, { tenantId: TENANT }),
    nameFormat: 'uri' as const,
  };

  it('Okta-shaped, IdP-initiated, assertion signed', async () => {
    const xml = await respondWithPysaml2(
      { ...oktaRequest, signAssertion: true, signResponse: false },
      key,
    );
    const result = verify(xml, OKTA);
    expect(result.nameId).toBe(user.email);
    expect(result.attributes.groups).toEqual(user.groups);
    expect(result.inResponseTo).toBeUndefined();
  });

  it('Okta-shaped, SP-initiated (InResponseTo), assertion and response signed', async () => {
    const xml = await respondWithPysaml2(
      { ...oktaRequest, inResponseTo: REQUEST_ID, signAssertion: true, signResponse: true },
      key,
    );
    const result = verify(xml, OKTA, REQUEST_ID);
    expect(result.inResponseTo).toBe(REQUEST_ID);
    expect(result.signature).toMatchObject({ assertion: true, response: true });
  });

  it('Entra-shaped, IdP-initiated, claim URIs and the tenant allowlist', async () => {
    const xml = await respondWithPysaml2(
      { ...entraRequest, signAssertion: true, signResponse: false },
      key,
    );
    const identity = mapSamlIdentity(
      idpConfig(ENTRA, { subjectClaim: OID }, { allowedTenants: [TENANT] }),
      verify(xml, ENTRA),
    );
    expect(identity.subject).toBe(user.id);
    expect(identity.claims[GROUPS]).toEqual(user.groups);
  });

  it('Entra-shaped, SP-initiated', async () => {
    const xml = await respondWithPysaml2(
      { ...entraRequest, inResponseTo: REQUEST_ID, signAssertion: true, signResponse: false },
      key,
    );
    expect(verify(xml, ENTRA, REQUEST_ID).attributes[OID]).toEqual([user.id]);
  });

  it('and fedgate still refuses what pysaml2 signed once it is changed', async () => {
    const xml = await respondWithPysaml2(
      { ...oktaRequest, signAssertion: true, signResponse: false },
      key,
    );
    expect(() => verify(xml.replace(`>${user.email}<`, '>admin@corp.example<'), OKTA)).toThrow(
      expect.objectContaining({ code: 'saml_signature_invalid' }),
    );
  });
});
