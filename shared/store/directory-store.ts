import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { type Clock, systemClock } from '../clock.js';
import type { DirectoryStore } from '../directory/ports.js';
import type {
  DirectoryGroup,
  DirectoryUser,
  GroupEntry,
  Member,
  OperatorAttributes,
} from '../directory/types.js';
import { GatewayMisconfiguredError } from '../http/errors.js';
import { eachLimited } from '../limited.js';
import { scimBadRequest } from '../scim/errors.js';
import { chunk, getAll, writeAll } from './batch.js';
import { isConditionalCheckFailed, translateDynamoError } from './errors.js';
import { queryAll } from './paginate.js';
import type { DynamoPort } from './ports.js';
import { ATTRIBUTE_KEY_PREFIXES } from './table-schema.js';

type Item = Record<string, AttributeValue>;

/**
 * The directory's item layout in the attribute table, one IdP at a time (shared/directory/README.md):
 *
 * | pk | sk | holds |
 * |---|---|---|
 * | `DIR#<idp>#USER#<subject>` | `A#PROFILE` | the SCIM user (`doc`), `rev` |
 * | `DIR#<idp>#USER#<subject>` | `A#OPERATOR` | operator-set attributes (`doc`) |
 * | `DIR#<idp>#USER#<subject>` | `M#<group id>` | a direct membership |
 * | `DIR#<idp>#USERS` | `<user id>` | `subject`, `userName`: id lookup and listing |
 * | `DIR#<idp>#USERNAME#<folded userName>` | `A#` | `id`: userName uniqueness and filter |
 * | `DIR#<idp>#GROUPS` | `<group id>` | the group: names, `parents` (SS), `attrs` |
 * | `DIR#<idp>#GROUP#<group id>` | `U#<user id>` / `G#<group id>` | a member (`subject` for users) |
 * | `DIR#<idp>#GROUPNAME#<folded name>` | `<group id>` | displayName filter |
 * | `DIR#<idp>#GROUPEXT#<externalId>` | `<group id>` | externalId filter |
 *
 * A person's sign-in reads their partition (one Query) and the IdP's group list (one Query,
 * cached per container), and never scans.
 */
export const DIRECTORY_SK = {
  profile: 'A#PROFILE',
  operator: 'A#OPERATOR',
  index: 'A#',
  memberOf: 'M#',
  userMember: 'U#',
  groupMember: 'G#',
} as const;

const DIR = ATTRIBUTE_KEY_PREFIXES.directory;

/** Partition keys of one IdP's directory. */
export const directoryKeys = {
  person: (idp: string, subject: string) => `${DIR}${idp}#USER#${subject}`,
  users: (idp: string) => `${DIR}${idp}#USERS`,
  userName: (idp: string, userName: string) => `${DIR}${idp}#USERNAME#${foldName(userName)}`,
  groups: (idp: string) => `${DIR}${idp}#GROUPS`,
  group: (idp: string, groupId: string) => `${DIR}${idp}#GROUP#${groupId}`,
  groupName: (idp: string, name: string) => `${DIR}${idp}#GROUPNAME#${foldName(name)}`,
  groupExternalId: (idp: string, externalId: string) => `${DIR}${idp}#GROUPEXT#${externalId}`,
};

/** userName and displayName compare case-insensitively (RFC 7643: caseExact false). */
export const foldName = (value: string): string => value.normalize('NFKC').toLowerCase();

/** DynamoDB's largest partition key value, in bytes of UTF-8. */
const MAX_PARTITION_KEY_BYTES = 2048;

/** Whether a partition key fits DynamoDB (a name that NFKC folds into many characters may not). */
const fits = (pk: string): boolean => Buffer.byteLength(pk, 'utf8') <= MAX_PARTITION_KEY_BYTES;

/**
 * Refuses, before anything is written, a name whose index key would not fit: DynamoDB would
 * answer with a ValidationException (a 500) part-way through a multi-item change.
 * @throws scim_invalid_value (400).
 */
