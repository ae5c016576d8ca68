import type { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoDirectoryStore, type DynamoPort } from '../../../shared/store/index.js';
import { clockAtSeconds } from '../../support/clock.js';

describe('the directory store’s times', () => {
  it('stamps what it writes with the injected clock (shared/clock.ts), as ISO 8601', async () => {
    const sent: PutItemCommand[] = [];
    const client: DynamoPort = {
      send: (async (command: PutItemCommand) => {
        sent.push(command);
        return {};
      }) as DynamoPort['send'],
    };
    const store = createDynamoDirectoryStore({
      client,
      tableName: 'attrs',
      clock: clockAtSeconds(1_600_000_000),
    });
    await store.setUserAttributes('okta', '00u1', { costCenter: ['cc-1'] });
    expect(sent.map((c) => c.input.Item?.updatedAt)).toEqual([{ S: '2020-09-13T12:26:40.000Z' }]);
  });
});
