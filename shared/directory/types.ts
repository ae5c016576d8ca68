/**
 * The directory of one IdP as the attribute table holds it (shared/directory/README.md): people
 * keyed by the IdP's immutable subject, groups, memberships (groups may be members of groups) and
 * operator-set attributes. SCIM resources are kept as provisioned (known attributes only, never a
 * password); what rules read is derived from them at sign-in (./facts.ts).
 */

/** A SCIM resource body in canonical form (attribute names as the schema spells them). */
export type ResourceBody = Record<string, unknown>;

/** A provisioned person. */
export interface DirectoryUser {
  /** The SCIM `id` fedgate issued (a UUID): what the IdP's client addresses. */
  id: string;
  /** The sign-in subject: the IdP settings' `subject.prefix` + `externalId` (shared/config). */
  subject: string;
  externalId: string;
  userName: string;
  /** false: deprovisioned (soft delete); sign-in refused, sessions revoked. */
  active: boolean;
  /** The resource as provisioned: canonical names, known attributes, no id/meta/password. */
  resource: ResourceBody;
  /** ISO 8601. */
  created: string;
  lastModified: string;
  /** Incremented at every write: a replace names the revision it was computed from. */
  revision: number;
}

/** A provisioned group (its members are items of their own). */
export interface DirectoryGroup {
  id: string;
  displayName: string;
  externalId?: string;
  created: string;
  lastModified: string;
}

/** Operator-set attributes (`fedgate-admin attributes`): name → values. */
export type OperatorAttributes = Record<string, string[]>;

/** A group as the sign-in path reads it from the IdP's group list. */
export interface GroupEntry extends DirectoryGroup {
  /** Ids of the groups this group is a member of (nesting). */
  parents: readonly string[];
  attributes: Readonly<OperatorAttributes>;
}

/** What the sign-in path reads for one person: one Query of their partition. */
export interface PersonRecord {
  user: DirectoryUser | undefined;
  attributes: OperatorAttributes | undefined;
  /** The groups the person is a direct member of. */
  groupIds: readonly string[];
}

/** A group member, as the group's items record it. */
export type Member = { type: 'User'; id: string; subject: string } | { type: 'Group'; id: string };

/** A page of ids and how many there are in all (SCIM ListResponse). */
export interface IdPage {
  ids: string[];
  total: number;
}
