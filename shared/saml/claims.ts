import type { SamlIdpConfig } from '../config/index.js';
import type { Identity } from '../mapping/index.js';
import {
  SamlGroupOverageError,
  SamlSubjectInvalidError,
  SamlTenantNotAllowedError,
} from './errors.js';
import type { VerifiedAssertion } from './types.js';

/** Entra ID puts this in place of the groups claim when a user has more than 150 groups. */
export const ENTRA_GROUPS_LINK_CLAIM = 'http://schemas.microsoft.com/claims/groups.link';
/** Entra ID's groups claim (group object ids), which the groups link replaces on overage. */
export const ENTRA_GROUPS_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
/** Entra ID's tenant id claim. */
export const ENTRA_TENANT_CLAIM = 'http://schemas.microsoft.com/identity/claims/tenantid';
/** Entra ID's object id claim: the immutable user id. */
export const ENTRA_OBJECT_ID_CLAIM =
  'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** The claim fedgate adds for the NameID. */
export const NAME_ID_CLAIM = 'nameId';

const ENTRA_ISSUER = /^https:\/\/sts\.windows\.net\/([0-9A-Fa-f-]{36})\/$/;
// Okta's SAML entity ids: `http://www.okta.com/<app id>` (also on its preview and EMEA cells).
const OKTA_ISSUER = /^https?:\/\/www\.okta(?:preview|-emea)?\.com\//;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Whitespace anywhere (Unicode White_Space: NBSP, ideographic space, …) and what values.ts
// already refuses at verification (controls, format characters, surrogates, line separators).
const NOT_IN_SUBJECT = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * How the IdP's identifiers are normalised, read from the verified (configured) issuer: Entra ID
 * (`https://sts.windows.net/<tenant>/`, or an IdP with `allowedTenants`), Okta
 * (`http://www.okta.com/…`), or generic.
 */
type SubjectProfile = 'entra' | 'okta' | 'generic';

const profileOf = (idp: SamlIdpConfig, assertion: VerifiedAssertion): SubjectProfile => {
  if (idp.saml.allowedTenants !== undefined || ENTRA_ISSUER.test(assertion.issuer)) return 'entra';
  if (OKTA_ISSUER.test(assertion.issuer)) return 'okta';
  return 'generic';
};

const codePoint = (c: string) =>
  `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The subject as fedgate keys the person on it: Okta's ids exactly as issued (case-sensitive);
 * others in Unicode NFC (one person, one spelling). Whitespace or control characters anywhere —
 * leading, trailing or inner — are refused, never trimmed: ` alice` is not silently `alice`.
 */
const normaliseSubject = (profile: SubjectProfile, subject: string): string => {
  const value = profile === 'okta' ? subject : subject.normalize('NFC');
  if (value === '') throw new SamlSubjectInvalidError('the subject is empty');
  const bad = NOT_IN_SUBJECT.exec(value);
  if (bad) {
    throw new SamlSubjectInvalidError(
      `the subject contains ${codePoint(bad[0])} (whitespace or a control character): refused, not trimmed`,
    );
  }
  return value;
};

/**
 * One Entra ID id attribute (object or tenant id) as canonical lower-case GUIDs: Entra compares
 * them case-insensitively, so an upper-cased one is the same person. Anything but a GUID is
 * refused with `fail`.
 */
const canonicalGuids = (
  sent: Readonly<Record<string, readonly string[]>>,
  claim: string,
  fail: (detail: string) => Error,
): Readonly<Record<string, readonly string[]>> => {
  if (!Object.hasOwn(sent, claim)) return sent;
  const values = (sent[claim] as readonly string[]).map((v) => {
    if (!GUID.test(v)) throw fail(`${claim.slice(claim.lastIndexOf('/') + 1)} is not a GUID`);
    return v.toLowerCase();
  });
  return { ...sent, [claim]: values };
};

/**
 * Turns a verified assertion into the Identity the mapping engine reads:
 * - claims: every attribute under the name it was sent with; each alias of `idp.claimAliases` as
 *   the union (in order, without repeats) of the values of the claims it lists, replacing an
 *   attribute of the same name and omitted when none of them was sent; and `nameId`, the NameID
 *   (which replaces an attribute named `nameId`);
 * - Entra ID (issuer `https://sts.windows.net/…` or `allowedTenants` set): the object id and
 *   tenant id attributes as canonical lower-case GUIDs, before aliases read them; not a GUID →
 *   refused;
 * - subject: the single value of `idp.subjectClaim` (an attribute or alias name), or the NameID
 *   when the IdP sets none; Okta's (issuer `http://www.okta.com/…`) exactly as issued, every
 *   other in Unicode NFC; whitespace or control characters anywhere in it → refused, not trimmed;
 * - Entra ID group overage (`groups.link` sent instead of groups): with a directory, the groups
 *   claim and its aliases are marked `groupsOverage` (filled from the directory's memberships
 *   when the rules run); without one refused, never read as "no groups";
 * - `saml.allowedTenants`: the tenantid claim must be present, single, allowed, and the issuer
 *   must be `https://sts.windows.net/<that tenant>/`.
 * @throws saml_group_overage (SamlGroupOverageError)
 * @throws saml_tenant_not_allowed (SamlTenantNotAllowedError)
 * @throws saml_subject_invalid (SamlSubjectInvalidError) when the subject claim is missing,
 * empty or has more than one value, the subject holds whitespace or control characters, or an
 * Entra object id is not a GUID (a tenant id that is not one: saml_tenant_not_allowed).
 * @example mapSamlIdentity(idp, verifier.verify(input)).subject // Entra: the object id
 */
