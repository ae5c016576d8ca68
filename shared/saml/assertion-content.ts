import {
  attrOf,
  CM_BEARER,
  childNamed,
  childrenNamed,
  NAMEID_ENTITY,
  NS,
  textOf,
} from '../xml/index.js';
import {
  SamlAttributeInvalidError,
  SamlAudienceInvalidError,
  SamlAuthnTooOldError,
  SamlConditionsInvalidError,
  SamlDestinationInvalidError,
  SamlExpiredError,
  SamlInResponseToInvalidError,
  SamlIssuerInvalidError,
  SamlNotYetValidError,
  SamlRecipientInvalidError,
  SamlStructureInvalidError,
  SamlSubjectInvalidError,
} from './errors.js';
import type { VerifiedAssertion } from './types.js';
import { checkValue, parseInstant } from './values.js';

/** Longest NameID fedgate accepts. */
export const MAX_NAME_ID_LENGTH = 256;
/** Longest attribute name (the config's claim-name limit). */
export const MAX_ATTRIBUTE_NAME_LENGTH = 256;
/** Longest single attribute value. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 4096;

/** Everything the post-checks compare against. */
export interface AssertionContext {
  entityId: string;
  acsUrl: string;
  spEntityId: string;
  expectedInResponseTo: string | undefined;
  /** Epoch seconds. */
  now: number;
  clockSkewSeconds: number;
  maxValiditySeconds: number;
  maxAuthnAgeSeconds: number | undefined;
  /** Whether the Response itself carried a verified signature (then Destination is required). */
  responseSigned: boolean;
}

const A = NS.assertion;

/**
 * The post-checks of SECURITY.md §2.6 on the Assertion whose signature (or whose Response's
 * signature) has just been verified, and the identity read from that same element. `response` is
 * read only to refuse (its Issuer, Destination and InResponseTo), never for identity.
 * @throws saml_issuer_invalid, saml_destination_invalid, saml_conditions_invalid,
 * saml_not_yet_valid, saml_expired, saml_audience_invalid, saml_subject_invalid,
 * saml_recipient_invalid, saml_in_response_to_invalid, saml_authn_too_old, saml_attribute_invalid,
 * saml_structure_invalid (malformed times, AuthnStatement count).
 */
