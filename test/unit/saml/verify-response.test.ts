import { createHash, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildUpstreamResponse,
  oktaAttributes,
  signUpstreamResponse,
} from '../../../infra/local/upstream/saml-response.js';
import { GatewayError } from '../../../shared/http/errors.js';
import * as saml from '../../../shared/saml/index.js';
import { samlIdpConfigFor } from '../../support/saml/fedgate-verify.js';
import {
  createSamlFixtureEnv,
  IDP_ENTITY_ID,
  REQUEST_ID,
  SAML_SP,
} from '../../support/saml/make-saml-fixtures.js';

const NOW = 1_795_338_000;
const env = await createSamlFixtureEnv(NOW);
const idp = samlIdpConfigFor(env);
const user = {
  id: '00u1fedgateJANE',
  email: 'jane.doe@corp.example',
  givenName: 'Jane',
  surname: 'Doe',
  groups: ['Everyone', 'aws-developers'],
};
const respond = (
  over: Partial<Parameters<typeof buildUpstreamResponse>[0]> = {},
  signResponse = false,
) =>
  Buffer.from(
    signUpstreamResponse(
      buildUpstreamResponse({
        issuer: IDP_ENTITY_ID,
        audience: SAML_SP.entityId,
        acsUrl: SAML_SP.acsUrl,
        nameId: user.email,
        attributes: oktaAttributes(user),
        now: NOW,
        lifetimeSeconds: 300,
        sessionIndex: '_session1',
        assertionId: '_assertion1',
        responseId: '_response1',
        ...over,
      }),
      { ...env.idp, signAssertion: true, signResponse },
    ),
  ).toString('base64');
const input = (samlResponseB64: string, extra: Partial<saml.SamlVerifyInput> = {}) => ({
  samlResponseB64,
  acsUrl: SAML_SP.acsUrl,
  spEntityId: SAML_SP.entityId,
  now: NOW,
  ...extra,
});

