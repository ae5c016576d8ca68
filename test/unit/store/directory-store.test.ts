import {
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { createDirectoryJoin, createDirectoryReader } from '../../../shared/directory/index.js';
import {
  createDynamoDirectoryStore,
  DIRECTORY_SK,
  directoryKeys,
} from '../../../shared/store/index.js';

/**
 * The directory on the sign-in path, through the DynamoDB adapter: one Query of the person's
 * partition and one of the IdP's group list (cached per container), never a Scan or an item read
 * per group, whatever the nesting.
 */
const dynamo = mockClient(DynamoDBClient);
beforeEach(() => dynamo.reset());

const IDP = 'entra';
const SUBJECT = 'b0b00000-1111-4222-8333-444455556666';
const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: IDP,
      displayName: 'Entra',
      protocol: 'saml',
      saml: { entityId: 'https://sts.windows.net/t/', signingCertificates: ['A'.repeat(80)] },
      directory: { scim: { tokenRef: 'env:X' }, cacheSeconds: 60 },
    },
  ],
});
const idp = config.idps[0] as (typeof config.idps)[number];

const profile = (subject: string) => ({
  pk: { S: directoryKeys.person(IDP, SUBJECT) },
  sk: { S: DIRECTORY_SK.profile },
  rev: { N: '1' },
  doc: {
    S: JSON.stringify({
      id: 'u-1',
      subject,
      externalId: subject,
      userName: 'bob@x',
      active: true,
      resource: {},
      created: '',
      lastModified: '',
    }),
  },
});
const group = (id: string, parents: string[]) => ({
  pk: { S: directoryKeys.groups(IDP) },
  sk: { S: id },
  displayName: { S: `Group ${id}` },
  ...(parents.length ? { parents: { SS: parents } } : {}),
});

const answer = (subject = SUBJECT) =>
  dynamo
    .on(QueryCommand)
    .callsFake((input: { ExpressionAttributeValues: Record<string, { S: string }> }) => {
      const pk = input.ExpressionAttributeValues[':pk']?.S;
      if (pk === directoryKeys.person(IDP, SUBJECT)) {
        return {
          Items: [profile(subject), { pk: { S: pk }, sk: { S: `${DIRECTORY_SK.memberOf}team` } }],
        };
      }
      if (pk === directoryKeys.groups(IDP)) {
        // team ⊂ department ⊂ division ⊂ team: nesting three deep, with a cycle.
        return {
          Items: [group('team', ['dep']), group('dep', ['div']), group('div', ['team'])],
        };
      }
      return { Items: [] };
    });

const joinOf = () =>
  createDirectoryJoin(
    createDirectoryReader({
      store: createDynamoDirectoryStore({ client: new DynamoDBClient({}), tableName: 'attrs' }),
    }),
  );
const identity = { idp: IDP, issuer: 'https://sts.windows.net/t/', subject: SUBJECT, claims: {} };

describe('the directory on the sign-in path (DynamoDB adapter)', () => {
  it('reads a person with two Queries in a cold container and one in a warm one, nothing else', async () => {
    answer();
    const join = joinOf();
    const joined = await join(idp, identity);
    expect([...(joined.claims['directory.groupIds'] ?? [])].sort()).toEqual(['dep', 'div', 'team']);
    expect(dynamo.calls()).toHaveLength(2);
    expect(
      dynamo
        .commandCalls(QueryCommand)
        .map((c) => c.args[0].input.ExpressionAttributeValues?.[':pk']?.S)
        .sort(),
    ).toEqual([directoryKeys.groups(IDP), directoryKeys.person(IDP, SUBJECT)].sort());
    await join(idp, identity);
    expect(dynamo.calls()).toHaveLength(3);
  });

  it('fails closed on a profile that names another subject than its partition', async () => {
    answer('someone-else');
    await expect(joinOf()(idp, identity)).rejects.toMatchObject({ code: 'server_error' });
  });
});

/**
 * Membership writes without transactions: the items that grant access (the person's `M#` item, a
 * child group's `parents`) are written last on an add and removed first on a removal, so a write
 * cut short between the two sides leaves less access, never more.
 */
describe('membership writes, in the order a crash cannot turn into access', () => {
  const members = [
    { type: 'User' as const, id: 'u1', subject: 's1' },
    { type: 'Group' as const, id: 'c1' },
  ];
  /** Each call's kind: `group` (the group's own member items), `access` (M# items, parents). */
  const sides = () =>
    dynamo.calls().flatMap((call) => {
      const input = call.args[0].input as {
        RequestItems?: Record<
          string,
          { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
        >;
        Key?: Item;
      };
      if (input.RequestItems) {
        return Object.values(input.RequestItems)
          .flat()
          .map((r) =>
            ((r.PutRequest?.Item ?? r.DeleteRequest?.Key)?.pk?.S ?? '').includes('#GROUP#')
              ? 'group'
              : 'access',
          );
      }
      // UpdateItem: a child's parents (access) or the group's modified stamp (neither).
      const sk = input.Key?.sk?.S;
      return sk === 'c1' ? ['access'] : [];
    });
  type Item = Record<string, { S?: string }>;
  const store = () =>
    createDynamoDirectoryStore({ client: new DynamoDBClient({}), tableName: 'attrs' });

  it('adds the group side first, then what grants access', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    await store().addMembers(IDP, 'g1', members);
    const order = sides();
    expect(order.lastIndexOf('group')).toBeLessThan(order.indexOf('access'));
  });

  it('removes what grants access first, then the group side', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    await store().removeMembers(IDP, 'g1', members);
    const order = sides();
    expect(order.lastIndexOf('access')).toBeLessThan(order.indexOf('group'));
  });
});
