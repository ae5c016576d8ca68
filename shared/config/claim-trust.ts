/**
 * Which claims say who a person is in a way the person (or an IdP admin, or a tenant's user)
 * can change: authorisation and subjects keyed on them can be taken over by editing a profile.
 * ARCHITECTURE.md §7 and SECURITY.md §2.8: authorise on immutable identifiers (Entra's object id,
 * Okta's user id, OIDC `sub`), never on mutable email/UPN.
 */

const XMLSOAP = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

/**
 * Email and user-name claims: mutable everywhere, and in Entra ID not verified at all (any user
 * can be given any `mail` or `email`, also one of another organisation's domain).
 */
const EMAIL_LIKE = new Set([
  'email',
  'mail',
  'emails',
  'upn',
  'preferred_username',
  'unique_name',
  'username',
  'login',
  `${XMLSOAP}/emailaddress`,
  `${XMLSOAP}/upn`,
  // Entra's SAML "name" claim is the UPN.
  `${XMLSOAP}/name`,
  'http://schemas.xmlsoap.org/claims/EmailAddress',
  'http://schemas.xmlsoap.org/claims/UPN',
]);

/** Display names: mutable, and not unique. */
const NAME_LIKE = new Set([
  'name',
  'given_name',
  'family_name',
  'nickname',
  'displayName',
  'firstName',
  'lastName',
  `${XMLSOAP}/givenname`,
  `${XMLSOAP}/surname`,
  'http://schemas.microsoft.com/identity/claims/displayname',
]);

/** What the IdP-side names a claim stands for (the name itself and the names it aliases). */
const namesOf = (claim: string, aliases: Readonly<Record<string, readonly string[]>>): string[] => [
  claim,
  ...(Object.hasOwn(aliases, claim) ? (aliases[claim] ?? []) : []),
];

/** Why a claim should not key authorisation or identity, or `undefined` when it may. */
export type ClaimConcern = 'email-like' | 'name-like' | undefined;

/**
 * Whether a claim (an alias or the IdP's own name) is an email / user name or a display name,
 * following the IdP's claim aliases (`email: [http://…/emailaddress]` is email-like).
 * @example claimConcern('email', {}) // 'email-like'
 */
export const claimConcern = (
  claim: string,
  aliases: Readonly<Record<string, readonly string[]>> = {},
): ClaimConcern => {
  const names = namesOf(claim, aliases);
  if (names.some((n) => EMAIL_LIKE.has(n))) return 'email-like';
  if (names.some((n) => NAME_LIKE.has(n))) return 'name-like';
  return undefined;
};

/** The parts of an IdP config that tell whether it is Microsoft Entra ID. */
export interface IdpShape {
  protocol: 'saml' | 'oidc';
  subjectClaim?: string | undefined;
  claimAliases?: Readonly<Record<string, readonly string[]>>;
  saml?: { allowedTenants?: readonly string[] | undefined; entityId?: string | undefined };
  oidc?: { profile?: string; issuer?: string };
}

const ENTRA_CLAIM =
  /^http:\/\/schemas\.microsoft\.com\/(identity\/claims|ws\/2008\/06\/identity\/claims|claims)\//;
const ENTRA_HOSTS =
  /^https:\/\/(login\.microsoftonline\.(com|us)|sts\.windows\.net|login\.partner\.microsoftonline\.cn)\//;

/**
 * Whether an IdP is Entra-shaped: OIDC with profile `entra` or a Microsoft issuer, or SAML with
 * `allowedTenants`, a Microsoft entity id, or Entra's claim URIs in its aliases or subject claim.
 */
export const isEntraShaped = (idp: IdpShape): boolean => {
  if (idp.protocol === 'oidc') {
    return idp.oidc?.profile === 'entra' || ENTRA_HOSTS.test(idp.oidc?.issuer ?? '');
  }
  if ((idp.saml?.allowedTenants?.length ?? 0) > 0) return true;
  if (ENTRA_HOSTS.test(idp.saml?.entityId ?? '')) return true;
  const names = [
    ...(idp.subjectClaim ? [idp.subjectClaim] : []),
    ...Object.values(idp.claimAliases ?? {}).flat(),
  ];
  return names.some((n) => ENTRA_CLAIM.test(n));
};

/**
 * The validation error for an IdP's subject claim: in an Entra-shaped IdP an email or user-name
 * claim (email, UPN, preferred_username, the SAML name claim) is refused as the subject, because
 * Entra does not verify them and lets them change (use the object id, `oid` / objectidentifier).
 * @returns the message, or `undefined` when the subject claim is acceptable here.
 */
export const checkSubjectClaim = (idp: IdpShape): string | undefined => {
  if (idp.subjectClaim === undefined || !isEntraShaped(idp)) return undefined;
  if (claimConcern(idp.subjectClaim, idp.claimAliases) !== 'email-like') return undefined;
  return `in Microsoft Entra ID "${idp.subjectClaim}" is neither verified nor immutable (any user can be given any email or UPN): use the object id, ${idp.protocol === 'oidc' ? 'oid' : 'http://schemas.microsoft.com/identity/claims/objectidentifier'}`;
};

/**
 * The validation error for an allow condition in an Entra-shaped IdP keyed on an email or
 * user-name claim: Entra ID verifies neither (any user can be given any `mail`, also of another
 * organisation's domain) and both change, so granting on them lets whoever is given the value
 * take the grant. Deny conditions on them stay warnings (lintGatewayConfig): a deny cannot grant.
 * @returns the message, or `undefined` when the condition may key on this claim here.
 */
export const checkEntraAllowClaim = (
  idp: IdpShape,
  claim: string,
  ruleId: string,
): string | undefined => {
  if (!isEntraShaped(idp)) return undefined;
  if (claimConcern(claim, idp.claimAliases) !== 'email-like') return undefined;
  return `allow rule "${ruleId}" keys on "${claim}", which Microsoft Entra ID neither verifies nor keeps (any user can be given any email or UPN): grant on a group, an app role or the object id (${idp.protocol === 'oidc' ? 'groups, roles, oid' : 'the groups, role or objectidentifier claim'})`;
};
