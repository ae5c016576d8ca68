import { randomBytes } from 'node:crypto';
import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import {
  createLocalDynamoDbClient,
  createTables,
  type EmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../../infra/local/embedded-dynamodb.js';
import type { TableNames } from '../../shared/store/index.js';

/** An embedded DynamoDB with fedgate's two tables: what the kit's `tables` fixture gives a test. */
export interface DynamoDbFixture {
  readonly endpoint: string;
  readonly engine: EmbeddedDynamoDb['engine'];
  /** Both tables, created from shared/store/table-schema.ts, named uniquely for this file. */
  readonly names: TableNames;
  /**
   * A new client for the embedded DynamoDB, as a separate Lambda container would build its own;
   * destroyed when the tables stop.
   */
  createClient(overrides?: DynamoDBClientConfig): DynamoDBClient;
}

/** {@link DynamoDbFixture} and the way to stop it (its clients, then the engine). */
export interface RunningTables extends DynamoDbFixture {
  stop(): Promise<void>;
}

/** Table names no other file's tables share. */
const uniqueTableNames = (): TableNames => {
  const suffix = randomBytes(4).toString('hex');
  return {
    attributeTableName: `fedgate-attributes-${suffix}`,
    stateTableName: `fedgate-state-${suffix}`,
  };
};

/**
 * Starts one embedded DynamoDB (DynamoDB Local, or dynalite without Java) on loopback and
 * creates fedgate's tables in it, under names unique to this call unless given.
 */
export const startTables = async (names = uniqueTableNames()): Promise<RunningTables> => {
  const db = await startEmbeddedDynamoDb({ port: 0 });
  if (db.notice) console.warn(db.notice);
  const clients: DynamoDBClient[] = [];
  const tables: RunningTables = {
    endpoint: db.endpoint,
    engine: db.engine,
    names,
    createClient(overrides) {
      const client = createLocalDynamoDbClient(db.endpoint, overrides);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.destroy();
      await db.stop();
    },
  };
  await createTables(tables.createClient(), tables.names);
  return tables;
};

/**
 * The hook form of the kit's `tables` fixture, for files not written with the kit: starts the
 * tables in beforeAll and stops them in afterAll. Read the fixture inside tests and hooks.
 */
export const useDynamoDb = (): DynamoDbFixture => {
  let running: RunningTables | undefined;
  const names = uniqueTableNames();
  const get = () => {
    if (!running)
      throw new Error('useDynamoDb: the embedded DynamoDB is not running (use it in tests)');
    return running;
  };
  beforeAll(async () => {
    running = await startTables(names);
  });
  afterAll(async () => {
    await running?.stop();
    running = undefined;
  });
  return {
    get endpoint() {
      return get().endpoint;
    },
    get engine() {
      return get().engine;
    },
    names,
    createClient: (overrides) => get().createClient(overrides),
  };
};
