import type { SamlIdpConfig } from '../config/index.js';
import { GatewayError, GatewayMisconfiguredError } from '../http/errors.js';
import { attrOf, childNamed, childrenNamed, NS, STATUS_SUCCESS, textOf } from '../xml/index.js';
import { checkAlgorithms } from './algorithms.js';
import { verifyAssertionContent } from './assertion-content.js';
import {
  SamlMalformedError,
  SamlSignatureMissingError,
  SamlStatusNotSuccessError,
  SamlStructureInvalidError,
} from './errors.js';
import { decodeSamlResponse, parseStrictXml, RESPONSE_LIMITS } from './parse-xml.js';
import {
  type EnvelopedSignature,
  readEnvelopedSignature,
  verifyEnvelopedSignature,
} from './signature.js';
import { checkResponseStructure, rejectEncryptedContent } from './structure.js';
import { compileSamlTrust, type SamlTrust, type TrustedCertificate } from './trust.js';
import type { VerifiedAssertion } from './types.js';

/** Default allowed clock difference with the IdP, both ways. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/**
 * Default longest validity of an upstream assertion, from IssueInstant to its earliest
 * NotOnOrAfter, and of a Conditions window. Two hours: Entra ID's default Conditions window is
 * 70 minutes (NotBefore −5 min, NotOnOrAfter +65 min), Okta's 10.
 */
export const DEFAULT_MAX_VALIDITY_SECONDS = 7200;

/** How one SAML IdP's verifier is built (once per container). */
export interface SamlVerifierOptions {
  idp: SamlIdpConfig;
  /** 0..300, default {@link DEFAULT_CLOCK_SKEW_SECONDS}. */
  clockSkewSeconds?: number;
  /** 60..86400, default {@link DEFAULT_MAX_VALIDITY_SECONDS}. */
  maxValiditySeconds?: number;
}

/** One POSTed response to verify. */
export interface SamlVerifyInput {
  /** The `SAMLResponse` form value, as posted (base64). */
  samlResponseB64: string;
  /** This IdP's ACS URL, built from configuration (never from Host headers). */
  acsUrl: string;
  /** fedgate's SP entity id for this IdP. */
  spEntityId: string;
  /** The pending AuthnRequest's ID for SP-initiated sign-in; absent for IdP-initiated. */
  expectedInResponseTo?: string | undefined;
  /** Epoch seconds. */
  now: number;
}

/** A compiled verifier for one upstream SAML IdP. */
export interface SamlVerifier {
  readonly trust: SamlTrust;
  /**
   * Verifies one response end to end (SECURITY.md §2.2–2.6, replay excepted: see
   * `consumeAssertion`) and returns what the verified Assertion says.
   * @throws a GatewayError with a `saml_*` code, and nothing else (see shared/saml/README.md).
   */
  verify(input: SamlVerifyInput): VerifiedAssertion;
}

/**
 * Builds the verifier of one upstream SAML IdP: its metadata and certificates are compiled once
 * into a trust anchor (node:crypto keys); each `verify` parses the response once and runs the
 * whole validation order on that one DOM: pre-parse guard, parse, encrypted content, Status,
 * algorithm allowlist, closed structure, signature(s) against the configured certificates only,
 * post-checks, then reads the identity from the very Assertion that was digested.
 * @throws server_error (GatewayMisconfiguredError) at build time for an unusable IdP config.
 * @example
 * const verifier = createSamlVerifier({ idp, clockSkewSeconds: config.clockSkewSeconds });
 * const assertion = verifier.verify({ samlResponseB64, acsUrl, spEntityId, now: Date.now() / 1000 });
 * await consumeAssertion(replay, idp.id, assertion);
 */
