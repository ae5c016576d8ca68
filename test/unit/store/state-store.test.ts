import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoStateStore,
  STATE_KEY_PREFIXES,
  StateItemExistsError,
  stateKey,
} from '../../../shared/store/index.js';
import { clockAtSeconds } from '../../support/clock.js';

const dynamo = mockClient(DynamoDBClient);
beforeEach(() => dynamo.reset());

const NOW = 1_800_000_000;
const key = stateKey(STATE_KEY_PREFIXES.transaction, 'txn-1');
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
const createStore = () =>
  createDynamoStateStore({
    client: new DynamoDBClient({}),
    tableName: 'state',
    clock: clockAtSeconds(NOW),
  });

describe('createDynamoStateStore', () => {
  it('puts with a conditional create that lets an expired item be overwritten', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await createStore().put(key, { nonce: 'n' }, NOW + 600);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'state',
      Item: {
        pk: { S: 'TXN#txn-1' },
        expiresAt: { N: String(NOW + 600) },
        data: { S: '{"nonce":"n"}' },
        writer: { S: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
      ExpressionAttributeNames: { '#exp': 'expiresAt' },
      ExpressionAttributeValues: { ':now': { N: String(NOW) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('a retried put that meets its own earlier write (answer lost) succeeds; another writer conflicts', async () => {
    // What the SDK's retry meets when the first attempt was applied but its answer lost: the
    // condition fails on the item that attempt wrote, returned with the failure.
    dynamo.on(PutItemCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: input.Item as never,
      });
    });
    await expect(createStore().put(key, {}, NOW + 60)).resolves.toBeUndefined();

    dynamo.reset();
    dynamo.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { pk: { S: key }, writer: { S: 'someone-else' } },
      }),
    );
    await expect(createStore().put(key, {}, NOW + 60)).rejects.toBeInstanceOf(StateItemExistsError);
  });

  it('turns a failed put condition into StateItemExistsError without the id in the detail', async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed());
    const err = await createStore()
      .put(key, {}, NOW + 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateItemExistsError);
    expect(err).toMatchObject({ status: 409, code: 'state_conflict' });
    expect((err as StateItemExistsError).detail).not.toContain('txn-1');
  });

  it('refuses an expiry that is not in the future, without calling DynamoDB', async () => {
    await expect(createStore().put(key, {}, NOW)).rejects.toThrow(RangeError);
    await expect(createStore().update(key, {}, Number.NaN)).rejects.toThrow(RangeError);
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it('consumes with a conditional delete returning the old item', async () => {
    dynamo.on(DeleteItemCommand).resolves({
      Attributes: { pk: { S: key }, expiresAt: { N: String(NOW + 5) }, data: { S: '{"a":1}' } },
    });
    await expect(createStore().consume(key)).resolves.toEqual({ a: 1 });
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { pk: { S: key } },
      ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
      ExpressionAttributeValues: { ':now': { N: String(NOW) } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('reads a failed consume condition (absent, expired, already used) as undefined', async () => {
    dynamo.on(DeleteItemCommand).rejects(conditionFailed());
    await expect(createStore().consume(key)).resolves.toBeUndefined();
  });

  it('get reads consistently and hides an expired item that TTL has not deleted yet', async () => {
    const item = (expiresAt: number) => ({
      Item: { pk: { S: key }, expiresAt: { N: String(expiresAt) }, data: { S: '"v"' } },
    });
    dynamo
      .on(GetItemCommand)
      .resolvesOnce(item(NOW + 1))
      .resolvesOnce(item(NOW))
      .resolvesOnce({});
    const store = createStore();
    await expect(store.get(key)).resolves.toBe('v');
    await expect(store.get(key)).resolves.toBeUndefined();
    await expect(store.get(key)).resolves.toBeUndefined();
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { ConsistentRead: true });
  });

  it('get treats an item without an expiry as absent', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { pk: { S: key }, data: { S: '1' } } });
    await expect(createStore().get(key)).resolves.toBeUndefined();
  });

  it('reports unreadable data as a server error naming only the kind of item', async () => {
    dynamo.on(GetItemCommand).resolves({
      Item: { pk: { S: key }, expiresAt: { N: String(NOW + 1) }, data: { S: '{oops' } },
    });
    const err = await createStore()
      .get(key)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'server_error',
      detail: 'state item TXN# holds unreadable data',
    });
  });

  it('update is conditional on a live item and reports whether it applied', async () => {
    dynamo.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const store = createStore();
    await expect(store.update(key, { n: 2 }, NOW + 60)).resolves.toBe(true);
    await expect(store.update(key, { n: 2 }, NOW + 60)).resolves.toBe(false);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
    });
  });

  it('deletes unconditionally', async () => {
    dynamo.on(DeleteItemCommand).resolves({});
    await createStore().delete(key);
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      TableName: 'state',
      Key: { pk: { S: key } },
    });
  });

  it.each([
    ['put', (s: ReturnType<typeof createStore>) => s.put(key, {}, NOW + 1)],
    ['consume', (s: ReturnType<typeof createStore>) => s.consume(key)],
    ['get', (s: ReturnType<typeof createStore>) => s.get(key)],
    ['update', (s: ReturnType<typeof createStore>) => s.update(key, {}, NOW + 1)],
    ['delete', (s: ReturnType<typeof createStore>) => s.delete(key)],
  ])('%s maps throttling to a 503 temporarily_unavailable', async (_name, call) => {
    dynamo.onAnyCommand().rejects(throttled());
    await expect(call(createStore())).rejects.toMatchObject({
      status: 503,
      code: 'temporarily_unavailable',
    });
  });
});