describe('createSamlVerifier', () => {
  it('returns what the signed assertion says, read from that assertion', () => {
    const verifier = saml.createSamlVerifier({ idp });
    const result = verifier.verify(input(respond({ lifetimeSeconds: 600 })));
    expect(result).toEqual({
      assertionId: '_assertion1',
      issuer: IDP_ENTITY_ID,
      nameId: 'jane.doe@corp.example',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      sessionIndex: '_session1',
      notOnOrAfter: NOW + 600,
      authnInstant: NOW,
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      attributes: {
        email: ['jane.doe@corp.example'],
        firstName: ['Jane'],
        lastName: ['Doe'],
        login: ['jane.doe@corp.example'],
        oktaUserId: ['00u1fedgateJANE'],
        groups: ['Everyone', 'aws-developers'],
      },
      responseId: '_response1',
      signature: {
        assertion: true,
        response: false,
        certificateSha256: createHash('sha256')
          .update(new X509Certificate(env.idp.certificatePem).raw)
          .digest('hex'),
      },
    });
    expect(Object.isFrozen(result.attributes)).toBe(true);
  });

  it('reports InResponseTo for an SP-initiated response and both signatures when both are signed', () => {
    const result = saml
      .createSamlVerifier({ idp })
      .verify(
        input(respond({ inResponseTo: REQUEST_ID }, true), { expectedInResponseTo: REQUEST_ID }),
      );
    expect(result.inResponseTo).toBe(REQUEST_ID);
    expect(result.signature).toMatchObject({ assertion: true, response: true });
  });

  it('takes notOnOrAfter as the earliest of Conditions and SubjectConfirmationData', () => {
    const b64 = Buffer.from(
      signUpstreamResponse(
        buildUpstreamResponse({
          issuer: IDP_ENTITY_ID,
          audience: SAML_SP.entityId,
          acsUrl: SAML_SP.acsUrl,
          nameId: 'x@corp.example',
          attributes: {},
          now: NOW,
          lifetimeSeconds: 300,
        }).replace(
          /(<saml2:Conditions NotBefore="[^"]*" NotOnOrAfter=")[^"]*"/,
          `$1${new Date((NOW + 120) * 1000).toISOString()}"`,
        ),
        { ...env.idp, signAssertion: true, signResponse: false },
      ),
    ).toString('base64');
    expect(saml.createSamlVerifier({ idp }).verify(input(b64)).notOnOrAfter).toBe(NOW + 120);
  });

  it('applies the configured clock skew: with 0, NotOnOrAfter itself is too late', () => {
    const verifier = saml.createSamlVerifier({ idp, clockSkewSeconds: 0 });
    const b64 = respond();
    expect(verifier.verify(input(b64, { now: NOW + 299 })).nameId).toBe(user.email);
    expect(() => verifier.verify(input(b64, { now: NOW + 300 }))).toThrow(
      expect.objectContaining({ code: 'saml_expired' }),
    );
  });

  it('bounds the validity window by maxValiditySeconds', () => {
    const verifier = saml.createSamlVerifier({ idp, maxValiditySeconds: 600 });
    expect(() => verifier.verify(input(respond({ lifetimeSeconds: 900 })))).toThrow(
      expect.objectContaining({ code: 'saml_conditions_invalid' }),
    );
    expect(verifier.verify(input(respond({ lifetimeSeconds: 300 }))).nameId).toBe(user.email);
  });

  it.each([
    [{ clockSkewSeconds: -1 }],
    [{ clockSkewSeconds: 301 }],
    [{ clockSkewSeconds: 1.5 }],
    [{ maxValiditySeconds: 59 }],
    [{ maxValiditySeconds: 86_401 }],
  ])('refuses options %j at build time', (options) => {
    expect(() => saml.createSamlVerifier({ idp, ...options })).toThrow(
      expect.objectContaining({ code: 'server_error' }),
    );
  });

  it('wraps anything thrown below it into saml_malformed', () => {
    const verifier = saml.createSamlVerifier({ idp });
    expect(() => verifier.verify(input(respond(), { now: Number.NaN }))).toThrow(
      expect.objectContaining({ code: 'saml_malformed' }),
    );
    expect(() =>
      verifier.verify({ ...input(respond()), samlResponseB64: undefined as unknown as string }),
    ).toThrow(expect.objectContaining({ code: 'saml_malformed' }));
  });

  it('never throws anything but a GatewayError on mangled responses (property)', () => {
    const verifier = saml.createSamlVerifier({ idp });
    const xml = Buffer.from(respond(), 'base64').toString('utf8');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.nat({ max: xml.length }),
            cut: fc.nat({ max: 8 }),
            insert: fc.constantFrom(
              '',
              '<',
              '>',
              '"',
              '&',
              '<!--',
              ']]>',
              '<a>',
              '</',
              'x',
              '\u0000',
              '\u00e9',
              '&#1;',
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          let mangled = xml;
          for (const e of edits) {
            mangled = mangled.slice(0, e.at) + e.insert + mangled.slice(e.at + e.cut);
          }
          try {
            verifier.verify(input(Buffer.from(mangled).toString('base64')));
          } catch (err) {
            expect(err).toBeInstanceOf(GatewayError);
            expect((err as GatewayError).code).toMatch(/^saml_/);
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('createSamlResponseVerifier', () => {
  it('compiles one verifier per IdP config object and verifies with it', () => {
    const verify = saml.createSamlResponseVerifier({ clockSkewSeconds: 30 });
    const b64 = respond();
    expect(verify(idp, input(b64)).nameId).toBe(user.email);
    expect(verify(idp, input(b64)).nameId).toBe(user.email);
    const other = samlIdpConfigFor(env, { idp: { certificates: 'rollover-only' } });
    expect(() => verify(other, input(b64))).toThrow(
      expect.objectContaining({ code: 'saml_signature_invalid' }),
    );
  });
});

describe('error classes', () => {
  it('are 400 or 403, exposed, with a stable saml_* code', () => {
    const classes = Object.entries(saml).filter(
      ([name, value]) =>
        name.startsWith('Saml') && name.endsWith('Error') && typeof value === 'function',
    );
    expect(classes.length).toBeGreaterThanOrEqual(21);
    for (const [name, Cls] of classes) {
      const err =
        name === 'SamlStatusNotSuccessError'
          ? new (Cls as new (s: string, d: string) => GatewayError)('urn:x', 'detail')
          : new (Cls as new (d: string) => GatewayError)('detail');
      expect(err, name).toBeInstanceOf(GatewayError);
      expect([400, 403], name).toContain(err.status);
      expect(err.code, name).toMatch(/^saml_[a-z_]+$/);
      expect(err.detail, name).toBe('detail');
      expect(err.name, name).toBe(name);
    }
  });
});