const requireFit = (pk: string, what: string): void => {
  if (!fits(pk)) {
    throw scimBadRequest('invalidValue', `${what} is too long once case-folded (NFKC)`);
  }
};

/** The most parallel batch calls one write makes: fast, yet within a table's burst. */
const CONCURRENCY = 4;

const key = (pk: string, sk: string): Item => ({ pk: { S: pk }, sk: { S: sk } });

const invalid = (item: Item, why: string) =>
  new GatewayMisconfiguredError(`directory item ${item.pk?.S ?? '?'}/${item.sk?.S ?? '?'} ${why}`);

const parseDoc = <T>(item: Item): T => {
  try {
    const doc: unknown = JSON.parse(item.doc?.S ?? '');
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
      throw new Error('not an object');
    return doc as T;
  } catch {
    throw invalid(item, 'has no readable doc');
  }
};

const userOf = (item: Item): DirectoryUser => {
  const doc = parseDoc<DirectoryUser>(item);
  if (
    typeof doc.id !== 'string' ||
    typeof doc.subject !== 'string' ||
    typeof doc.active !== 'boolean'
  ) {
    throw invalid(item, 'is not a directory user');
  }
  return { ...doc, revision: Number(item.rev?.N ?? 0) };
};

const attributesOf = (item: Item): OperatorAttributes => {
  const doc = parseDoc<Record<string, unknown>>(item);
  const out: OperatorAttributes = {};
  for (const [name, values] of Object.entries(doc)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw invalid(item, 'has attributes that are not lists of strings');
    }
    out[name] = values as string[];
  }
  return out;
};

const groupOf = (item: Item): GroupEntry => {
  const id = item.sk?.S ?? '';
  const displayName = item.displayName?.S;
  if (!id || displayName === undefined) throw invalid(item, 'is not a directory group');
  let attributes: OperatorAttributes = {};
  if (item.attrs?.S !== undefined) attributes = attributesOf({ ...item, doc: item.attrs });
  return {
    id,
    displayName,
    ...(item.externalId?.S !== undefined ? { externalId: item.externalId.S } : {}),
    created: item.created?.S ?? '',
    lastModified: item.modified?.S ?? '',
    parents: item.parents?.SS ?? [],
    attributes,
  };
};

/** Members by kind: users (with their subjects) and group ids. */
const split = (members: readonly Member[]) => ({
  users: members.flatMap((m) => (m.type === 'User' ? [m] : [])),
  groups: members.flatMap((m) => (m.type === 'Group' ? [m.id] : [])),
});

/**
 * The directory store on the attribute table (see {@link DIRECTORY_SK} for the layout).
 * Memberships are written from both sides (the group's `U#`/`G#` item and the person's `M#` item)
 * with BatchWriteItem, 25 items a call, a few calls in parallel; puts and deletes are idempotent,
 * so a retried request converges. No transactions (dynalite has none): every multi-item change is
 * ordered so that a crash between two writes leaves nothing a sign-in would read as more access
 * (a profile is deleted before its memberships; a group leaves the group list before its members
 * go; a membership nobody can resolve to a listed group is ignored).
 * @throws temporarily_unavailable, server_error (a table item that fails validation).
 */
