import { GatewayError } from '../http/errors.js';

/**
 * The errors of upstream SAML verification. Every class carries a stable `code` (sent to the
 * client), a generic `description` (shown to the person: it never says which check failed beyond
 * what they can act on) and a precise `detail` (logs only). Integrity failures share one
 * description on purpose: an attacker probing the verifier learns nothing from the page.
 */

const UNVERIFIABLE = 'The sign-in response from your identity provider could not be verified.';
const NOT_FOR_US =
  'The sign-in response from your identity provider was not meant for this service.';

/** Not a well-formed, UTF-8, size-bounded, base64-encoded XML document. */
export class SamlMalformedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_malformed', UNVERIFIABLE, { ...opts, detail });
  }
}

/** A DOCTYPE, entity declaration, processing instruction or comment: never in a SAML response. */
export class SamlForbiddenConstructError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_forbidden_construct', UNVERIFIABLE, { ...opts, detail });
  }
}

/** An EncryptedAssertion, EncryptedID or EncryptedAttribute: fedgate does not decrypt. */
export class SamlEncryptedUnsupportedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'saml_encrypted_unsupported',
      'Your identity provider sent an encrypted assertion, which this service does not accept. Ask an administrator to turn off assertion encryption for this application.',
      { ...opts, detail },
    );
  }
}

/** The IdP answered with a status other than Success (the person was not signed in). */
export class SamlStatusNotSuccessError extends GatewayError {
  /** The top-level StatusCode Value, e.g. `urn:oasis:names:tc:SAML:2.0:status:Responder`. */
  readonly statusCode: string;
  constructor(statusCode: string, detail: string, opts?: ErrorOptions) {
    super(400, 'saml_status_not_success', 'Your identity provider did not complete the sign-in.', {
      ...opts,
      detail,
    });
    this.statusCode = statusCode;
  }
}

/** A signature, digest, canonicalization or transform algorithm outside the allowlist. */
export class SamlAlgorithmNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_algorithm_not_allowed', UNVERIFIABLE, { ...opts, detail });
  }
}

/** The document is not the one shape fedgate accepts (elements, attributes, IDs, References). */
export class SamlStructureInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_structure_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** A signature that policy requires is absent. */
export class SamlSignatureMissingError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_signature_missing', UNVERIFIABLE, { ...opts, detail });
  }
}

/** A digest or signature value does not verify against the IdP's configured certificates. */
export class SamlSignatureInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_signature_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** Assertion or Response Issuer is not the configured IdP entity id. */
export class SamlIssuerInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_issuer_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** Response Destination is not this ACS URL (or is absent from a signed Response). */
export class SamlDestinationInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_destination_invalid', NOT_FOR_US, { ...opts, detail });
  }
}

/** Conditions absent, unsupported (ProxyRestriction) or a validity window longer than policy. */
export class SamlConditionsInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_conditions_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** A NotBefore / IssueInstant lies in the future, beyond the allowed clock skew. */
export class SamlNotYetValidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'saml_not_yet_valid',
      'The sign-in response is not valid yet. Check the clock of your device, then sign in again.',
      { ...opts, detail },
    );
  }
}

/** A NotOnOrAfter / SessionNotOnOrAfter has passed (with the allowed clock skew). */
export class SamlExpiredError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_expired', 'The sign-in response has expired. Please sign in again.', {
      ...opts,
      detail,
    });
  }
}

/** No AudienceRestriction, or one that does not name fedgate's SP entity id. */
export class SamlAudienceInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_audience_invalid', NOT_FOR_US, { ...opts, detail });
  }
}

/** Subject problems: NameID, bearer SubjectConfirmation count/method/data, the subject claim. */
export class SamlSubjectInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_subject_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** SubjectConfirmationData Recipient is not this ACS URL. */
export class SamlRecipientInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_recipient_invalid', NOT_FOR_US, { ...opts, detail });
  }
}

/** InResponseTo does not answer the expected AuthnRequest, or an unsolicited response carries one. */
export class SamlInResponseToInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'saml_in_response_to_invalid',
      'The sign-in response does not answer a sign-in started here. Please start again.',
      { ...opts, detail },
    );
  }
}

/** The authentication at the IdP (AuthnInstant) is older than this IdP's policy allows. */
export class SamlAuthnTooOldError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      400,
      'saml_authn_too_old',
      'Your sign-in at your identity provider is too old. Please sign in there again.',
      { ...opts, detail },
    );
  }
}

/** An attribute or value fedgate refuses: element content, control characters, duplicates, size. */
export class SamlAttributeInvalidError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'saml_attribute_invalid', UNVERIFIABLE, { ...opts, detail });
  }
}

/** Entra ID replaced the groups claim by a link (more groups than fit): never read as "no groups". */
export class SamlGroupOverageError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(
      403,
      'saml_group_overage',
      'Your account is a member of more groups than your identity provider sends. Ask an administrator to limit the groups sent to this application.',
      { ...opts, detail },
    );
  }
}

/** An Entra ID tenant outside the IdP's tenant allowlist. */
export class SamlTenantNotAllowedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(403, 'saml_tenant_not_allowed', 'Your organisation may not sign in here.', {
      ...opts,
      detail,
    });
  }
}
