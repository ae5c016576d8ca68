import type {
  DirectoryGroup,
  DirectoryUser,
  GroupEntry,
  IdPage,
  Member,
  OperatorAttributes,
  PersonRecord,
} from './types.js';

/**
 * The directories of the attribute table (`DIR#<idp>#…`): every method is scoped to one IdP, and
 * no key of one IdP's directory can name another's. Writes are idempotent (a repeated add, remove
 * or delete changes nothing more) and batched within DynamoDB's limits.
 */
export interface DirectoryStore {
  /**
   * Creates a user: its userName must be free (case-insensitively) and its subject unused.
   * @throws scim_uniqueness (409) otherwise.
   */
  createUser(idp: string, user: DirectoryUser): Promise<void>;
  /**
   * Replaces a user's profile (same id and subject) if it still has revision `previous`.
   * @returns false when another write came first (the caller re-reads and retries).
   * @throws scim_uniqueness (409) when a new userName is taken.
   */
  replaceUser(idp: string, user: DirectoryUser, previous: DirectoryUser): Promise<boolean>;
  getUser(idp: string, id: string): Promise<DirectoryUser | undefined>;
  getUserBySubject(idp: string, subject: string): Promise<DirectoryUser | undefined>;
  /** The id of the user with this userName (compared case-insensitively). */
  findUserByUserName(idp: string, userName: string): Promise<string | undefined>;
  /** Ids in id order, `startIndex` 1-based (SCIM paging), with the total. */
  listUsers(idp: string, startIndex: number, count: number): Promise<IdPage>;
  /** Deletes the profile first (sign-in refuses at once), then memberships and indexes. */
  deleteUser(idp: string, user: DirectoryUser): Promise<void>;
  /**
   * Finishes a user deletion cut short after the profile went: memberships (unless the subject
   * has a profile again), the catalog item and the userName. @returns false: nothing was left.
   */
  finishUserDeletion(idp: string, id: string): Promise<boolean>;

  createGroup(idp: string, group: DirectoryGroup): Promise<void>;
  replaceGroup(idp: string, group: DirectoryGroup, previous: DirectoryGroup): Promise<void>;
  getGroup(idp: string, id: string): Promise<GroupEntry | undefined>;
  findGroupsByDisplayName(idp: string, displayName: string): Promise<string[]>;
  findGroupsByExternalId(idp: string, externalId: string): Promise<string[]>;
  listGroups(idp: string, startIndex: number, count: number): Promise<IdPage>;
  /**
   * Removes a group: its filter indexes and its place in its parents, then the group from the
   * group list (sign-in ignores it from then on), then its member items.
   */
  deleteGroup(idp: string, group: GroupEntry): Promise<void>;
  /**
   * Finishes a deletion cut short after the group left the list: removes the member items left
   * behind. @returns false when there were none (the group is simply gone).
   */
  finishGroupDeletion(idp: string, groupId: string): Promise<boolean>;
  /** The group's members, at most `limit` (undefined: more than `limit`). */
  listMembers(idp: string, groupId: string, limit: number): Promise<Member[] | undefined>;
  /** What each id is in this directory (a user or a group), for the ids that exist. */
  resolveMembers(idp: string, ids: readonly string[]): Promise<Map<string, Member>>;
  addMembers(idp: string, groupId: string, members: readonly Member[]): Promise<void>;
  removeMembers(idp: string, groupId: string, members: readonly Member[]): Promise<void>;

  /** Sets (undefined: deletes) a person's operator-set attributes. */
  setUserAttributes(
    idp: string,
    subject: string,
    attributes: OperatorAttributes | undefined,
  ): Promise<void>;
  /** Sets (undefined: deletes) a group's operator-set attributes. @returns false: no such group. */
  setGroupAttributes(
    idp: string,
    groupId: string,
    attributes: OperatorAttributes | undefined,
  ): Promise<boolean>;

  /** Sign-in path: one Query of the person's partition. */
  readPerson(idp: string, subject: string): Promise<PersonRecord>;
  /** Sign-in path (cached per container): every group of the IdP with its parents and attributes. */
  readGroups(idp: string): Promise<GroupEntry[]>;
}