export const createDynamoDirectoryStore = ({
  client,
  tableName,
  clock = systemClock,
}: {
  client: DynamoPort;
  tableName: string;
  /** The clock `updatedAt` and `modified` are stamped with (shared/clock.ts), written as ISO 8601. */
  clock?: Clock;
}): DirectoryStore => {
  const now = () => new Date(clock()).toISOString();
  const run = async <T>(call: () => Promise<T>, operation: string): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw translateDynamoError(err, operation);
    }
  };
  const getItem = async (pk: string, sk: string): Promise<Item | undefined> =>
    (
      await run(
        () =>
          client.send(
            new GetItemCommand({ TableName: tableName, Key: key(pk, sk), ConsistentRead: true }),
          ),
        'GetItem',
      )
    ).Item;
  const deleteItem = async (pk: string, sk: string) =>
    run(
      () => client.send(new DeleteItemCommand({ TableName: tableName, Key: key(pk, sk) })),
      'DeleteItem',
    );
  const conditionalPut = async (item: Item, condition: string, values?: Item): Promise<boolean> => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw translateDynamoError(err, 'PutItem');
    }
  };
  const write = async (requests: WriteRequest[]) => {
    await eachLimited(chunk(requests, 25), CONCURRENCY, (batch) =>
      writeAll(client, tableName, batch),
    );
  };
  const queryPartition = (pk: string, opts: { prefix?: string; projection?: string } = {}) =>
    queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: opts.prefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
      ExpressionAttributeValues: {
        ':pk': { S: pk },
        ...(opts.prefix ? { ':p': { S: opts.prefix } } : {}),
      },
      ConsistentRead: true,
      ...(opts.projection ? { ProjectionExpression: opts.projection } : {}),
    });

  /**
   * Claims a userName for a user id: free, already this user's, or held by an index item whose
   * user no longer exists (a crashed create). False: another user holds it.
   */
  const claimUserName = async (idp: string, userName: string, id: string): Promise<boolean> => {
    const pk = directoryKeys.userName(idp, userName);
    const item: Item = { pk: { S: pk }, sk: { S: DIRECTORY_SK.index }, id: { S: id } };
    if (await conditionalPut(item, 'attribute_not_exists(pk) OR id = :id', { ':id': { S: id } })) {
      return true;
    }
    const holder = (await getItem(pk, DIRECTORY_SK.index))?.id?.S;
    if (holder === undefined) return claimUserName(idp, userName, id);
    if (await getItem(directoryKeys.users(idp), holder)) return false;
    return conditionalPut(item, 'id = :old', { ':old': { S: holder } });
  };
  const releaseUserName = async (idp: string, userName: string, id: string) => {
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: key(directoryKeys.userName(idp, userName), DIRECTORY_SK.index),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': { S: id } },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw translateDynamoError(err, 'DeleteItem');
    }
  };
  const profileItem = (idp: string, user: DirectoryUser, revision: number): Item => {
    const { revision: _r, ...doc } = user;
    return {
      ...key(directoryKeys.person(idp, user.subject), DIRECTORY_SK.profile),
      kind: { S: 'dir-user' },
      doc: { S: JSON.stringify(doc) },
      rev: { N: String(revision) },
      updatedAt: { S: now() },
    };
  };
  const catalogItem = (idp: string, user: DirectoryUser): Item => ({
    ...key(directoryKeys.users(idp), user.id),
    subject: { S: user.subject },
    userName: { S: user.userName },
  });
  const groupIndexes = (idp: string, group: DirectoryGroup): Item[] => [
    key(directoryKeys.groupName(idp, group.displayName), group.id),
    ...(group.externalId
      ? [key(directoryKeys.groupExternalId(idp, group.externalId), group.id)]
      : []),
  ];
  const listIds = async (pk: string, startIndex: number, count: number) => {
    const items = await queryPartition(pk, { projection: 'sk' });
    const ids = items.map((i) => i.sk?.S ?? '').filter(Boolean);
    return { ids: ids.slice(startIndex - 1, startIndex - 1 + count), total: ids.length };
  };
  /** An update of an existing item; false when the item is gone (the condition failed). */
  const updateExisting = async (
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>,
  ): Promise<boolean> => {
    try {
      await client.send(
        new UpdateItemCommand({
          ...input,
          TableName: tableName,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw translateDynamoError(err, 'UpdateItem');
    }
  };
  // A child group that is gone has nothing to record: its update finds no item.
  const updateParents = (idp: string, child: string, parent: string, action: 'ADD' | 'DELETE') =>
    updateExisting({
      Key: key(directoryKeys.groups(idp), child),
      UpdateExpression: `${action} parents :p`,
      ExpressionAttributeValues: { ':p': { SS: [parent] } },
    });
  const touchGroup = (idp: string, groupId: string) =>
    updateExisting({
      Key: key(directoryKeys.groups(idp), groupId),
      UpdateExpression: 'SET modified = :m',
      ExpressionAttributeValues: { ':m': { S: now() } },
    });

  /**
   * Removes a deleted group's member items, the people's memberships of it and its children's
   * parent link; returns how many member items there were.
   */
  const clearMembersOf = async (idp: string, groupId: string): Promise<number> => {
    const partition = directoryKeys.group(idp, groupId);
    const members = await queryPartition(partition);
    const requests: WriteRequest[] = [];
    const children: string[] = [];
    for (const m of members) {
      const sk = m.sk?.S ?? '';
      requests.push({ DeleteRequest: { Key: key(partition, sk) } });
      if (sk.startsWith(DIRECTORY_SK.userMember) && m.subject?.S) {
        requests.push({
          DeleteRequest: {
            Key: key(directoryKeys.person(idp, m.subject.S), `${DIRECTORY_SK.memberOf}${groupId}`),
          },
        });
      } else if (sk.startsWith(DIRECTORY_SK.groupMember)) {
        children.push(sk.slice(DIRECTORY_SK.groupMember.length));
      }
    }
    await write(requests);
    await eachLimited(children, CONCURRENCY, (child) =>
      updateParents(idp, child, groupId, 'DELETE').then(() => undefined),
    );
    return members.length;
  };

  /**
   * A person's memberships: their `M#` items and, given the user id the groups name them by,
   * the groups' `U#` items (without it, leftovers whose groups name a user id gone since).
   */
  const clearMemberships = async (idp: string, subject: string, id?: string) => {
    const person = directoryKeys.person(idp, subject);
    const memberships = await queryPartition(person, {
      prefix: DIRECTORY_SK.memberOf,
      projection: 'pk, sk',
    });
    await write(
      memberships.flatMap((m): WriteRequest[] => {
        const sk = m.sk?.S ?? '';
        const own = { DeleteRequest: { Key: key(person, sk) } };
        if (id === undefined) return [own];
        const groupId = sk.slice(DIRECTORY_SK.memberOf.length);
        const groupSide = key(directoryKeys.group(idp, groupId), `${DIRECTORY_SK.userMember}${id}`);
        return [own, { DeleteRequest: { Key: groupSide } }];
      }),
    );
  };

  /** What a user's deletion removes after the profile: memberships, catalog item, userName. */
  const clearUserRest = async (
    idp: string,
    id: string,
    subject: string,
    userName: string | undefined,
    memberships: boolean,
  ) => {
    if (memberships) await clearMemberships(idp, subject, id);
    await deleteItem(directoryKeys.users(idp), id);
    if (userName !== undefined) await releaseUserName(idp, userName, id);
  };

  return {
    async createUser(idp, user) {
      requireFit(directoryKeys.userName(idp, user.userName), 'userName');
      requireFit(directoryKeys.person(idp, user.subject), 'externalId');
      if (!(await claimUserName(idp, user.userName, user.id))) {
        throw scimBadRequest('uniqueness', 'userName is already in use in this directory');
      }
      await run(
        () =>
          client.send(new PutItemCommand({ TableName: tableName, Item: catalogItem(idp, user) })),
        'PutItem',
      );
      // Memberships under a subject with no profile are a deletion's leftovers (a group PATCH can
      // only name a user once created): a person created again must not inherit them.
      if (!(await getItem(directoryKeys.person(idp, user.subject), DIRECTORY_SK.profile))) {
        await clearMemberships(idp, user.subject);
      }
      const created = await conditionalPut(profileItem(idp, user, 1), 'attribute_not_exists(pk)');
      if (!created) {
        await deleteItem(directoryKeys.users(idp), user.id);
        await releaseUserName(idp, user.userName, user.id);
        throw scimBadRequest('uniqueness', 'externalId is already in use in this directory');
      }
    },

    async replaceUser(idp, user, previous) {
      const renamed = foldName(user.userName) !== foldName(previous.userName);
      if (renamed) requireFit(directoryKeys.userName(idp, user.userName), 'userName');
      if (renamed && !(await claimUserName(idp, user.userName, user.id))) {
        throw scimBadRequest('uniqueness', 'userName is already in use in this directory');
      }
      const written = await conditionalPut(
        profileItem(idp, user, previous.revision + 1),
        'rev = :rev',
        { ':rev': { N: String(previous.revision) } },
      );
      if (!written) {
        if (renamed) await releaseUserName(idp, user.userName, user.id);
        return false;
      }
      await run(
        () =>
          client.send(new PutItemCommand({ TableName: tableName, Item: catalogItem(idp, user) })),
        'PutItem',
      );
      if (renamed) await releaseUserName(idp, previous.userName, user.id);
      return true;
    },

    async getUser(idp, id) {
      const ref = await getItem(directoryKeys.users(idp), id);
      const subject = ref?.subject?.S;
      if (subject === undefined) return undefined;
      const user = await this.getUserBySubject(idp, subject);
      return user?.id === id ? user : undefined;
    },

    async getUserBySubject(idp, subject) {
      const item = await getItem(directoryKeys.person(idp, subject), DIRECTORY_SK.profile);
      return item ? userOf(item) : undefined;
    },

    async findUserByUserName(idp, userName) {
      // No userName is stored under a key DynamoDB cannot hold.
      if (!fits(directoryKeys.userName(idp, userName))) return undefined;
      const id = (await getItem(directoryKeys.userName(idp, userName), DIRECTORY_SK.index))?.id?.S;
      if (id === undefined) return undefined;
      // A stale index item (a crashed create) names nobody.
      return (await getItem(directoryKeys.users(idp), id)) ? id : undefined;
    },

    listUsers: (idp, startIndex, count) => listIds(directoryKeys.users(idp), startIndex, count),

    async deleteUser(idp, user) {
      await deleteItem(directoryKeys.person(idp, user.subject), DIRECTORY_SK.profile);
      await clearUserRest(idp, user.id, user.subject, user.userName, true);
    },

    async finishUserDeletion(idp, id) {
      const ref = await getItem(directoryKeys.users(idp), id);
      const subject = ref?.subject?.S;
      if (subject === undefined) return false;
      const profile = await this.getUserBySubject(idp, subject);
      if (profile?.id === id) return false;
      // A person created again under the subject owns its memberships now: leave them.
      await clearUserRest(idp, id, subject, ref?.userName?.S, profile === undefined);
      return true;
    },

    async createGroup(idp, group) {
      for (const index of groupIndexes(idp, group))
        requireFit(index.pk?.S ?? '', 'displayName or externalId');
      const created = await conditionalPut(
        {
          ...key(directoryKeys.groups(idp), group.id),
          kind: { S: 'dir-group' },
          displayName: { S: group.displayName },
          ...(group.externalId ? { externalId: { S: group.externalId } } : {}),
          created: { S: group.created },
          modified: { S: group.lastModified },
        },
        'attribute_not_exists(pk)',
      );
      if (!created) throw scimBadRequest('uniqueness', 'the group id is already in use');
      await write(groupIndexes(idp, group).map((Item) => ({ PutRequest: { Item } })));
    },

    async replaceGroup(idp, group, previous) {
      for (const index of groupIndexes(idp, group))
        requireFit(index.pk?.S ?? '', 'displayName or externalId');
      const values: Item = {
        ':n': { S: group.displayName },
        ':m': { S: group.lastModified },
      };
      if (group.externalId) values[':e'] = { S: group.externalId };
      await run(
        () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key(directoryKeys.groups(idp), group.id),
              UpdateExpression: group.externalId
                ? 'SET displayName = :n, modified = :m, externalId = :e'
                : 'SET displayName = :n, modified = :m REMOVE externalId',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: values,
            }),
          ),
        'UpdateItem',
      );
      const before = groupIndexes(idp, previous);
      const after = groupIndexes(idp, group);
      const same = (a: Item, b: Item) => a.pk?.S === b.pk?.S && a.sk?.S === b.sk?.S;
      await write([
        ...after
          .filter((a) => !before.some((b) => same(a, b)))
          .map((Item) => ({ PutRequest: { Item } })),
        ...before
          .filter((b) => !after.some((a) => same(a, b)))
          .map((Key) => ({ DeleteRequest: { Key } })),
      ]);
    },

    async getGroup(idp, id) {
      const item = await getItem(directoryKeys.groups(idp), id);
      return item ? groupOf(item) : undefined;
    },

    async findGroupsByDisplayName(idp, displayName) {
      if (!fits(directoryKeys.groupName(idp, displayName))) return [];
      const items = await queryPartition(directoryKeys.groupName(idp, displayName), {
        projection: 'sk',
      });
      return items.map((i) => i.sk?.S ?? '').filter(Boolean);
    },

    async findGroupsByExternalId(idp, externalId) {
      if (!fits(directoryKeys.groupExternalId(idp, externalId))) return [];
      const items = await queryPartition(directoryKeys.groupExternalId(idp, externalId), {
        projection: 'sk',
      });
      return items.map((i) => i.sk?.S ?? '').filter(Boolean);
    },

    listGroups: (idp, startIndex, count) => listIds(directoryKeys.groups(idp), startIndex, count),

    async deleteGroup(idp, group) {
      // The small items first (its filter indexes, its place in its parents), then the group
      // leaves the list (no sign-in reads it from here on), then its members, which for a large
      // group may outlast the function: finishGroupDeletion completes them on the retry.
      await write([
        ...groupIndexes(idp, group).map((Key) => ({ DeleteRequest: { Key } })),
        ...group.parents.map((parent) => ({
          DeleteRequest: {
            Key: key(directoryKeys.group(idp, parent), `${DIRECTORY_SK.groupMember}${group.id}`),
          },
        })),
      ]);
      await deleteItem(directoryKeys.groups(idp), group.id);
      await clearMembersOf(idp, group.id);
    },

    finishGroupDeletion: async (idp, groupId) => (await clearMembersOf(idp, groupId)) > 0,

    async listMembers(idp, groupId, limit) {
      const items = await queryPartition(directoryKeys.group(idp, groupId));
      if (items.length > limit) return undefined;
      return items.flatMap((item): Member[] => {
        const sk = item.sk?.S ?? '';
        if (sk.startsWith(DIRECTORY_SK.userMember)) {
          return [
            {
              type: 'User',
              id: sk.slice(DIRECTORY_SK.userMember.length),
              subject: item.subject?.S ?? '',
            },
          ];
        }
        if (sk.startsWith(DIRECTORY_SK.groupMember)) {
          return [{ type: 'Group', id: sk.slice(DIRECTORY_SK.groupMember.length) }];
        }
        return [];
      });
    },

    async resolveMembers(idp, ids) {
      const wanted = [...new Set(ids)];
      const found = new Map<string, Member>();
      if (wanted.length === 0) return found;
      const users = directoryKeys.users(idp);
      const groups = directoryKeys.groups(idp);
      const items = await getAll(
        client,
        tableName,
        wanted.flatMap((id) => [key(users, id), key(groups, id)]),
        { ConsistentRead: true, ProjectionExpression: 'pk, sk, subject' },
      );
      for (const item of items) {
        const id = item.sk?.S ?? '';
        if (item.pk?.S === users && item.subject?.S) {
          found.set(id, { type: 'User', id, subject: item.subject.S });
        } else if (item.pk?.S === groups && !found.has(id)) {
          found.set(id, { type: 'Group', id });
        }
      }
      return found;
    },

    // What grants access (a person's M# item, a child group's parents) is written last on an add
    // and removed first on a removal: a write cut short between the two leaves less access.
    async addMembers(idp, groupId, members) {
      const partition = directoryKeys.group(idp, groupId);
      const { users, groups } = split(members);
      await write([
        ...users.map((m) => ({
          PutRequest: {
            Item: {
              ...key(partition, `${DIRECTORY_SK.userMember}${m.id}`),
              subject: { S: m.subject },
            },
          },
        })),
        ...groups.map((id) => ({
          PutRequest: { Item: key(partition, `${DIRECTORY_SK.groupMember}${id}`) },
        })),
      ]);
      await write(
        users.map((m) => ({
          PutRequest: {
            Item: key(directoryKeys.person(idp, m.subject), `${DIRECTORY_SK.memberOf}${groupId}`),
          },
        })),
      );
      await eachLimited(groups, CONCURRENCY, (child) =>
        updateParents(idp, child, groupId, 'ADD').then(() => undefined),
      );
      if (members.length > 0) await touchGroup(idp, groupId);
    },

    async removeMembers(idp, groupId, members) {
      const partition = directoryKeys.group(idp, groupId);
      const { users, groups } = split(members);
      await write(
        users.map((m) => ({
          DeleteRequest: {
            Key: key(directoryKeys.person(idp, m.subject), `${DIRECTORY_SK.memberOf}${groupId}`),
          },
        })),
      );
      await eachLimited(groups, CONCURRENCY, (child) =>
        updateParents(idp, child, groupId, 'DELETE').then(() => undefined),
      );
      await write([
        ...users.map((m) => ({
          DeleteRequest: { Key: key(partition, `${DIRECTORY_SK.userMember}${m.id}`) },
        })),
        ...groups.map((id) => ({
          DeleteRequest: { Key: key(partition, `${DIRECTORY_SK.groupMember}${id}`) },
        })),
      ]);
      if (members.length > 0) await touchGroup(idp, groupId);
    },

    async setUserAttributes(idp, subject, attributes) {
      const pk = directoryKeys.person(idp, subject);
      if (attributes === undefined) {
        await deleteItem(pk, DIRECTORY_SK.operator);
        return;
      }
      await run(
        () =>
          client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                ...key(pk, DIRECTORY_SK.operator),
                kind: { S: 'dir-attributes' },
                doc: { S: JSON.stringify(attributes) },
                updatedAt: { S: now() },
              },
            }),
          ),
        'PutItem',
      );
    },

    setGroupAttributes: (idp, groupId, attributes) =>
      updateExisting({
        Key: key(directoryKeys.groups(idp), groupId),
        UpdateExpression: attributes === undefined ? 'REMOVE attrs' : 'SET attrs = :a',
        ...(attributes === undefined
          ? {}
          : { ExpressionAttributeValues: { ':a': { S: JSON.stringify(attributes) } } }),
      }),

    async readPerson(idp, subject) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: directoryKeys.person(idp, subject) } },
      });
      let user: DirectoryUser | undefined;
      let attributes: OperatorAttributes | undefined;
      const groupIds: string[] = [];
      for (const item of items) {
        const sk = item.sk?.S ?? '';
        if (sk === DIRECTORY_SK.profile) user = userOf(item);
        else if (sk === DIRECTORY_SK.operator) attributes = attributesOf(item);
        else if (sk.startsWith(DIRECTORY_SK.memberOf)) {
          groupIds.push(sk.slice(DIRECTORY_SK.memberOf.length));
        }
      }
      // The partition is the subject's: a profile naming another subject was not written here.
      if (user && user.subject !== subject) throw invalid(items[0] ?? {}, 'names another subject');
      return { user, attributes, groupIds };
    },

    async readGroups(idp) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: directoryKeys.groups(idp) } },
      });
      return items.map(groupOf);
    },
  };
};
