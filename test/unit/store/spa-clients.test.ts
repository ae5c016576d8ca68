import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SpaClientSchema } from '../../../shared/config/index.js';
import { createDynamoSpaClients } from '../../../shared/store/index.js';

/** The SPA client lookup: an attribute-table access like the others in shared/store. */
const client = SpaClientSchema.parse({
  id: 'app',
  origin: 'https://app.example.com',
  returnPaths: ['/', '/auth/callback'],
});

describe('createDynamoSpaClients', () => {
  const ddb = mockClient(DynamoDBClient);
  beforeEach(() => ddb.reset());
  const registry = (now = () => 0) =>
    createDynamoSpaClients({
      client: new DynamoDBClient({}),
      tableName: 'attrs',
      ttlSeconds: 60,
      clock: now,
    });

  it('reads GATEWAY / SPA#<id> once per ttl, misses included', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { doc: { S: JSON.stringify(client) } } });
    let t = 0;
    const spa = registry(() => t);
    expect(await spa.get('app')).toMatchObject({ origin: 'https://app.example.com' });
    expect(await spa.get('app')).toBeDefined();
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, {
      Key: { pk: { S: 'GATEWAY' }, sk: { S: 'SPA#app' } },
    });
    t = 60_000;
    await spa.get('app');
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 2);
  });

  it('an id outside the grammar is unknown without a read', async () => {
    expect(await registry().get('../x')).toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(GetItemCommand, 0);
  });

  it('an invalid stored item is server_error; a DynamoDB failure is temporarily_unavailable', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { doc: { S: '{"id":"app"}' } } });
    await expect(registry().get('app')).rejects.toMatchObject({ code: 'server_error' });
    ddb
      .on(GetItemCommand)
      .rejects(Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: {} }));
    await expect(registry().get('app')).rejects.toMatchObject({ status: 503 });
  });
});
