import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_READ_ACTIONS,
  dynamoStatementsOf,
  FUNCTIONS,
  MANIFEST,
} from '../../../infra/manifest.js';
import { loadConfig } from '../../../shared/config/index.js';
import type { DirectoryUser } from '../../../shared/directory/index.js';
import { createSessionsFor, createStores } from '../../../shared/gateway/index.js';
import {
  createDynamoDirectoryStore,
  createDynamoSessionStore,
  type DynamoPort,
  STATE_KEY_PREFIXES,
  stateKey,
} from '../../../shared/store/index.js';
import { captureLogger } from '../../support/events.js';

// The grants are derived from what the code does, not from reading it: the functions' own store
// composition runs every port method against a recording DynamoDB port, and the IAM actions the
// manifest grants per table, over all functions, must be exactly the operations sent to that
// table. A new operation in shared/store (say Query on the state table) fails this test until a
// function declares it; an action no store method sends any more fails it too. Which function
// may send which action on which key prefix is the runner's IAM stand-in's to check
// (infra/local/aws/iam-dynamodb.ts), on every integration and e2e test.

type Sent = { action: string; table: string };

const recordingPort = (sent: Sent[]) => ({
  send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const action = `dynamodb:${command.constructor.name.replace(/Command$/, '')}`;
    const tables =
      typeof command.input.TableName === 'string'
        ? [command.input.TableName]
        : Object.keys((command.input.RequestItems as object | undefined) ?? {});
    for (const table of tables) sent.push({ action, table });
    // Empty answers: nothing stored. Methods that need an item fail afterwards, which is fine.
    return { Items: [], Responses: {}, UnprocessedKeys: {}, UnprocessedItems: {} };
  },
});

const config = loadConfig({
  ATTRIBUTE_TABLE_NAME: 'attributes-table',
  STATE_TABLE_NAME: 'state-table',
  PUBLIC_BASE_URL: 'https://sso.example.com',
  AWS_REGION: 'eu-west-1',
  SIGNING_KEY_REF: 'kms:key-1',
  CONFIG_CACHE_SECONDS: '0',
});

const actionsOn = (sent: Sent[], table: string) =>
  [...new Set(sent.filter((s) => s.table === table).map((s) => s.action))].sort();

describe('least privilege follows the code', () => {
  it('grants exactly the DynamoDB operations the functions send to each table', async () => {
    const sent: Sent[] = [];
    const { attributes, state, replay } = createStores({
      config,
      dynamo: recordingPort(sent) as unknown as DynamoPort,
    });
    const key = stateKey(STATE_KEY_PREFIXES.code, 'abc');
    const dynamo = recordingPort(sent) as unknown as DynamoPort;
    const sessions = createSessionsFor({ config, dynamo, attributes, log: captureLogger() });
    const store = createDynamoSessionStore({ client: dynamo, tableName: 'state-table' });
    const directory = createDynamoDirectoryStore({ client: dynamo, tableName: 'attributes-table' });
    const user: DirectoryUser = {
      id: 'u1',
      subject: 'sub',
      externalId: 'sub',
      userName: 'u@example.com',
      active: true,
      resource: {},
      created: '2026-01-01T00:00:00Z',
      lastModified: '2026-01-01T00:00:00Z',
      revision: 1,
    };
    const calls: (() => Promise<unknown>)[] = [
      () => attributes.getIdp('okta'),
      () => attributes.listIdps(),
      () => attributes.getAccounts(['111122223333']),
      () => attributes.getDefaults(),
      () => state.put(key, { a: 1 }, 4102444800),
      () => state.get(key),
      () => state.consume(key),
      () => state.update(key, { a: 2 }, 4102444800),
      () => state.delete(key),
      () => replay.remember('saml', 'id-1', 4102444800),
      () => attributes.getSettings(),
      // What the portal, SPA and CLI functions do with sessions (the admin listing's Scan is the
      // operator's, not a function's).
      () => store.create('id', {}, 4102444800, 1),
      () => sessions.resume(`okta.${'0'.repeat(16)}.${'a'.repeat(43)}`, { kind: 'browser' }),
      () => store.touch('id', { lastUsedAt: 1, recent: [] }),
      () => store.delete('id'),
      // Sign-ins index a person's sessions; the scim function lists them and revokes.
      () => store.indexSession?.('okta', 'ref', 'id', 4102444800) ?? Promise.resolve(),
      () => store.liveSessions?.('okta', 'ref', 1) ?? Promise.resolve(),
      () => store.revoke({ kind: 'subject', idp: 'okta', subjectRef: 'ref' }, 1, 4102444800),
      // The directory: the sign-in join's reads, and what the scim function writes.
      () => directory.readPerson('okta', 'sub'),
      () => directory.readGroups('okta'),
      () => directory.createUser('okta', user),
      () => directory.replaceUser('okta', { ...user, revision: 2 }, user),
      () => directory.getUser('okta', 'u1'),
      () => directory.listUsers('okta', 1, 10),
      () => directory.addMembers('okta', 'g1', [{ type: 'User', id: 'u1', subject: 'sub' }]),
      () => directory.removeMembers('okta', 'g1', [{ type: 'User', id: 'u1', subject: 'sub' }]),
      () => directory.setUserAttributes('okta', 'sub', { costCenter: ['cc-1'] }),
      () => directory.setUserAttributes('okta', 'sub', undefined),
      () => directory.deleteUser('okta', user),
    ];
    for (const call of calls) await call().catch(() => undefined);

    expect(new Set(sent.map((s) => s.table))).toEqual(new Set(['attributes-table', 'state-table']));
    const granted = (table: 'attributes' | 'state') =>
      [
        ...new Set(
          FUNCTIONS.flatMap((fn) =>
            dynamoStatementsOf(MANIFEST[fn])
              .filter((s) => s.table === table)
              .flatMap((s) => s.actions),
          ),
        ),
      ].sort();
    // The config reads, and the directory's writes (scim's, on DIR# only: the stand-in's check).
    expect(actionsOn(sent, 'attributes-table')).toEqual(granted('attributes'));
    expect(granted('attributes')).toEqual(
      [
        ...ATTRIBUTE_READ_ACTIONS,
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ].sort(),
    );
    expect(actionsOn(sent, 'state-table')).toEqual(granted('state'));
  });
});
