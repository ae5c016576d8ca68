import { claimConcern, isEntraShaped } from './claim-trust.js';
import {
  type GatewayConfig,
  type IdpConfig,
  type Rule,
  TEMPLATE_PLACEHOLDER,
} from './gateway-config.js';

/** Something valid but risky in a gateway config, by its path in the file. */
export interface ConfigWarning {
  path: string;
  message: string;
}

const CONCERN_TEXT = {
  'email-like':
    'an email or user name, which users or admins can change (and Entra ID does not verify)',
  'name-like': 'a display name, which users can change and others can share',
} as const;

const ruleWarnings = (
  rules: readonly Rule[],
  at: string,
  aliases: Readonly<Record<string, readonly string[]>>,
): ConfigWarning[] =>
  rules.flatMap((rule, i) =>
    rule.when.flatMap((c, j): ConfigWarning[] => {
      const path = `${at}[${i}].when[${j}]`;
      const warnings: ConfigWarning[] = [];
      const concern = claimConcern(c.claim, aliases);
      if (concern) {
        warnings.push({
          path: `${path}.claim`,
          message: `${rule.effect} rule "${rule.id}" keys on "${c.claim}", ${CONCERN_TEXT[concern]}: key authorisation on an immutable identifier or a group`,
        });
      }
      if ('ifMissing' in c && c.ifMissing === 'noMatch') {
        warnings.push({
          path: `${path}.ifMissing`,
          message: `deny rule "${rule.id}" does not hold when "${c.claim}" is missing: anyone whose IdP does not send it escapes the deny`,
        });
      }
      return warnings;
    }),
  );

/** A template's placeholders, by the template grammar (`{{` and `}}` are literal braces). */
const placeholdersOf = (template: string | undefined): string[] =>
  template === undefined
    ? []
    : [...template.replaceAll('{{', '').replaceAll('}}', '').matchAll(TEMPLATE_PLACEHOLDER)].map(
        (m) => m[1] as string,
      );

/** The claims a template reads (`{claims.<name>}`). */
const templateClaims = (template: string | undefined): string[] =>
  placeholdersOf(template).flatMap((p) => (p.startsWith('claims.') ? [p.slice(7)] : []));

/** Whether a template reads the subject itself (`{subject}`: always `<idp>.`-prefixed in tags). */
const readsSubject = (template: string): boolean => placeholdersOf(template).includes('subject');

/**
 * What an IdP's grants carry to AWS from claims that identify a person: in an Entra-shaped IdP a
 * source identity, session name or tag templated from an email or user name (Entra verifies
 * neither: another user given the same value becomes the same person in CloudTrail and to a
 * revocation by SourceIdentity); in any IdP a tag templated from such a claim or from the
 * subject claim without `{subject}` (a tag is not namespaced per IdP, so another IdP sending the
 * same value produces the same tag).
 */
const grantWarnings = (idp: IdpConfig, at: string): ConfigWarning[] => {
  const entra = isEntraShaped(idp);
  const identifying = (claim: string) =>
    claim === idp.subjectClaim || claimConcern(claim, idp.claimAliases) === 'email-like';
  return idp.rules.flatMap((rule, i): ConfigWarning[] => {
    if (rule.effect !== 'allow') return [];
    const path = `${at}.rules[${i}].grant`;
    const warnings: ConfigWarning[] = [];
    if (entra) {
      for (const field of ['sourceIdentity', 'sessionName'] as const) {
        const claim = templateClaims(rule.grant[field]).find(
          (c) => claimConcern(c, idp.claimAliases) === 'email-like',
        );
        if (claim) {
          warnings.push({
            path: `${path}.${field}`,
            message: `rule "${rule.id}" templates ${field} from "${claim}", which Microsoft Entra ID does not verify (any user can be given any email or UPN): another person given the same value gets the same ${field} at AWS (CloudTrail, revocation by SourceIdentity)${field === 'sourceIdentity' ? '; leave sourceIdentity unset (<idp>.<subject ref>)' : '; use {subject}'}`,
          });
        }
      }
    }
    for (const [key, tag] of Object.entries(rule.grant.sessionTags)) {
      const template = typeof tag === 'string' ? tag : tag.value;
      if (readsSubject(template)) continue;
      const claim = templateClaims(template).find(identifying);
      if (claim) {
        warnings.push({
          path: `${path}.sessionTags.${key}`,
          message: `tag "${key}" is templated from "${claim}", which identifies the person but is not namespaced per IdP: another IdP sending the same value gives the same tag${entra && claim !== idp.subjectClaim ? ' (and Entra ID does not verify it)' : ''}; use {subject}, which is prefixed with <idp>.`,
        });
      }
    }
    return warnings;
  });
};

