import { DescribeTimeToLiveCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createLocalDynamoDbClient,
  createTables,
  type EmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../../../infra/local/embedded-dynamodb.js';
import {
  createDynamoStateStore,
  STATE_KEY_PREFIXES,
  StateItemExistsError,
  stateKey,
} from '../../../shared/store/index.js';

const names = { attributeTableName: 'fedgate-attributes', stateTableName: 'fedgate-state' };
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs the single-use contract on an engine: what fedgate needs from any DynamoDB. */
const exerciseStateTable = async (db: EmbeddedDynamoDb) => {
  const client = createLocalDynamoDbClient(db.endpoint);
  try {
    const now = Math.floor(Date.now() / 1000);
    const state = createDynamoStateStore({ client, tableName: names.stateTableName });
    const key = stateKey(STATE_KEY_PREFIXES.code, 'c-1');
    await state.put(key, { v: 1 }, now + 60);
    await expect(state.put(key, { v: 2 }, now + 60)).rejects.toBeInstanceOf(StateItemExistsError);
    await expect(state.consume(key)).resolves.toEqual({ v: 1 });
    await expect(state.consume(key)).resolves.toBeUndefined();
  } finally {
    client.destroy();
  }
};

const expectRefused = async (endpoint: string) => {
  const client = createLocalDynamoDbClient(endpoint);
  try {
    await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  } finally {
    client.destroy();
  }
};

describe('startEmbeddedDynamoDb', () => {
  it('runs DynamoDB Local shared by every credential and region, with TTL, and stops Java', async () => {
    const db = await startEmbeddedDynamoDb({ port: 0 });
    try {
      expect(db).toMatchObject({
        engine: 'dynamodb-local',
        endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      });
      expect(db.notice).toBeUndefined();
      const first = createLocalDynamoDbClient(db.endpoint);
      await createTables(first, names);
      await createTables(first, names); // idempotent
      const ttl = await first.send(
        new DescribeTimeToLiveCommand({ TableName: names.stateTableName }),
      );
      expect(ttl.TimeToLiveDescription).toMatchObject({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: 'expiresAt',
      });
      first.destroy();
      // -sharedDb: without it, each access key + region pair would get its own empty database.
      const other = createLocalDynamoDbClient(db.endpoint, {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'another', secretAccessKey: 'another' },
      });
      const { TableNames } = await other.send(new ListTablesCommand({}));
      other.destroy();
      expect(TableNames).toEqual([names.attributeTableName, names.stateTableName]);
      await exerciseStateTable(db);
    } finally {
      await db.stop();
    }
    expect(db.pid).toBeTypeOf('number');
    expect(isAlive(db.pid!)).toBe(false);
    await expectRefused(db.endpoint);
    await db.stop(); // twice is fine
  });

  it('runs dynalite when asked, on the same table schema', async () => {
    const db = await startEmbeddedDynamoDb({ prefer: 'dynalite' });
    try {
      expect(db.engine).toBe('dynalite');
      const client = createLocalDynamoDbClient(db.endpoint);
      await createTables(client, names); // dynalite has no UpdateTimeToLive: ignored
      await createTables(client, names);
      client.destroy();
      await exerciseStateTable(db);
    } finally {
      await db.stop();
    }
    await expectRefused(db.endpoint);
  });
});
