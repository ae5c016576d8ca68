import { IdpConfigSchema, type SamlIdpConfig } from '../../../shared/config/index.js';
import { createSamlVerifier, type VerifiedAssertion } from '../../../shared/saml/index.js';
import {
  certificatesFor,
  IDP_ENTITY_ID,
  SAML_SP,
  type SamlCase,
  type SamlFixtureEnv,
} from './make-saml-fixtures.js';

/** The IdP config a corpus case is verified under. */
export const samlIdpConfigFor = (
  env: SamlFixtureEnv,
  c: Pick<SamlCase, 'idp'> = {},
  extra: Record<string, unknown> = {},
): SamlIdpConfig =>
  IdpConfigSchema.parse({
    id: 'okta',
    displayName: 'Okta',
    protocol: 'saml',
    saml: {
      entityId: IDP_ENTITY_ID,
      signingCertificates: certificatesFor(env, c.idp?.certificates),
      allowUnsignedAssertion: c.idp?.allowUnsignedAssertion ?? false,
      ...(c.idp?.maxAuthnAgeSeconds !== undefined
        ? { maxAuthnAgeSeconds: c.idp.maxAuthnAgeSeconds }
        : {}),
    },
    ...extra,
  }) as SamlIdpConfig;

/** Runs one case through fedgate's verifier (default options, like production). */
export const verifyWithFedgate = (env: SamlFixtureEnv, c: SamlCase): VerifiedAssertion =>
  createSamlVerifier({ idp: samlIdpConfigFor(env, c) }).verify({
    samlResponseB64: c.samlResponseB64,
    acsUrl: SAML_SP.acsUrl,
    spEntityId: SAML_SP.entityId,
    expectedInResponseTo: c.input?.expectedInResponseTo,
    now: env.now + (c.input?.nowOffset ?? 0),
  });

/** `accept`, or the code fedgate threw (anything else thrown is re-thrown: a bug). */
export const fedgateOutcome = (env: SamlFixtureEnv, c: SamlCase): string => {
  try {
    verifyWithFedgate(env, c);
    return 'accept';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    return code;
  }
};
