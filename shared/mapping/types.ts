import type { AccountProfile, DenyRule, GatewayDefaults, Rule } from '../config/index.js';
import type { RegexEngine } from './regex.js';

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
  /** How they authenticated, as the IdP said (SAML AuthnContextClassRef, OIDC `acr`/`amr`), if known. */
  authMethod?: string;
  /**
   * Claims the IdP could not send because the person has too many groups (Entra ID overage):
   * filled from the directory's groups (shared/directory), or the sign-in is refused.
   */
  groupsOverage?: readonly string[];
  /**
   * Set by {@link applyDirectory} only: for a claim the directory also supplies, the union of
   * both sources, which deny conditions read (a deny cannot be escaped by choosing the source).
   */
  unionClaims?: Readonly<Record<string, readonly string[]>>;
  /** Set by {@link applyDirectory} only: where each claim's values came from, for explain. */
  provenance?: Readonly<Record<string, ClaimSource>>;
  /** Set by {@link applyDirectory} only: group id or name → its `shortName` (tag budget). */
  shortNames?: ReadonlyMap<string, string>;
}

/**
 * Where a claim's values came from: the upstream token, the directory (a SCIM-provisioned
 * attribute, an operator-set one, the person's groups), or both.
 */
export type ClaimSource =
  | 'token'
  | 'directory:scim'
  | 'directory:operator'
  | 'directory:groups'
  | 'token+directory';

/**
 * What the directory says about one person (shared/directory builds it from the attribute table):
 * `directory.<name>` values and where each came from.
 */
export interface DirectoryFacts {
  /** `directory.<name>` → values (`directory.groups`, `directory.department`, `directory.group.<attr>`…). */
  values: Readonly<Record<string, readonly string[]>>;
  sources: Readonly<Record<string, ClaimSource>>;
  /** Group id and group name → the group's `shortName` attribute, where it has one. */
  shortNames: ReadonlyMap<string, string>;
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
  /** Always begins with `<idp>.` (sanitised, at most 64 characters). */
  sessionName: string;
  /**
   * Always set by the mapping engine: `<idp>.<subjectRef>` by default, `<idp>.<rendered
   * template>` when the grant has one (optional in the type only for grants built elsewhere).
   */
  sourceIdentity?: string;
  tags: readonly SessionTag[];
  transitiveTagKeys: readonly string[];
}

/** The rule set the engine compiles once: one IdP's rules plus the gateway-wide settings. */
export interface MapperConfig {
  /** That IdP's rules, in any order: the engine sorts them (priority, then rule id). */
  rules: readonly Rule[];
  /** The gateway-wide deny rules (the config's `gatewayRules`), evaluated with every IdP's. */
  gatewayRules?: readonly DenyRule[];
  /**
   * The RE2 engine for `matches` conditions (`await loadRegexEngine()`); required when a rule
   * has one, so that a sign-in path loads it only for rule sets that use it.
   */
  regex?: RegexEngine;
  /** Gateway defaults: session duration and the session-name template. */
  defaults: GatewayDefaults;
  /** Account profiles, for the alias shown in the role picker. */
  accounts?: readonly AccountProfile[];
}

/** Everything one mapping needs: the rule set and the verified identity. */
export interface MappingInput extends MapperConfig {
  identity: Identity;
}

/** Why a matching allow rule issued no grant (for the logs: names and sizes, never claim values). */
export interface MappingProblem {
  ruleId: string;
  roleArn: string;
  reason: string;
}

/** The outcome of mapping one identity: the grants to offer, or why there are none. */
export interface MappingResult {
  /** In evaluation order (ascending priority, then rule id): the role picker's order. */
  grants: readonly Grant[];
  /** True when a matching deny rule without `roleArns` refused everything. */
  denied: boolean;
  /** Ids of every matching deny rule (`gateway:<id>` for a gateway rule), in evaluation order. */
  deniedBy: readonly string[];
  /** One entry per reason a matching, effective allow rule could not be issued. */
  problems: readonly MappingProblem[];
}