/** The gateway-wide default session name, for an Entra IdP whose allow rules fall back to it. */
const defaultSessionNameWarnings = (config: GatewayConfig): ConfigWarning[] => {
  const claim = templateClaims(config.defaults.sessionName).find(
    (c) => claimConcern(c) === 'email-like',
  );
  if (!claim) return [];
  return config.idps.flatMap((idp) =>
    isEntraShaped(idp) &&
    idp.rules.some((r) => r.effect === 'allow' && r.grant.sessionName === undefined)
      ? [
          {
            path: 'defaults.sessionName',
            message: `the default session name is templated from "${claim}", which Microsoft Entra ID does not verify, and IdP "${idp.id}" uses it: another person given the same value gets the same session name at AWS; use {subject}, or give that IdP's rules a sessionName`,
          },
        ]
      : [],
  );
};

const subjectWarnings = (idp: IdpConfig, at: string): ConfigWarning[] => {
  if (idp.subjectClaim === undefined) {
    // Entra's default NameID is the UPN: mutable. (An email subject in Entra is an error.)
    return idp.protocol === 'saml' && isEntraShaped(idp)
      ? [
          {
            path: `${at}.subjectClaim`,
            message:
              'an Entra ID SAML IdP without subjectClaim keys people on the NameID, by default the UPN, which changes: set subjectClaim to http://schemas.microsoft.com/identity/claims/objectidentifier',
          },
        ]
      : [];
  }
  const concern = claimConcern(idp.subjectClaim, idp.claimAliases);
  return concern
    ? [
        {
          path: `${at}.subjectClaim`,
          message: `the subject claim "${idp.subjectClaim}" is ${CONCERN_TEXT[concern]}: whoever takes it over becomes this person (use the IdP's immutable user id)`,
        },
      ]
    : [];
};

/** A directory that requires provisioned people but has no SCIM client to provision them. */
const directoryWarnings = (idp: IdpConfig, at: string): ConfigWarning[] =>
  idp.directory?.requireProvisioned && !idp.directory.scim
    ? [
        {
          path: `${at}.directory.requireProvisioned`,
          message: `IdP "${idp.id}" requires a provisioned person at sign-in but has no SCIM client (directory.scim): unless people are written into its directory some other way, every sign-in is refused (directory_user_not_provisioned). Add directory.scim, or set requireProvisioned: false`,
        },
      ]
    : [];

/**
 * Warnings (not errors) on a validated gateway config: conditions and subject claims keyed on
 * claims the IdP marks mutable or unverified (email, UPN, Entra's name claim URI,
 * preferred_username, display names — following claim aliases), deny conditions that let a
 * missing claim through (`ifMissing: noMatch`), an Entra SAML IdP left on the NameID, Entra
 * grants whose source identity or session name (their own or the default) is templated from an
 * email or user name, tags templated from a claim that identifies the person without
 * `{subject}`, and a directory requiring provisioned people with no SCIM client to provision them.
 * Pure:
 * `fedgate-admin validate` and the local runner print them.
 * @example lintGatewayConfig(config) // [{ path: 'idps[0].rules[2].when[0].claim', message: … }]
 */
export const lintGatewayConfig = (config: GatewayConfig): ConfigWarning[] => [
  ...ruleWarnings(config.gatewayRules, 'gatewayRules', {}),
  ...config.idps.flatMap((idp, i) => [
    ...subjectWarnings(idp, `idps[${i}]`),
    ...ruleWarnings(idp.rules, `idps[${i}].rules`, idp.claimAliases),
    ...grantWarnings(idp, `idps[${i}]`),
    ...directoryWarnings(idp, `idps[${i}]`),
  ]),
  ...defaultSessionNameWarnings(config),
];
