/**
 * What a verified upstream sign-in says about a person: produced by shared/saml or shared/oidc,
 * consumed by the mapping engine. Claims are always lists of strings (one value: a list of one),
 * already renamed through the IdP's claim aliases (both the alias and the original name are kept).
 */
export interface Identity {
  /** fedgate's id of the upstream IdP (the `{idp}` of the URL it came in on). */
  idp: string;
  /** The upstream issuer (SAML Issuer / OIDC `iss`). */
  issuer: string;
  /** Immutable subject (Entra object id, Okta user id, OIDC `sub`): never a mutable email/UPN. */
  subject: string;
  claims: Readonly<Record<string, readonly string[]>>;
  /** When the person authenticated at the IdP (epoch seconds), if known. */
  authTime?: number;
}

/** One session tag as it will be minted. */
export interface SessionTag {
  key: string;
  value: string;
}

/** One role a person may assume, with everything that will be minted for it. */
export interface Grant {
  /** Opaque, stable id (hash of IdP + role ARN): what a role picker posts, never the ARN. */
  id: string;
  ruleId: string;
  roleArn: string;
  accountId: string;
  /** From the account profiles, if any. */
  accountAlias?: string;
  /** Human label for the role picker (defaults to the role name). */
  label: string;
  durationSeconds: number;
  sessionName: string;
  sourceIdentity?: string;
  tags: readonly SessionTag[];
  transitiveTagKeys: readonly string[];
}
