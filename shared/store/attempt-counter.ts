import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { translateDynamoError } from './errors.js';
import type { DynamoPort } from './ports.js';
import { STATE_TABLE, type StateKey } from './table-schema.js';

/**
 * Counts attempts under a key until the key's window ends: one atomic increment per attempt, so
 * any number of containers counting the same key agree. The key names its window (e.g.
 * `ATTEMPTS#usercode#ip#<hash>#<window index>`): a new window is a new item, and an old one
 * simply expires.
 */
export interface AttemptCounter {
  /**
   * Adds one attempt and returns the count including it.
   * @param expiresAt epoch seconds: when the window ends (the item's TTL).
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  add(key: StateKey, expiresAt: number): Promise<number>;
}

/**
 * An {@link AttemptCounter} on the state table: `UpdateItem ADD n :1` with `ReturnValues:
 * UPDATED_NEW` (atomic in DynamoDB), the TTL attribute set on the first attempt of a window.
 * @example
 * const attempts = createDynamoAttemptCounter({ client, tableName: config.stateTableName });
 * if ((await attempts.add(key, windowEnd)) > LIMIT) throw new TooManyAttemptsError('…');
 */
export const createDynamoAttemptCounter = ({
  client,
  tableName,
}: {
  client: DynamoPort;
  tableName: string;
}): AttemptCounter => ({
  async add(key, expiresAt) {
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: key } },
          UpdateExpression: 'SET #exp = if_not_exists(#exp, :exp) ADD #n :one',
          ExpressionAttributeNames: { '#exp': STATE_TABLE.timeToLiveAttribute, '#n': 'n' },
          ExpressionAttributeValues: { ':exp': { N: String(expiresAt) }, ':one': { N: '1' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const n = Number(out.Attributes?.n?.N);
      // An answer without the count would be a DynamoDB bug: count it as over any limit.
      return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
    } catch (err) {
      throw translateDynamoError(err, 'UpdateItem');
    }
  },
});
