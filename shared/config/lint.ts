import { claimConcern, isEntraShaped } from './claim-trust.js';
import type { GatewayConfig, IdpConfig, Rule } from './gateway-config.js';

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

/**
 * Warnings (not errors) on a validated gateway config: conditions and subject claims keyed on
 * claims the IdP marks mutable or unverified (email, UPN, Entra's name claim URI,
 * preferred_username, display names — following claim aliases), deny conditions that let a
 * missing claim through (`ifMissing: noMatch`), and an Entra SAML IdP left on the NameID. Pure:
 * `fedgate-admin validate` and the local runner print them.
 * @example lintGatewayConfig(config) // [{ path: 'idps[0].rules[2].when[0].claim', message: … }]
 */
export const lintGatewayConfig = (config: GatewayConfig): ConfigWarning[] => [
  ...ruleWarnings(config.gatewayRules, 'gatewayRules', {}),
  ...config.idps.flatMap((idp, i) => [
    ...subjectWarnings(idp, `idps[${i}]`),
    ...ruleWarnings(idp.rules, `idps[${i}].rules`, idp.claimAliases),
  ]),
];
