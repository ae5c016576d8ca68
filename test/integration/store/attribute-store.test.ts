import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import {
  applyConfig,
  createDynamoAttributeStore,
  describeKey,
  gatewayDefaultsKey,
  gatewayRuleKey,
  ruleKey,
} from '../../../shared/store/index.js';
import { sampleConfig, sampleConfigInput } from '../../fixtures/gateway-config.sample.js';
import { describe, expect, test as kit } from '../../kit/index.js';

/** The kit's tables, with the store over them and the config applier (one client each call). */
const test = kit
  .extend(
    'attributes',
    async ({ tables }) =>
      () =>
        createDynamoAttributeStore({
          client: tables.createClient(),
          tableName: tables.names.attributeTableName,
        }),
  )
  .extend(
    'apply',
    async ({ tables }) =>
      (config = sampleConfig()) =>
        applyConfig(tables.createClient(), tables.names.attributeTableName, config),
  );
const byPriority = <T extends { priority: number }>(rules: readonly T[]) =>
  [...rules].sort((a, b) => a.priority - b.priority);

describe('applyConfig against DynamoDB Local', () => {
  test.beforeEach(async ({ apply }) => {
    await apply();
  });

  test('seeds the table, and applying the same config again writes nothing', async ({ apply }) => {
    const again = await apply();
    expect(again).toEqual({ puts: [], deletes: [] });
  });

  test('deletes a removed rule and rewrites only a changed one', async ({ attributes, apply }) => {
    const input = sampleConfigInput();
    const okta = input.idps[0]!;
    okta.rules = okta.rules!.filter((r) => r.id !== 'readers');
    const admins = okta.rules.find((r) => r.id === 'admins') as { description?: string };
    admins.description = 'changed';

    const diff = await apply(parseGatewayConfig(input));

    expect(diff.deletes).toEqual([ruleKey('okta', 200, 'readers')]);
    expect(diff.puts.map(describeKey)).toEqual(['IDP#okta/RULE#000010#admins']);
    const idp = await attributes().getIdp('okta');
    expect(idp?.rules.map((r) => r.id)).toEqual(['contractors', 'admins']);
    expect(idp?.rules[1]?.description).toBe('changed');
    await expect(apply(parseGatewayConfig(input))).resolves.toEqual({ puts: [], deletes: [] });
  });

  test('moves a rule whose priority changes (its key holds the priority)', async ({
    attributes,
    apply,
  }) => {
    const input = sampleConfigInput();
    input.idps[0]!.rules!.find((r) => r.id === 'readers')!.priority = 1;
    const diff = await apply(parseGatewayConfig(input));
    expect(diff.puts.map(describeKey)).toEqual(['IDP#okta/RULE#000001#readers']);
    expect(diff.deletes.map(describeKey)).toEqual(['IDP#okta/RULE#000200#readers']);
    const idp = await attributes().getIdp('okta');
    expect(idp?.rules.map((r) => r.id)).toEqual(['readers', 'contractors', 'admins']);
  });

  test('removes a whole IdP and an account', async ({ attributes, apply }) => {
    const input = sampleConfigInput();
    input.idps = input.idps.filter((i) => i.id !== 'entra');
    input.accounts = input.accounts!.slice(0, 1);
    const diff = await apply(parseGatewayConfig(input));
    expect(diff.deletes.map(describeKey).sort()).toEqual([
      'ACCOUNT#444455556666/PROFILE',
      'IDP#entra/CONFIG',
      'IDP#entra/RULE#000001#devs',
    ]);
    await expect(attributes().getIdp('entra')).resolves.toBeUndefined();
    await expect(attributes().getAccounts(['444455556666'])).resolves.toEqual([]);
  });

  test('stores the defaults, and a change to them rewrites that one item', async ({
    attributes,
    apply,
  }) => {
    await expect(attributes().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 7200,
      sessionName: '{subject}',
    });
    const input = sampleConfigInput();
    input.defaults = { sessionDurationSeconds: 900, sessionName: '{claims.email}' };
    const diff = await apply(parseGatewayConfig(input));
    expect(diff).toEqual({ puts: [expect.objectContaining(gatewayDefaultsKey())], deletes: [] });
    await expect(attributes().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 900,
      sessionName: '{claims.email}',
    });
    // Leaving them out of the file stores the schema's defaults: the item is never deleted.
    await apply(parseGatewayConfig({ ...input, defaults: undefined }));
    await expect(attributes().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 3600,
      sessionName: '{subject}',
    });
  });

  test('never touches the state table, nor attribute items outside IDP#, ACCOUNT# and GATEWAY', async ({
    tables,
    apply,
  }) => {
    const client = tables.createClient();
    const stateItem = {
      TableName: tables.names.stateTableName,
      Item: { pk: { S: 'TXN#keep-me' }, expiresAt: { N: '9999999999' }, data: { S: '{}' } },
    };
    const foreignKeys = [
      { pk: { S: 'META#schema' }, sk: { S: 'VERSION' } },
      { pk: { S: 'GATEWAY#keys' }, sk: { S: 'CURRENT' } },
    ];
    await client.send(new PutItemCommand(stateItem));
    for (const key of foreignKeys) {
      await client.send(
        new PutItemCommand({
          TableName: tables.names.attributeTableName,
          Item: { ...key, kind: { S: 'meta' } },
        }),
      );
    }
    const input = sampleConfigInput();
    input.idps = input.idps.slice(0, 1);
    await apply(parseGatewayConfig(input));
    const state = await client.send(
      new GetItemCommand({ TableName: stateItem.TableName, Key: { pk: { S: 'TXN#keep-me' } } }),
    );
    expect(state.Item).toBeDefined();
    for (const key of foreignKeys) {
      const foreign = await client.send(
        new GetItemCommand({ TableName: tables.names.attributeTableName, Key: key }),
      );
      expect(foreign.Item).toBeDefined();
    }
  });
});

