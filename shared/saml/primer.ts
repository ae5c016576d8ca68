import { IdpConfigSchema } from '../config/index.js';
import { PRIMER_SAMPLE } from './primer-sample.js';
import { createSamlVerifier } from './verify-response.js';

/** What priming did: whether the sample verified, and how long it took. */
export interface PrimeResult {
  ok: boolean;
  ms: number;
  /** Why the sample did not verify (an error code and message), when it did not. */
  error?: string;
}

/**
 * Verifies one built-in signed response (primer-sample.ts: Okta-shaped, ~10 KB, its own
 * certificate) through the very code path the ACS uses — IdP config parse, trust compile, the
 * whole validation order — once, at init. Two things come of it:
 * - a known-answer self-test: a bundle whose canonicalization, digest or signature check is
 *   broken (a bad alias, a dependency change) says so in the log at init, not on a person's
 *   sign-in (which would still fail closed, with saml_signature_invalid);
 * - the verifier's code is compiled and its caches warm before the first request (the first
 *   real verification measured ~4 ms after priming against ~12 ms without, `npm run bench --
 *   saml`). Init pays the same ~10 ms instead; it is off the request path when Lambda
 *   initializes an environment ahead of demand (provisioned concurrency, proactive init).
 * Never throws: a failure is returned for the caller to log.
 * @example const primed = primeSamlVerifier(); if (!primed.ok) logger.error('SAML verifier self-test failed', primed);
 */
export const primeSamlVerifier = (): PrimeResult => {
  const started = performance.now();
  try {
    const idp = IdpConfigSchema.parse({
      id: 'primer',
      displayName: 'primer',
      protocol: 'saml',
      listed: false,
      saml: {
        entityId: PRIMER_SAMPLE.idpEntityId,
        signingCertificates: [PRIMER_SAMPLE.certificateB64],
      },
    });
    if (idp.protocol !== 'saml') throw new TypeError('primer IdP is not SAML');
    const assertion = createSamlVerifier({ idp }).verify({
      samlResponseB64: PRIMER_SAMPLE.samlResponseB64,
      acsUrl: PRIMER_SAMPLE.acsUrl,
      spEntityId: PRIMER_SAMPLE.spEntityId,
      now: PRIMER_SAMPLE.now,
    });
    if (assertion.issuer !== PRIMER_SAMPLE.idpEntityId) {
      throw new TypeError('primer assertion names another issuer');
    }
    return { ok: true, ms: performance.now() - started };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      ok: false,
      ms: performance.now() - started,
      error: `${typeof code === 'string' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`,
    };
  }
};
