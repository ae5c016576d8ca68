import * as xmllint from '@authenio/samlify-node-xmllint';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import * as samlify from 'samlify';

/**
 * The two other Node SAML verifiers, configured as strictly as they allow, for the differential
 * test and the benchmark: samlify 2.13.1 (ServiceProvider.parseLoginResponse) and
 * @node-saml/node-saml 5.1.0 (validatePostResponseAsync).
 */

export interface OtherVerifierSetup {
  /** Base64 DER certificates of the IdP. */
  certificates: readonly string[];
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  /** The IdP's assertions must be signed (false: Response-only signatures accepted). */
  wantAssertionsSigned: boolean;
  /** The pending AuthnRequest id, when the response answers one. */
  expectedInResponseTo?: string | undefined;
}

/** What another library did with a response. */
export type OtherOutcome = { accepted: true; nameId: string } | { accepted: false; reason: string };

const pem = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`;
const describeError = (err: unknown) =>
  String((err as Error)?.message ?? err)
    .replace(/\s+/g, ' ')
    .slice(0, 120);

/** samlify's schema layer: none (a no-op validator) or @authenio/samlify-node-xmllint. */
export const useSamlifySchemaValidator = (validator: 'none' | 'xmllint'): void => {
  samlify.setSchemaValidator(
    validator === 'xmllint' ? xmllint : { validate: async () => 'skipped' },
  );
};

/** A samlify SP + IdP pair for one setup (build once, call `parse` per response). */
export const createSamlifyVerifier = (s: OtherVerifierSetup) => {
  const { post, redirect } = samlify.Constants.namespace.binding;
  const sp = samlify.ServiceProvider({
    entityID: s.spEntityId,
    assertionConsumerService: [{ Binding: post, Location: s.acsUrl }],
    wantAssertionsSigned: s.wantAssertionsSigned,
    clockDrifts: [-60_000, 60_000],
  });
  const idp = samlify.IdentityProvider({
    entityID: s.idpEntityId,
    signingCert: s.certificates.map(pem),
    singleSignOnService: [{ Binding: redirect, Location: 'https://idp.invalid/sso' }],
    singleLogoutService: [{ Binding: redirect, Location: 'https://idp.invalid/slo' }],
  });
  return async (samlResponseB64: string): Promise<OtherOutcome> => {
    try {
      const result = await sp.parseLoginResponse(idp, 'post', {
        body: { SAMLResponse: samlResponseB64 },
      } as never);
      return { accepted: true, nameId: String(result.extract?.nameID ?? '') };
    } catch (err) {
      return { accepted: false, reason: describeError(err) };
    }
  };
};

/** A node-saml instance for one setup. */
export const createNodeSamlVerifier = (s: OtherVerifierSetup) => {
  const cache = new Map<string, string>();
  if (s.expectedInResponseTo) cache.set(s.expectedInResponseTo, new Date().toISOString());
  const saml = new SAML({
    idpCert: s.certificates.map(pem),
    idpIssuer: s.idpEntityId,
    issuer: s.spEntityId,
    audience: s.spEntityId,
    callbackUrl: s.acsUrl,
    wantAssertionsSigned: s.wantAssertionsSigned,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: 60_000,
    validateInResponseTo: ValidateInResponseTo.ifPresent,
    cacheProvider: {
      saveAsync: async (key: string, value: string) => {
        cache.set(key, value);
        return { value, createdAt: Date.now() };
      },
      getAsync: async (key: string) => cache.get(key) ?? null,
      removeAsync: async (key: string | null) => {
        const value = key === null ? null : (cache.get(key) ?? null);
        if (key !== null) cache.delete(key);
        return value;
      },
    },
  });
  return async (samlResponseB64: string): Promise<OtherOutcome> => {
    try {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponseB64 });
      return { accepted: true, nameId: String(profile?.nameID ?? '') };
    } catch (err) {
      return { accepted: false, reason: describeError(err) };
    }
  };
};