describe('gateway rules against DynamoDB Local', () => {
  test.beforeEach(async ({ apply }) => {
    await apply();
  });

  test('are stored under GATEWAY / RULE#…, read back validated, and removed with the config', async ({
    attributes,
    apply,
  }) => {
    await expect(attributes().getGatewayRules()).resolves.toEqual(sampleConfig().gatewayRules);
    const input = sampleConfigInput();
    input.gatewayRules = [
      { id: 'b-second', priority: 20, effect: 'deny', when: [] },
      { id: 'a-first', priority: 3, effect: 'deny', when: [{ claim: 'mfa', op: 'absent' }] },
    ];
    const diff = await apply(parseGatewayConfig(input));
    expect(diff.deletes.map(describeKey)).toEqual(['GATEWAY/RULE#000000#suspended']);
    expect(diff.puts.map(describeKey).sort()).toEqual([
      'GATEWAY/RULE#000003#a-first',
      'GATEWAY/RULE#000020#b-second',
    ]);
    expect((await attributes().getGatewayRules()).map((r) => r.id)).toEqual([
      'a-first',
      'b-second',
    ]);
    // The defaults and SPA clients share the partition and are left alone.
    await expect(attributes().getDefaults()).resolves.toEqual(sampleConfig().defaults);
  });

  test('a gateway deny written in the old form fails closed on read, naming the item', async ({
    tables,
    attributes,
  }) => {
    const key = gatewayRuleKey(0, 'suspended');
    await tables.createClient().send(
      new PutItemCommand({
        TableName: tables.names.attributeTableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          kind: { S: 'rule' },
          doc: {
            S: '{"effect":"deny","id":"suspended","priority":0,"when":[{"claim":"status","ignoreCase":false,"op":"equals","value":"suspended"}]}',
          },
          updatedAt: { S: '2030-01-01T00:00:00.000Z' },
        },
      }),
    );
    await expect(attributes().getGatewayRules()).rejects.toMatchObject({
      code: 'server_error',
      detail: 'attribute item GATEWAY/RULE#000000#suspended fails validation at when[0].ignoreCase',
    });
  });
});

describe('createDynamoAttributeStore against DynamoDB Local', () => {
  test.beforeEach(async ({ apply }) => {
    await apply();
  });

  test('getIdp returns the IdP with its rules in priority order, revalidated', async ({
    attributes,
  }) => {
    const expected = sampleConfig().idps[0]!;
    const idp = await attributes().getIdp('okta');
    expect(idp?.rules.map((r) => `${r.priority}:${r.id}`)).toEqual([
      '5:contractors',
      '10:admins',
      '200:readers',
    ]);
    expect(idp).toEqual({ ...expected, rules: byPriority(expected.rules) });
    await expect(attributes().getIdp('nobody')).resolves.toBeUndefined();
  });

  test('getIdp fails closed when an item in the table was edited into something invalid', async ({
    tables,
    attributes,
  }) => {
    const client = tables.createClient();
    const key = ruleKey('okta', 10, 'admins');
    await client.send(
      new PutItemCommand({
        TableName: tables.names.attributeTableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          kind: { S: 'rule' },
          doc: { S: '{"id":"admins","priority":10,"effect":"allow","when":[]}' },
        },
      }),
    );
    await expect(attributes().getIdp('okta')).rejects.toMatchObject({
      code: 'server_error',
      detail: 'attribute item IDP#okta/RULE#000010#admins fails validation at grant',
    });
  });

  test('listIdps summarises every IdP', async ({ attributes }) => {
    await expect(attributes().listIdps()).resolves.toEqual([
      { id: 'entra', displayName: 'Microsoft Entra ID', protocol: 'oidc', listed: false },
      { id: 'okta', displayName: 'Okta', protocol: 'saml', listed: true },
    ]);
  });

  test('getAccounts returns the profiles that exist, in the order asked', async ({
    attributes,
  }) => {
    const found = await attributes().getAccounts(['444455556666', '999999999999', '111122223333']);
    expect(found).toEqual([
      { id: '444455556666', alias: 'dev', description: 'sandbox' },
      { id: '111122223333', alias: 'prod' },
    ]);
  });

  test("getDefaults falls back to the schema's defaults when the item is missing", async ({
    tables,
    attributes,
  }) => {
    const key = gatewayDefaultsKey();
    await tables.createClient().send(
      new DeleteItemCommand({
        TableName: tables.names.attributeTableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      }),
    );
    await expect(attributes().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 3600,
      sessionName: '{subject}',
    });
  });

  test('getDefaults fails closed when the item was edited into something invalid', async ({
    tables,
    attributes,
  }) => {
    const key = gatewayDefaultsKey();
    await tables.createClient().send(
      new PutItemCommand({
        TableName: tables.names.attributeTableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          kind: { S: 'defaults' },
          doc: { S: '{"sessionDurationSeconds":86401}' },
        },
      }),
    );
    await expect(attributes().getDefaults()).rejects.toMatchObject({
      code: 'server_error',
      detail: 'attribute item GATEWAY/DEFAULTS fails validation at sessionDurationSeconds',
    });
  });
});
