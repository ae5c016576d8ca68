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
}