export const verifyAssertionContent = (
  response: Element,
  assertion: Element,
  ctx: AssertionContext,
): VerifiedAssertion => {
  const { now, clockSkewSeconds: skew } = ctx;
  // SAML Core §2.5.1.2: valid at or after NotBefore, invalid at or after NotOnOrAfter; skew both ways.
  const checkWindow = (
    notBefore: number | undefined,
    notOnOrAfter: number | undefined,
    what: string,
  ) => {
    if (notBefore !== undefined && now + skew < notBefore) {
      throw new SamlNotYetValidError(
        `${what} is ${notBefore - now}s in the future (skew ${skew}s)`,
      );
    }
    if (notOnOrAfter !== undefined && now - skew >= notOnOrAfter) {
      throw new SamlExpiredError(`${what} passed ${now - notOnOrAfter}s ago (skew ${skew}s)`);
    }
  };

  // Issuer: the assertion's (signed) and the Response's if present.
  checkIssuer(childNamed(assertion, A, 'Issuer') as Element, 'Assertion', ctx.entityId);
  const responseIssuer = childNamed(response, A, 'Issuer');
  if (responseIssuer) checkIssuer(responseIssuer, 'Response', ctx.entityId);

  // SAML Bindings §3.5.5.2: a signed POST message must carry Destination; if present it must match.
  const destination = attrOf(response, 'Destination');
  if (destination === undefined ? ctx.responseSigned : destination !== ctx.acsUrl) {
    throw new SamlDestinationInvalidError(
      destination === undefined
        ? 'signed Response has no Destination'
        : 'Destination is not this ACS URL',
    );
  }

  const issueInstant = parseInstant(
    attrOf(assertion, 'IssueInstant'),
    'Assertion IssueInstant',
  ) as number;
  parseInstant(attrOf(response, 'IssueInstant'), 'Response IssueInstant');
  checkWindow(issueInstant, undefined, 'Assertion IssueInstant');

  // Conditions: required; only AudienceRestriction and OneTimeUse are understood (SAML Core
  // §2.5.1: a condition the relying party does not understand makes the assertion invalid).
  const conditions = childNamed(assertion, A, 'Conditions');
  if (!conditions) throw new SamlConditionsInvalidError('assertion has no Conditions');
  if (childNamed(conditions, A, 'ProxyRestriction')) {
    // fedgate mints its own assertion from this one: exactly what ProxyRestriction limits.
    throw new SamlConditionsInvalidError('ProxyRestriction is not supported');
  }
  const oneTimeUse = childrenNamed(conditions, A, 'OneTimeUse').length;
  if (oneTimeUse > 1) throw new SamlConditionsInvalidError('more than one OneTimeUse');
  const notBefore = parseInstant(attrOf(conditions, 'NotBefore'), 'Conditions NotBefore');
  const conditionsNotOnOrAfter = parseInstant(
    attrOf(conditions, 'NotOnOrAfter'),
    'Conditions NotOnOrAfter',
  );
  if (notBefore !== undefined && conditionsNotOnOrAfter !== undefined) {
    if (conditionsNotOnOrAfter <= notBefore) {
      throw new SamlConditionsInvalidError('Conditions NotOnOrAfter is not after NotBefore');
    }
    if (conditionsNotOnOrAfter - notBefore > ctx.maxValiditySeconds) {
      throw new SamlConditionsInvalidError(
        `Conditions window of ${conditionsNotOnOrAfter - notBefore}s exceeds ${ctx.maxValiditySeconds}s`,
      );
    }
  }
  checkWindow(notBefore, undefined, 'Conditions NotBefore');
  checkWindow(undefined, conditionsNotOnOrAfter, 'Conditions NotOnOrAfter');

  // Audience: required; every AudienceRestriction must name us (SAML Core §2.5.1.4).
  const restrictions = childrenNamed(conditions, A, 'AudienceRestriction');
  if (restrictions.length === 0) throw new SamlAudienceInvalidError('no AudienceRestriction');
  for (const restriction of restrictions) {
    if (!childrenNamed(restriction, A, 'Audience').some((a) => textOf(a) === ctx.spEntityId)) {
      throw new SamlAudienceInvalidError('an AudienceRestriction does not name this SP');
    }
  }

  // Subject: NameID, and exactly one bearer confirmation (SAML Profiles §4.1.4.2).
  const subject = childNamed(assertion, A, 'Subject');
  if (!subject) throw new SamlSubjectInvalidError('assertion has no Subject');
  const nameIdElement = childNamed(subject, A, 'NameID');
  if (!nameIdElement) throw new SamlSubjectInvalidError('Subject has no NameID');
  const subjectError = (detail: string) => new SamlSubjectInvalidError(detail);
  const nameId = checkValue(
    textOf(nameIdElement),
    'NameID',
    { max: MAX_NAME_ID_LENGTH, nonEmpty: true },
    subjectError,
  );
  const nameIdFormat = attrOf(nameIdElement, 'Format');
  const confirmations = childrenNamed(subject, A, 'SubjectConfirmation');
  if (confirmations.length !== 1) {
    throw new SamlSubjectInvalidError(
      `${confirmations.length} SubjectConfirmation elements (want 1)`,
    );
  }
  const confirmation = confirmations[0] as Element;
  if (attrOf(confirmation, 'Method') !== CM_BEARER) {
    throw new SamlSubjectInvalidError('SubjectConfirmation Method is not bearer');
  }
  const data = childNamed(confirmation, A, 'SubjectConfirmationData');
  if (!data) throw new SamlSubjectInvalidError('bearer SubjectConfirmation has no data');
  if (attrOf(data, 'Recipient') !== ctx.acsUrl) {
    throw new SamlRecipientInvalidError('SubjectConfirmationData Recipient is not this ACS URL');
  }
  const dataNotOnOrAfter = parseInstant(
    attrOf(data, 'NotOnOrAfter'),
    'SubjectConfirmationData NotOnOrAfter',
  );
  if (dataNotOnOrAfter === undefined) {
    throw new SamlSubjectInvalidError('SubjectConfirmationData has no NotOnOrAfter');
  }
  checkWindow(
    parseInstant(attrOf(data, 'NotBefore'), 'SubjectConfirmationData NotBefore'),
    undefined,
    'SubjectConfirmationData NotBefore',
  );
  checkWindow(undefined, dataNotOnOrAfter, 'SubjectConfirmationData NotOnOrAfter');

  // InResponseTo: an SP-initiated answer names our request in both places; an unsolicited
  // response names none (one that does was minted for someone else's request).
  const responseInResponseTo = attrOf(response, 'InResponseTo');
  const dataInResponseTo = attrOf(data, 'InResponseTo');
  if (ctx.expectedInResponseTo !== undefined) {
    if (
      responseInResponseTo !== ctx.expectedInResponseTo ||
      dataInResponseTo !== ctx.expectedInResponseTo
    ) {
      throw new SamlInResponseToInvalidError('InResponseTo does not name the pending AuthnRequest');
    }
  } else if (responseInResponseTo !== undefined || dataInResponseTo !== undefined) {
    throw new SamlInResponseToInvalidError('unsolicited response carries an InResponseTo');
  }

  // Authentication: one AuthnStatement (SAML Profiles §4.1.4.2), age policy, session limit.
  const statements = childrenNamed(assertion, A, 'AuthnStatement');
  if (statements.length !== 1) {
    throw new SamlStructureInvalidError(`${statements.length} AuthnStatement elements (want 1)`);
  }
  const statement = statements[0] as Element;
  const authnInstant = parseInstant(attrOf(statement, 'AuthnInstant'), 'AuthnInstant') as number;
  checkWindow(authnInstant, undefined, 'AuthnInstant');
  if (ctx.maxAuthnAgeSeconds !== undefined && now - authnInstant > ctx.maxAuthnAgeSeconds + skew) {
    throw new SamlAuthnTooOldError(
      `AuthnInstant is ${Math.round(now - authnInstant)}s old (max ${ctx.maxAuthnAgeSeconds}s)`,
    );
  }
  const sessionNotOnOrAfter = parseInstant(
    attrOf(statement, 'SessionNotOnOrAfter'),
    'SessionNotOnOrAfter',
  );
  checkWindow(undefined, sessionNotOnOrAfter, 'SessionNotOnOrAfter');
  const attributeError = (detail: string) => new SamlAttributeInvalidError(detail);
  const sessionIndex = optionalValue(
    attrOf(statement, 'SessionIndex'),
    'SessionIndex',
    subjectError,
  );
  const classRefElement = childNamed(
    childNamed(statement, A, 'AuthnContext') as Element,
    A,
    'AuthnContextClassRef',
  );
  const authnContextClassRef = optionalValue(
    classRefElement && textOf(classRefElement),
    'AuthnContextClassRef',
    subjectError,
  );

  // Attributes: names unique across statements, values text only (the structure step refused
  // element content), no control or format characters.
  const attributes = new Map<string, string[]>();
  for (const attributeStatement of childrenNamed(assertion, A, 'AttributeStatement')) {
    for (const attribute of childrenNamed(attributeStatement, A, 'Attribute')) {
      const name = checkValue(
        attrOf(attribute, 'Name') as string,
        'Attribute Name',
        { max: MAX_ATTRIBUTE_NAME_LENGTH, nonEmpty: true },
        attributeError,
      );
      if (attributes.has(name)) {
        throw new SamlAttributeInvalidError(`attribute ${JSON.stringify(name)} appears twice`);
      }
      attributes.set(
        name,
        childrenNamed(attribute, A, 'AttributeValue').map((v) =>
          checkValue(
            textOf(v),
            `a value of ${JSON.stringify(name)}`,
            { max: MAX_ATTRIBUTE_VALUE_LENGTH, nonEmpty: false },
            attributeError,
          ),
        ),
      );
    }
  }

  // Policy: the assertion is usable for at most maxValiditySeconds after it was issued.
  const notOnOrAfter = Math.min(conditionsNotOnOrAfter ?? dataNotOnOrAfter, dataNotOnOrAfter);
  if (notOnOrAfter - issueInstant > ctx.maxValiditySeconds) {
    throw new SamlConditionsInvalidError(
      `assertion valid for ${notOnOrAfter - issueInstant}s after issue (max ${ctx.maxValiditySeconds}s)`,
    );
  }

  const inResponseTo = dataInResponseTo;
  const responseId = attrOf(response, 'ID');
  return {
    assertionId: attrOf(assertion, 'ID') as string,
    issuer: ctx.entityId,
    nameId,
    ...(nameIdFormat !== undefined ? { nameIdFormat } : {}),
    ...(sessionIndex !== undefined ? { sessionIndex } : {}),
    ...(inResponseTo !== undefined ? { inResponseTo } : {}),
    notOnOrAfter,
    authnInstant,
    ...(authnContextClassRef !== undefined ? { authnContextClassRef } : {}),
    // fromEntries defines own properties: an attribute named "__proto__" stays a plain key.
    attributes: Object.freeze(Object.fromEntries(attributes)),
    ...(responseId !== undefined ? { responseId } : {}),
    ...(sessionNotOnOrAfter !== undefined ? { sessionNotOnOrAfter } : {}),
    ...(oneTimeUse > 0 ? { oneTimeUse: true } : {}),
  };
};

const checkIssuer = (issuer: Element, where: string, entityId: string): void => {
  const format = attrOf(issuer, 'Format');
  if (format !== undefined && format !== NAMEID_ENTITY) {
    throw new SamlIssuerInvalidError(`${where} Issuer Format is not entity`);
  }
  if (textOf(issuer) !== entityId) {
    throw new SamlIssuerInvalidError(`${where} Issuer is not the configured entity id`);
  }
};

const optionalValue = (
  value: string | undefined,
  what: string,
  fail: (detail: string) => SamlSubjectInvalidError,
): string | undefined =>
  value === undefined ? undefined : checkValue(value, what, { max: 1024, nonEmpty: true }, fail);
