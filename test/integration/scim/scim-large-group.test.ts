import { BatchWriteItemCommand, QueryCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { directoryKeys } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { createScimRig, SCIM_TOKENS, type ScimRig } from '../../support/scim-rig.js';

/**
 * A group with 50,000 members: five PATCHes of 10,000 (the most one request carries), every
 * membership written from both sides, the group readable without its member list, a member's
 * sign-in data one Query. The users are seeded as the store lays them out (creating 50,000
 * through SCIM one by one would only measure the loop).
 */
const db = useDynamoDb();
const MEMBERS = 50_000;
const BATCH = 10_000;
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('a group with 50,000 members', () => {
  let rig: ScimRig;
  const users = Array.from({ length: MEMBERS }, (_, i) => `u-${String(i).padStart(5, '0')}`);

  beforeAll(async () => {
    const client = db.createClient();
    rig = createScimRig({ client, names: db.names });
    const table = db.names.attributeTableName;
    const requests: WriteRequest[] = users.map((u) => ({
      PutRequest: {
        Item: {
          pk: { S: directoryKeys.users('okta') },
          sk: { S: u },
          subject: { S: `s-${u}` },
          userName: { S: `${u}@x` },
        },
      },
    }));
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < batches.length) {
          let pending = batches[next++] as WriteRequest[];
          while (pending.length > 0) {
            const out = await client.send(
              new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
            );
            pending = out.UnprocessedItems?.[table] ?? [];
          }
        }
      }),
    );
  }, 180_000);

  it('takes its members in batches of 10,000 and holds them all', {
    timeout: 300_000,
  }, async () => {
    const token = SCIM_TOKENS.OKTA_SCIM_TOKEN;
    const created = await rig.request('POST', '/scim/v2/okta/Groups', {
      token,
      body: { displayName: 'everyone' },
    });
    const gid = created.body?.id as string;
    for (let i = 0; i < MEMBERS; i += BATCH) {
      const res = await rig.request('PATCH', `/scim/v2/okta/Groups/${gid}`, {
        token,
        body: {
          schemas: [PATCH],
          Operations: [
            {
              op: 'Add',
              path: 'members',
              value: users.slice(i, i + BATCH).map((value) => ({ value })),
            },
          ],
        },
      });
      expect(res.status).toBe(204);
    }
    // Every membership, counted on the group's side.
    let count = 0;
    let start: Record<string, never> | undefined;
    do {
      const out = await db.createClient().send(
        new QueryCommand({
          TableName: db.names.attributeTableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: directoryKeys.group('okta', gid) } },
          Select: 'COUNT',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey as typeof start;
    } while (start);
    expect(count).toBe(MEMBERS);
    // And on the person's side: the last member's sign-in data names the group.
    expect((await rig.store.readPerson('okta', `s-${users.at(-1)}`)).groupIds).toEqual([gid]);
    // Too many members to list: the client must ask without them (as Entra does).
    const full = await rig.request('GET', `/scim/v2/okta/Groups/${gid}`, { token });
    expect(full.status).toBe(400);
    expect(full.body?.scimType).toBe('tooMany');
    const lean = await rig.request(
      'GET',
      `/scim/v2/okta/Groups/${gid}?excludedAttributes=members`,
      { token },
    );
    expect(lean.status).toBe(200);
    expect(lean.body?.members).toBeUndefined();
    // A batch over 10,000 members is refused whole.
    const tooMany = await rig.request('PATCH', `/scim/v2/okta/Groups/${gid}`, {
      token,
      body: {
        schemas: [PATCH],
        Operations: [
          {
            op: 'Add',
            path: 'members',
            value: [...users.slice(0, BATCH), 'x'].map((value) => ({ value })),
          },
        ],
      },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body?.scimType).toBe('tooMany');
  });
});
