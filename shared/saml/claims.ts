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
/** The claim fedgate adds for the NameID. */
export const NAME_ID_CLAIM = 'nameId';

const ENTRA_ISSUER = /^https:\/\/sts\.windows\.net\/([0-9A-Fa-f-]{36})\/$/;

/**
 * Turns a verified assertion into the Identity the mapping engine reads:
 * - claims: every attribute under the name it was sent with; each alias of `idp.claimAliases` as
 *   the union (in order, without repeats) of the values of the claims it lists, replacing an
 *   attribute of the same name and omitted when none of them was sent; and `nameId`, the NameID
 *   (which replaces an attribute named `nameId`);
 * - subject: the single value of `idp.subjectClaim` (an attribute or alias name), or the NameID
 *   when the IdP sets none;
 * - Entra ID group overage (`groups.link` sent instead of groups): with a directory, the groups
 *   claim and its aliases are marked `groupsOverage` (filled from the directory's memberships
 *   when the rules run); without one refused, never read as "no groups";
 * - `saml.allowedTenants`: the tenantid claim must be present, single, allowed, and the issuer
 *   must be `https://sts.windows.net/<that tenant>/`.
 * @throws saml_group_overage (SamlGroupOverageError)
 * @throws saml_tenant_not_allowed (SamlTenantNotAllowedError)
 * @throws saml_subject_invalid (SamlSubjectInvalidError) when the subject claim is missing,
 * empty or has more than one value.
 * @example mapSamlIdentity(idp, verifier.verify(input)).subject // Entra: the object id
 */
export const mapSamlIdentity = (idp: SamlIdpConfig, assertion: VerifiedAssertion): Identity => {
  const sent = assertion.attributes;
  const overage = Object.hasOwn(sent, ENTRA_GROUPS_LINK_CLAIM);
  // Without a directory the groups are known nowhere: refuse, never read as "no groups".
  if (overage && idp.directory === undefined) {
    throw new SamlGroupOverageError(
      'the IdP sent a groups link instead of the groups (Entra ID overage): provision this IdP (directory.scim) so fedgate reads the groups from its directory, or limit the groups emitted to this application',
    );
  }
  checkTenant(idp, assertion);

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
    subject,
    claims: Object.freeze(Object.fromEntries(claims)),
    ...(assertion.authnInstant !== undefined ? { authTime: assertion.authnInstant } : {}),
    ...(overageClaims.length > 0 ? { groupsOverage: overageClaims } : {}),
  };
};

const checkTenant = (idp: SamlIdpConfig, assertion: VerifiedAssertion): void => {
  const allowed = idp.saml.allowedTenants;
  if (allowed === undefined) return;
  const values = Object.hasOwn(assertion.attributes, ENTRA_TENANT_CLAIM)
    ? assertion.attributes[ENTRA_TENANT_CLAIM]
    : undefined;
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
