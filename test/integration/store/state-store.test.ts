import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createLocalDynamoDbClient, findFreePort } from '../../../infra/local/embedded-dynamodb.js';
import { DependencyUnavailableError } from '../../../shared/http/errors.js';
import {
  createDynamoStateStore,
  createReplayCache,
  ReplayDetectedError,
  STATE_KEY_PREFIXES,
  StateItemExistsError,
  stateKey,
} from '../../../shared/store/index.js';
import { clockFromSeconds } from '../../support/clock.js';
import { useDynamoDb } from '../../support/dynamodb.js';

const dynamo = useDynamoDb();

const T = Math.floor(Date.now() / 1000);
/** A state store as one Lambda container would build it: its own client. */
const container = (now: () => number = () => T) =>
  createDynamoStateStore({
    client: dynamo.createClient(),
    tableName: dynamo.names.stateTableName,
    clock: clockFromSeconds(now),
  });
const newKey = () => stateKey(STATE_KEY_PREFIXES.transaction, randomUUID());
const rawItem = async (key: string) =>
  (
    await dynamo.createClient().send(
      new GetItemCommand({
        TableName: dynamo.names.stateTableName,
        Key: { pk: { S: key } },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('createDynamoStateStore against DynamoDB Local', () => {
  it('puts, reads and consumes an item exactly once', async () => {
    const state = container();
    const key = newKey();
    await state.put(key, { nonce: 'n-1', verifier: 'v' }, T + 600);
    await expect(state.get(key)).resolves.toEqual({ nonce: 'n-1', verifier: 'v' });
    await expect(state.consume(key)).resolves.toEqual({ nonce: 'n-1', verifier: 'v' });
    await expect(state.consume(key)).resolves.toBeUndefined();
    await expect(state.get(key)).resolves.toBeUndefined();
    expect(await rawItem(key)).toBeUndefined();
  });

  it('hides an expired item from get and consume although it is still in the table', async () => {
    const key = newKey();
    await container(() => T).put(key, { a: 1 }, T + 10);
    const later = container(() => T + 10);
    await expect(later.get(key)).resolves.toBeUndefined();
    await expect(later.consume(key)).resolves.toBeUndefined();
    // No TTL process runs here (nor promptly in AWS): the item is still stored.
    expect(await rawItem(key)).toMatchObject({ expiresAt: { N: String(T + 10) } });
    await expect(container(() => T + 9).get(key)).resolves.toEqual({ a: 1 });
  });

  it('puts over an expired item, and refuses to put over a live one', async () => {
    const key = newKey();
    await container(() => T).put(key, { v: 1 }, T + 10);
    await expect(container(() => T + 5).put(key, { v: 2 }, T + 100)).rejects.toBeInstanceOf(
      StateItemExistsError,
    );
    await expect(container(() => T + 5).put(key, { v: 2 }, T + 100)).rejects.toMatchObject({
      status: 409,
      code: 'state_conflict',
    });
    await container(() => T + 10).put(key, { v: 3 }, T + 100);
    await expect(container(() => T + 10).get(key)).resolves.toEqual({ v: 3 });
  });

  it('updates a live item only', async () => {
    const key = newKey();
    await expect(container().update(key, { n: 1 }, T + 60)).resolves.toBe(false);
    await container().put(key, { n: 1 }, T + 60);
    await expect(container().update(key, { n: 2 }, T + 120)).resolves.toBe(true);
    await expect(container(() => T + 100).get(key)).resolves.toEqual({ n: 2 });
    await expect(container(() => T + 120).update(key, { n: 3 }, T + 999)).resolves.toBe(false);
  });

  it('deletes', async () => {
    const key = newKey();
    await container().put(key, {}, T + 60);
    await container().delete(key);
    await container().delete(key);
    await expect(container().get(key)).resolves.toBeUndefined();
  });
});

describe('two containers sharing one table', () => {
  it('a replay remembered by one container is rejected by the other', async () => {
    const a = createReplayCache({ state: container(() => Math.floor(Date.now() / 1000)) });
    const b = createReplayCache({ state: container(() => Math.floor(Date.now() / 1000)) });
    const assertionId = `_${randomUUID()}`;
    const notOnOrAfter = Math.floor(Date.now() / 1000) + 300;
    await a.remember('saml:okta', assertionId, notOnOrAfter);
    const err = await b.remember('saml:okta', assertionId, notOnOrAfter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayDetectedError);
    expect(err).toMatchObject({ status: 400, code: 'replay_detected' });
    await expect(
      b.remember('saml:okta', `_${randomUUID()}`, notOnOrAfter),
    ).resolves.toBeUndefined();
  });

  it('of 20 concurrent consumes of one item, from both containers, exactly one gets it', async () => {
    const [a, b] = [container(), container()];
    const key = newKey();
    await a.put(key, { code: 'once' }, T + 60);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).consume(key)),
    );
    expect(results.filter((r) => r !== undefined)).toEqual([{ code: 'once' }]);
  });

  it('of 10 concurrent puts of one key, exactly one succeeds', async () => {
    const [a, b] = [container(), container()];
    const key = newKey();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).put(key, { i }, T + 60)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StateItemExistsError);
    }
  });
});

describe('store unavailable', () => {
  it('maps a DynamoDB that does not answer to temporarily_unavailable', async () => {
    const port = await findFreePort(); // nothing listens there
    const client = createLocalDynamoDbClient(`http://127.0.0.1:${port}`, {
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 300, requestTimeout: 1000 },
    });
    try {
      const state = createDynamoStateStore({ client, tableName: dynamo.names.stateTableName });
      const replay = createReplayCache({ state });
      for (const call of [
        () => state.get(newKey()),
        () => state.consume(newKey()),
        () => replay.remember('saml:okta', 'id', Math.floor(Date.now() / 1000) + 60),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DependencyUnavailableError);
        expect(err).toMatchObject({ status: 503, code: 'temporarily_unavailable', expose: true });
      }
    } finally {
      client.destroy();
    }
  });

  it('maps a DynamoDB that accepts but never answers (timeout) to temporarily_unavailable', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    const client = createLocalDynamoDbClient(`http://127.0.0.1:${port}`, {
      requestHandler: { connectionTimeout: 300, requestTimeout: 300, throwOnRequestTimeout: true },
    });
    try {
      const state = createDynamoStateStore({ client, tableName: dynamo.names.stateTableName });
      await expect(state.get(newKey())).rejects.toMatchObject({
        code: 'temporarily_unavailable',
        detail: 'dynamodb: GetItem timed out (TimeoutError)',
      });
    } finally {
      client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  });
});
