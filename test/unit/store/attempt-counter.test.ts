import { DynamoDBClient, ThrottlingException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoAttemptCounter,
  STATE_KEY_PREFIXES,
  stateKey,
} from '../../../shared/store/index.js';

const dynamo = mockClient(DynamoDBClient);
beforeEach(() => dynamo.reset());

const key = stateKey(STATE_KEY_PREFIXES.attempts, 'usercode#all#3000000');
const counter = () =>
  createDynamoAttemptCounter({ client: new DynamoDBClient({}), tableName: 's' });

describe('createDynamoAttemptCounter', () => {
  it('adds one atomically, sets the window end as the TTL once, and returns the new count', async () => {
    dynamo.on(UpdateItemCommand).resolves({ Attributes: { n: { N: '7' } } });
    expect(await counter().add(key, 1_800_000_600)).toBe(7);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 's',
      Key: { pk: { S: 'ATTEMPTS#usercode#all#3000000' } },
      UpdateExpression: 'SET #exp = if_not_exists(#exp, :exp) ADD #n :one',
      ExpressionAttributeNames: { '#exp': 'expiresAt', '#n': 'n' },
      ExpressionAttributeValues: { ':exp': { N: '1800000600' }, ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('counts an answer without a count as over every limit (fails closed)', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    expect(await counter().add(key, 1_800_000_600)).toBe(Number.POSITIVE_INFINITY);
  });

  it('translates throttling into temporarily_unavailable', async () => {
    dynamo
      .on(UpdateItemCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(counter().add(key, 1_800_000_600)).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    });
  });
});