export const mapSamlIdentity = (idp: SamlIdpConfig, assertion: VerifiedAssertion): Identity => {
  const profile = profileOf(idp, assertion);
  let sent = assertion.attributes;
  const overage = Object.hasOwn(sent, ENTRA_GROUPS_LINK_CLAIM);
  // Without a directory the groups are known nowhere: refuse, never read as "no groups".
  if (overage && idp.directory === undefined) {
    throw new SamlGroupOverageError(
      'the IdP sent a groups link instead of the groups (Entra ID overage): provision this IdP (directory.scim) so fedgate reads the groups from its directory, or limit the groups emitted to this application',
    );
  }
  if (profile === 'entra') {
    sent = canonicalGuids(sent, ENTRA_TENANT_CLAIM, (d) => new SamlTenantNotAllowedError(d));
  }
  checkTenant(idp, assertion, sent);
  if (profile === 'entra') {
    sent = canonicalGuids(sent, ENTRA_OBJECT_ID_CLAIM, (d) => new SamlSubjectInvalidError(d));
  }

  const claims = new Map<string, readonly string[]>(Object.entries(sent));
  for (const [alias, sources] of Object.entries(idp.claimAliases)) {
    const values = new Set<string>();
    for (const source of sources) {
      if (Object.hasOwn(sent, source))
        for (const v of sent[source] as readonly string[]) values.add(v);
    }
    if (values.size > 0) claims.set(alias, [...values]);
    else claims.delete(alias);
  }
  claims.set(NAME_ID_CLAIM, [assertion.nameId]);

  let subject = assertion.nameId;
  if (idp.subjectClaim !== undefined) {
    const values = claims.get(idp.subjectClaim);
    if (values === undefined || values.length !== 1 || values[0] === '') {
      throw new SamlSubjectInvalidError(
        `subject claim ${JSON.stringify(idp.subjectClaim)} has ${values === undefined ? 'no' : values.length} value(s) (want exactly 1, non-empty)`,
      );
    }
    subject = values[0] as string;
  }
  // Overage with a directory: the groups claim and every alias of it are filled from the
  // directory's memberships when the rules run (shared/directory/join.ts).
  const overageClaims = overage
    ? [
        ENTRA_GROUPS_CLAIM,
        ...Object.entries(idp.claimAliases)
          .filter(([, sources]) => sources.includes(ENTRA_GROUPS_CLAIM))
          .map(([alias]) => alias),
      ]
    : [];
  return {
    idp: idp.id,
    issuer: assertion.issuer,
    subject: normaliseSubject(profile, subject),
    claims: Object.freeze(Object.fromEntries(claims)),
    ...(assertion.authnInstant !== undefined ? { authTime: assertion.authnInstant } : {}),
    ...(assertion.authnContextClassRef !== undefined
      ? { authMethod: assertion.authnContextClassRef }
      : {}),
    ...(overageClaims.length > 0 ? { groupsOverage: overageClaims } : {}),
  };
};

const checkTenant = (
  idp: SamlIdpConfig,
  assertion: VerifiedAssertion,
  sent: Readonly<Record<string, readonly string[]>>,
): void => {
  const allowed = idp.saml.allowedTenants;
  if (allowed === undefined) return;
  const values = Object.hasOwn(sent, ENTRA_TENANT_CLAIM) ? sent[ENTRA_TENANT_CLAIM] : undefined;
  if (values?.length !== 1) {
    throw new SamlTenantNotAllowedError(
      `tenantid claim has ${values?.length ?? 0} values (want exactly 1)`,
    );
  }
  const tenant = (values[0] as string).toLowerCase();
  if (!allowed.some((t) => t.toLowerCase() === tenant)) {
    throw new SamlTenantNotAllowedError(`tenant ${tenant} is not in the allowlist`);
  }
  const issuerTenant = ENTRA_ISSUER.exec(assertion.issuer)?.[1]?.toLowerCase();
  if (issuerTenant !== tenant) {
    throw new SamlTenantNotAllowedError(`issuer is not https://sts.windows.net/${tenant}/`);
  }
};
