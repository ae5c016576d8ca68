import type { ClaimSource, DirectoryFacts } from '../mapping/index.js';
import type { GroupEntry, OperatorAttributes, PersonRecord, ResourceBody } from './types.js';

/** The most groups one person's transitive memberships may reach: more is refused, not cut. */
export const MAX_TRANSITIVE_GROUPS = 10_000;

/** The group attribute that names a group's short form in tags (`fit.shortNames`). */
export const SHORT_NAME_ATTRIBUTE = 'shortName';

/** Names rules read the person's groups under; operator attributes cannot take them. */
export const RESERVED_DIRECTORY_NAMES = ['groups', 'groupIds', 'groupNames'] as const;

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const asString = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;
const valuesOf = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.flatMap((item) =>
        item !== null && typeof item === 'object'
          ? (asString((item as Record<string, unknown>).value) ?? [])
          : [],
      )
    : [];

/**
 * The attributes of a SCIM user that rules read, by `directory.<name>`: single-valued core
 * attributes by their name, `name.givenName`/`familyName` as `givenName`/`familyName`, the values
 * of `emails`, `roles`, `entitlements` (and `email`: the primary, or only, email), the enterprise
 * extension's attributes by their name (`manager` is the manager's id), and `externalId`,
 * `userName`, `active` (`"true"`/`"false"`).
 */
export const scimAttributesOf = (
  resource: ResourceBody,
  user: { userName: string; externalId: string; active: boolean },
): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) out[name] = [value];
  };
  set('userName', user.userName);
  set('externalId', user.externalId);
  set('active', String(user.active));
  for (const n of [
    'displayName',
    'nickName',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
    'profileUrl',
  ]) {
    set(n, asString(resource[n]));
  }
  const name = resource.name as Record<string, unknown> | undefined;
  set('givenName', asString(name?.givenName));
  set('familyName', asString(name?.familyName));
  for (const n of ['emails', 'roles', 'entitlements']) {
    const values = valuesOf(resource[n]);
    if (values.length > 0) out[n] = values;
  }
  const emails = Array.isArray(resource.emails)
    ? (resource.emails as Record<string, unknown>[])
    : [];
  set('email', asString((emails.find((e) => e.primary === true) ?? emails[0])?.value));
  const enterprise = resource[ENTERPRISE] as Record<string, unknown> | undefined;
  if (enterprise) {
    for (const n of ['employeeNumber', 'costCenter', 'organization', 'division', 'department']) {
      set(n, asString(enterprise[n]));
    }
    set('manager', asString((enterprise.manager as Record<string, unknown> | undefined)?.value));
  }
  return out;
};

/** The groups a person is in, directly or through nesting: `undefined` past the limit. */
export const transitiveGroups = (
  direct: readonly string[],
  groups: ReadonlyMap<string, GroupEntry>,
  limit = MAX_TRANSITIVE_GROUPS,
): GroupEntry[] | undefined => {
  const seen = new Set<string>();
  const out: GroupEntry[] = [];
  const queue = [...direct];
  // Breadth-first with a visited set: cycles (which SCIM clients can create) end, each group once.
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const group = groups.get(id);
    // A membership of a group no longer listed (deleted, its clean-up unfinished) counts for nothing.
    if (!group) continue;
    out.push(group);
    if (out.length > limit) return undefined;
    for (const parent of group.parents) if (!seen.has(parent)) queue.push(parent);
  }
  return out;
};

/**
 * What the directory says about one person, as `directory.<name>` values (shared/directory/README.md):
 * - `groups`: the transitive groups' ids as the IdP knows them (SCIM `externalId`, e.g. Entra
 *   object ids, else fedgate's id), `groupIds`: fedgate's SCIM ids, `groupNames`: display names;
 * - `group.<attr>`: the union of an operator-set attribute over those groups;
 * - the SCIM attributes ({@link scimAttributesOf});
 * - operator-set attributes, which win over a SCIM attribute of the same name.
 * `undefined` when the memberships reach more than {@link MAX_TRANSITIVE_GROUPS} groups.
 */
export const buildDirectoryFacts = (
  person: PersonRecord,
  groups: ReadonlyMap<string, GroupEntry>,
): DirectoryFacts | undefined => {
  const values: Record<string, string[]> = {};
  const sources: Record<string, ClaimSource> = {};
  const put = (name: string, v: readonly string[], source: ClaimSource) => {
    if (v.length === 0) return;
    values[`directory.${name}`] = [...v];
    sources[`directory.${name}`] = source;
  };
  if (person.user) {
    const scim = scimAttributesOf(person.user.resource, person.user);
    for (const [name, v] of Object.entries(scim)) put(name, v, 'directory:scim');
  }
  for (const [name, v] of Object.entries(person.attributes ?? ({} as OperatorAttributes))) {
    if (
      (RESERVED_DIRECTORY_NAMES as readonly string[]).includes(name) ||
      name.startsWith('group.')
    ) {
      continue;
    }
    put(name, v, 'directory:operator');
  }
  const member = transitiveGroups(person.groupIds, groups);
  if (member === undefined) return undefined;
  const shortNames = new Map<string, string>();
  const groupAttributes = new Map<string, Set<string>>();
  for (const g of member) {
    const short = g.attributes[SHORT_NAME_ATTRIBUTE]?.[0];
    if (short !== undefined) {
      shortNames.set(g.externalId ?? g.id, short);
      shortNames.set(g.id, short);
      shortNames.set(g.displayName, short);
    }
    for (const [name, v] of Object.entries(g.attributes)) {
      const set = groupAttributes.get(name) ?? new Set<string>();
      for (const value of v) set.add(value);
      groupAttributes.set(name, set);
    }
  }
  put('groups', [...new Set(member.map((g) => g.externalId ?? g.id))], 'directory:groups');
  put(
    'groupIds',
    member.map((g) => g.id),
    'directory:groups',
  );
  put('groupNames', [...new Set(member.map((g) => g.displayName))], 'directory:groups');
  for (const [name, set] of groupAttributes) put(`group.${name}`, [...set], 'directory:groups');
  return { values, sources, shortNames };
};
