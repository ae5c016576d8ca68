import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DependencyUnavailableError } from '../http/errors.js';
import { translateDynamoError } from './errors.js';
import type { DynamoPort } from './ports.js';

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;
/** BatchGetItem takes at most 100 keys. */
export const BATCH_GET_LIMIT = 100;

// Unprocessed items mean the table is throttling: back off (with full jitter) before retrying,
// as the DynamoDB docs ask; after MAX_ROUNDS give up with a 503 rather than hang the request.
const MAX_ROUNDS = 8;
const BASE_DELAY_MS = 25;
const MAX_DELAY_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoffMs = (round: number) =>
  Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** round);

/** Splits a list into consecutive chunks of at most `size`. */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * Writes every request to one table with BatchWriteItem, 25 at a time, retrying unprocessed
 * items with exponential backoff.
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer or
 * keeps items unprocessed.
 */
export const writeAll = async (
  client: DynamoPort,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> => {
  for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) {
    let pending: WriteRequest[] = batch;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) {
        throw new DependencyUnavailableError(
          'dynamodb',
          `BatchWriteItem left ${pending.length} items unprocessed after ${MAX_ROUNDS} rounds`,
        );
      }
      if (round > 0) await sleep(backoffMs(round));
      try {
        const out = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
        );
        pending = out.UnprocessedItems?.[tableName] ?? [];
      } catch (err) {
        throw translateDynamoError(err, 'BatchWriteItem');
      }
    }
  }
};

/**
 * Reads the items under the given keys of one table with BatchGetItem, 100 keys at a time,
 * retrying unprocessed keys with exponential backoff. Items come back in no particular order.
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer or
 * keeps keys unprocessed.
 */
export const getAll = async (
  client: DynamoPort,
  tableName: string,
  keys: readonly Record<string, AttributeValue>[],
  options: Omit<KeysAndAttributes, 'Keys'> = {},
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  for (const batch of chunk(keys, BATCH_GET_LIMIT)) {
    let pending: Record<string, AttributeValue>[] = batch;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) {
        throw new DependencyUnavailableError(
          'dynamodb',
          `BatchGetItem left ${pending.length} keys unprocessed after ${MAX_ROUNDS} rounds`,
        );
      }
      if (round > 0) await sleep(backoffMs(round));
      try {
        const out = await client.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { ...options, Keys: pending } } }),
        );
        items.push(...(out.Responses?.[tableName] ?? []));
        pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      } catch (err) {
        throw translateDynamoError(err, 'BatchGetItem');
      }
    }
  }
  return items;
};
