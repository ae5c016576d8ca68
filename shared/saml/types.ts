/**
 * What the SAML verifier returns: everything read from the very Assertion element whose signature
 * was verified (never from the unsigned wrapper).
 */
export interface VerifiedAssertion {
  /** Assertion `ID` (the replay key, with the IdP id). */
  assertionId: string;
  /** Assertion `<Issuer>` (already checked against the IdP's entity id). */
  issuer: string;
  nameId: string;
  nameIdFormat?: string;
  sessionIndex?: string;
  /** Response/SubjectConfirmationData InResponseTo, when the response answers an AuthnRequest. */
  inResponseTo?: string;
  /** Epoch seconds: the earliest of Conditions NotOnOrAfter and SubjectConfirmationData NotOnOrAfter. */
  notOnOrAfter: number;
  /** Epoch seconds. */
  authnInstant?: number;
  authnContextClassRef?: string;
  /** Attribute name → values, in document order (names as sent: Entra's claim URIs stay URIs). */
  attributes: Readonly<Record<string, readonly string[]>>;
  /** Response `ID` (the wrapper's: for logs only). */
  responseId?: string;
  /** AuthnStatement SessionNotOnOrAfter (epoch seconds), when the IdP limits the session. */
  sessionNotOnOrAfter?: number;
  /** The assertion carried a OneTimeUse condition (honoured by the replay cache, as every assertion is). */
  oneTimeUse?: boolean;
  /** Which signatures were verified, and the SHA-256 of the certificate that verified them. */
  signature?: { assertion: boolean; response: boolean; certificateSha256: string };
}