export const createSamlVerifier = ({
  idp,
  clockSkewSeconds = DEFAULT_CLOCK_SKEW_SECONDS,
  maxValiditySeconds = DEFAULT_MAX_VALIDITY_SECONDS,
}: SamlVerifierOptions): SamlVerifier => {
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 300) {
    throw new GatewayMisconfiguredError(`SAML clock skew ${clockSkewSeconds}s outside 0..300`);
  }
  if (
    !Number.isInteger(maxValiditySeconds) ||
    maxValiditySeconds < 60 ||
    maxValiditySeconds > 86_400
  ) {
    throw new GatewayMisconfiguredError(
      `SAML max validity ${maxValiditySeconds}s outside 60..86400`,
    );
  }
  const trust = compileSamlTrust(idp);
  return {
    trust,
    verify(input) {
      try {
        return verifyResponse(trust, clockSkewSeconds, maxValiditySeconds, input);
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        // A library or DOM error on hostile input: still a refusal, never a 500 with a stack.
        throw new SamlMalformedError(
          `verification failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
          { cause: err },
        );
      }
    },
  };
};

const verifyResponse = (
  trust: SamlTrust,
  clockSkewSeconds: number,
  maxValiditySeconds: number,
  input: SamlVerifyInput,
): VerifiedAssertion => {
  if (!Number.isFinite(input.now)) throw new TypeError('now must be epoch seconds');
  // §2.2 pre-parse guard and the one parse.
  const { root: response, elements } = parseStrictXml(
    decodeSamlResponse(input.samlResponseB64),
    RESPONSE_LIMITS,
  );
  if (response.namespaceURI !== NS.protocol || response.localName !== 'Response') {
    throw new SamlStructureInvalidError('root element is not a SAML 2.0 protocol Response');
  }
  rejectEncryptedContent(elements);
  // An IdP error says so in Status and usually carries no assertion: report it as such. It can
  // only ever refuse, so reading it before the signature is safe.
  checkStatus(response);
  // §2.3 algorithms over the whole document, §2.4 the closed structure.
  checkAlgorithms(elements);
  checkResponseStructure(response);
  const assertions = childrenNamed(response, NS.assertion, 'Assertion');
  if (assertions.length !== 1) {
    throw new SamlStructureInvalidError(`${assertions.length} Assertion elements (want exactly 1)`);
  }
  const assertion = assertions[0] as Element;

  // §2.5 signatures: configured certificates only; the assertion must be signed unless this IdP
  // allows a Response-only signature, which then covers the assertion (its only child Assertion).
  const responseSignature = readSignatureOf(response);
  const assertionSignature = readSignatureOf(assertion);
  if (!assertionSignature && !trust.allowUnsignedAssertion) {
    throw new SamlSignatureMissingError('Assertion is not signed');
  }
  if (!assertionSignature && !responseSignature) {
    throw new SamlSignatureMissingError('neither the Response nor the Assertion is signed');
  }
  // Response first: its digest covers the assertion's signature, which verifying the assertion
  // detaches. When both are present both must verify.
  let signer: TrustedCertificate | undefined;
  if (responseSignature) signer = verifyEnvelopedSignature(responseSignature, trust.certificates);
  if (assertionSignature) signer = verifyEnvelopedSignature(assertionSignature, trust.certificates);

  // §2.6 post-checks, on the assertion element just digested.
  const verified = verifyAssertionContent(response, assertion, {
    entityId: trust.entityId,
    acsUrl: input.acsUrl,
    spEntityId: input.spEntityId,
    expectedInResponseTo: input.expectedInResponseTo,
    now: input.now,
    clockSkewSeconds,
    maxValiditySeconds,
    maxAuthnAgeSeconds: trust.maxAuthnAgeSeconds,
    responseSigned: responseSignature !== undefined,
  });
  return {
    ...verified,
    signature: {
      assertion: assertionSignature !== undefined,
      response: responseSignature !== undefined,
      certificateSha256: (signer as TrustedCertificate).sha256,
    },
  };
};

const readSignatureOf = (el: Element): EnvelopedSignature | undefined => {
  const signature = childNamed(el, NS.dsig, 'Signature');
  return signature ? readEnvelopedSignature(signature, el) : undefined;
};

const checkStatus = (response: Element): void => {
  const status = childNamed(response, NS.protocol, 'Status');
  const code = status && childNamed(status, NS.protocol, 'StatusCode');
  if (!code) throw new SamlStructureInvalidError('Response has no Status/StatusCode');
  const value = attrOf(code, 'Value') ?? '';
  if (value === STATUS_SUCCESS) return;
  const second = childNamed(code, NS.protocol, 'StatusCode');
  const message = status && childNamed(status, NS.protocol, 'StatusMessage');
  throw new SamlStatusNotSuccessError(
    value.slice(0, 200),
    [
      `status ${JSON.stringify(value.slice(0, 200))}`,
      second ? `(${JSON.stringify((attrOf(second, 'Value') ?? '').slice(0, 200))})` : '',
      message ? `message ${JSON.stringify(textOf(message).slice(0, 200))}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
};

/**
 * The verifier as the ACS endpoint takes it (`SamlResponseVerifier` of sso-endpoints.ts): one
 * compiled {@link SamlVerifier} per IdP config object, built on first use and kept as long as
 * that object lives (the cached attribute store hands out the same frozen object until it
 * reloads, and a reloaded config compiles afresh).
 * @throws server_error (GatewayMisconfiguredError) when an IdP's config cannot be compiled.
 * @throws the `saml_*` codes of {@link SamlVerifier.verify}.
 * @example const verify = createSamlResponseVerifier({ clockSkewSeconds: config.clockSkewSeconds });
 */
export const createSamlResponseVerifier = (
  options: Omit<SamlVerifierOptions, 'idp'> = {},
): ((idp: SamlIdpConfig, input: SamlVerifyInput) => VerifiedAssertion) => {
  const verifiers = new WeakMap<SamlIdpConfig, SamlVerifier>();
  return (idp, input) => {
    let verifier = verifiers.get(idp);
    if (!verifier) {
      verifier = createSamlVerifier({ ...options, idp });
      verifiers.set(idp, verifier);
    }
    return verifier.verify(input);
  };
};
