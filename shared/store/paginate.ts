import {
  type AttributeValue,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { translateDynamoError } from './errors.js';
import type { DynamoPort } from './ports.js';

type Item = Record<string, AttributeValue>;

/**
 * Every item a Query matches, following `LastEvaluatedKey` across pages.
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
 */
export const queryAll = async (client: DynamoPort, input: QueryCommandInput): Promise<Item[]> => {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    try {
      const out = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } catch (err) {
      throw translateDynamoError(err, 'Query');
    }
  } while (startKey);
  return items;
};

/**
 * Every item a Scan returns, following `LastEvaluatedKey` across pages.
 * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
 */
export const scanAll = async (client: DynamoPort, input: ScanCommandInput): Promise<Item[]> => {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    try {
      const out = await client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } catch (err) {
      throw translateDynamoError(err, 'Scan');
    }
  } while (startKey);
  return items;
};
