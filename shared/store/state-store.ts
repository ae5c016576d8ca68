import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Clock, epochSeconds, systemClock } from '../clock.js';
import {
  isConditionalCheckFailed,
  StateItemExistsError,
  StoreOperationFailedError,
  translateDynamoError,
} from './errors.js';
import type { DynamoPort, StateStore } from './ports.js';
import { STATE_TABLE, type StateKey, stateKeyKind } from './table-schema.js';

// The conditions name the TTL attribute through a placeholder, so the table schema stays the one
// place its name is written down.
const NAMES = { '#exp': STATE_TABLE.timeToLiveAttribute };
// "Live" is `expiresAt > now` everywhere: TTL deletes late (up to days) and DynamoDB Local and
// dynalite never delete, so an expired item is treated as absent by every condition and read.
const ABSENT_OR_EXPIRED = 'attribute_not_exists(pk) OR #exp <= :now';
const PRESENT_AND_LIVE = 'attribute_exists(pk) AND #exp > :now';

const encode = (
  key: StateKey,
  data: unknown,
  expiresAt: number,
): Record<string, AttributeValue> => {
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError('state item data must be JSON-serialisable');
  return {
    pk: { S: key },
    [STATE_TABLE.timeToLiveAttribute]: { N: String(expiresAt) },
    data: { S: json },
  };
};

const decode = (key: StateKey, item: Record<string, AttributeValue>): unknown => {
  const json = item.data?.S;
  try {
    if (json === undefined) throw new Error('no data attribute');
    return JSON.parse(json);
  } catch (err) {
    // Name the kind only: the rest of the key may be a secret (a code, a session id).
    throw new StoreOperationFailedError(`state item ${stateKeyKind(key)} holds unreadable data`, {
      cause: err,
    });
  }
};

// Each put carries a random writer token. The SDK retries a put whose answer was lost (a 500 or a
// timeout after DynamoDB applied it); the retry then fails its own condition. DynamoDB returns the
// item that made it fail (ReturnValuesOnConditionCheckFailure), and when that item carries this
// put's token, the put had succeeded: it is not a conflict (nor, for the replay cache, a replay).
const WRITER = 'writer';
const writtenBy = (err: unknown, writer: string): boolean =>
  (err as { Item?: Record<string, AttributeValue> }).Item?.[WRITER]?.S === writer;

const expiryOf = (item: Record<string, AttributeValue>): number =>
  Number(item[STATE_TABLE.timeToLiveAttribute]?.N ?? Number.NaN);

/**
 * The state store on DynamoDB: single-use items with an expiry, created and consumed with
 * conditional writes, so that any number of containers sharing the table agree on who used what.
 * @throws state_conflict (StateItemExistsError) from `put` when a live item exists.
 * @throws temporarily_unavailable (DependencyUnavailableError) from every method when DynamoDB
 * cannot answer.
 * @example
 * const state = createDynamoStateStore({ client, tableName: config.stateTableName });
 * await state.put(stateKey(STATE_KEY_PREFIXES.transaction, txnId), { nonce, verifier }, now + 600);
 * const txn = await state.consume(stateKey(STATE_KEY_PREFIXES.transaction, txnId));
 */
export const createDynamoStateStore = ({
  client,
  tableName,
  clock = systemClock,
}: {
  client: DynamoPort;
  tableName: string;
  /** The clock (shared/clock.ts); TTL and liveness compare whole epoch seconds. */
  clock?: Clock;
}): StateStore => {
  const second = () => epochSeconds(clock);
  const nowValue = () => ({ ':now': { N: String(second()) } });
  const requireFuture = (expiresAt: number) => {
    if (!Number.isFinite(expiresAt) || expiresAt <= second()) {
      // An item born expired would make the next put or consume act as if it never existed.
      throw new RangeError(`expiresAt must be a future epoch second, got ${expiresAt}`);
    }
  };

  return {
    async put(key, data, expiresAt) {
      requireFuture(expiresAt);
      const writer = randomBytes(16).toString('base64url');
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...encode(key, data, expiresAt), [WRITER]: { S: writer } },
            ConditionExpression: ABSENT_OR_EXPIRED,
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: nowValue(),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) {
          // Our own earlier attempt, applied although its answer was lost: the put succeeded.
          if (writtenBy(err, writer)) return;
          throw new StateItemExistsError(`a live ${stateKeyKind(key)} item exists`, { cause: err });
        }
        throw translateDynamoError(err, 'PutItem');
      }
    },

    async consume(key) {
      try {
        const out = await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { pk: { S: key } },
            ConditionExpression: PRESENT_AND_LIVE,
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: nowValue(),
            ReturnValues: 'ALL_OLD',
          }),
        );
        return out.Attributes ? decode(key, out.Attributes) : undefined;
      } catch (err) {
        // Absent, expired, or consumed a moment ago by someone else: all mean "not yours".
        if (isConditionalCheckFailed(err)) return undefined;
        throw translateDynamoError(err, 'DeleteItem');
      }
    },

    async get(key) {
      let item: Record<string, AttributeValue> | undefined;
      try {
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: key } },
            ConsistentRead: true,
          }),
        );
        item = out.Item;
      } catch (err) {
        throw translateDynamoError(err, 'GetItem');
      }
      // NaN (no expiry) is not live either: every state item must carry one.
      if (!item || !(expiryOf(item) > second())) return undefined;
      return decode(key, item);
    },

    async update(key, data, expiresAt) {
      requireFuture(expiresAt);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: encode(key, data, expiresAt),
            ConditionExpression: PRESENT_AND_LIVE,
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: nowValue(),
          }),
        );
        return true;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return false;
        throw translateDynamoError(err, 'PutItem');
      }
    },

    async delete(key) {
      try {
        await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: key } } }));
      } catch (err) {
        throw translateDynamoError(err, 'DeleteItem');
      }
    },
  };
};
