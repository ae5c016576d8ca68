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

/** What {@link useDynamoDb} gives a test file; read it inside tests and hooks, not at load time. */
export interface DynamoDbFixture {
  readonly endpoint: string;
  readonly engine: EmbeddedDynamoDb['engine'];
  /** Both tables, created from shared/store/table-schema.ts, named uniquely for this file. */
  readonly names: TableNames;
  /**
   * A new client for the embedded DynamoDB, as a separate Lambda container would build its own;
   * destroyed in afterAll.
   */
  createClient(overrides?: DynamoDBClientConfig): DynamoDBClient;
}

/**
 * Starts one embedded DynamoDB (DynamoDB Local, or dynalite without Java) for the calling test
 * file in beforeAll, creates uniquely named tables in it, and stops it in afterAll. Call it once,
 * at the top of the file.
 */
export const useDynamoDb = (): DynamoDbFixture => {
  let db: EmbeddedDynamoDb | undefined;
  const clients: DynamoDBClient[] = [];
  const suffix = randomBytes(4).toString('hex');
  const names: TableNames = {
    attributeTableName: `fedgate-attributes-${suffix}`,
    stateTableName: `fedgate-state-${suffix}`,
  };
  const running = () => {
    if (!db) throw new Error('useDynamoDb: the embedded DynamoDB is not running (use it in tests)');
    return db;
  };
  const fixture: DynamoDbFixture = {
    get endpoint() {
      return running().endpoint;
    },
    get engine() {
      return running().engine;
    },
    names,
    createClient(overrides) {
      const client = createLocalDynamoDbClient(running().endpoint, overrides);
      clients.push(client);
      return client;
    },
  };

  beforeAll(async () => {
    db = await startEmbeddedDynamoDb({ port: 0 });
    if (db.notice) console.warn(db.notice);
    await createTables(fixture.createClient(), names);
  });

  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await db?.stop();
    db = undefined;
  });

  return fixture;
};
