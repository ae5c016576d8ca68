import { DeleteItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { CdkCustomResourceEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ConfigResourceProperties,
  createConfigApplyHandler,
  sha256Hex,
} from '../../../infra/cdk/config-as-code/apply-config-event.js';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { sampleConfig, sampleConfigInput } from '../../fixtures/gateway-config.sample.js';
import { useDynamoDb } from '../../support/dynamodb.js';

const dynamo = useDynamoDb();

/** The config JSON as ConfigAsCode ships it: JSON.stringify of the validated config. */
const ship = (config = sampleConfig()) => {
  const text = JSON.stringify(config);
  return { text, sha: sha256Hex(text) };
};

const base = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/fedgate-example-gateway/x',
  RequestId: 'r-1',
  LogicalResourceId: 'ConfigApplied',
  ResourceType: 'Custom::FedgateGatewayConfig',
};

const props = (sha: string): ConfigResourceProperties & { ServiceToken: string } => ({
  ServiceToken: base.ServiceToken,
  TableName: dynamo.names.attributeTableName,
  ConfigSha256: sha,
});

const event = (
  type: 'Create' | 'Update' | 'Delete',
  sha: string,
): CdkCustomResourceEvent<ConfigResourceProperties> =>
  type === 'Create'
    ? { ...base, RequestType: 'Create', ResourceProperties: props(sha) }
    : type === 'Update'
      ? {
          ...base,
          RequestType: 'Update',
          PhysicalResourceId: `fedgate-config:${dynamo.names.attributeTableName}`,
          ResourceProperties: props(sha),
          OldResourceProperties: props('0'.repeat(64)),
        }
      : {
          ...base,
          RequestType: 'Delete',
          PhysicalResourceId: `fedgate-config:${dynamo.names.attributeTableName}`,
          ResourceProperties: props(sha),
        };

const handlerFor = (text: string) =>
  createConfigApplyHandler({
    dynamo: dynamo.createClient(),
    readShippedConfig: async () => text,
  });

/** Every item of a table as `pk/sk`, sorted. */
const keysOf = async (tableName: string) => {
  const out = await dynamo.createClient().send(new ScanCommand({ TableName: tableName }));
  return (out.Items ?? []).map((i) => `${i.pk?.S}/${i.sk?.S ?? ''}`).sort();
};

const SAMPLE_KEYS = [
  'ACCOUNT#111122223333/PROFILE',
  'ACCOUNT#444455556666/PROFILE',
  'GATEWAY/DEFAULTS',
  'GATEWAY/RULE#000000#suspended',
  'GATEWAY/SETTINGS',
  'IDP#entra/CONFIG',
  'IDP#entra/RULE#000001#devs',
  'IDP#okta/CONFIG',
  'IDP#okta/RULE#000005#contractors',
  'IDP#okta/RULE#000010#admins',
  'IDP#okta/RULE#000200#readers',
];

describe('config-as-code custom resource handler against DynamoDB Local', () => {
  beforeEach(async () => {
    // Start each case from an empty attribute table, a foreign item and one state item.
    const client = dynamo.createClient();
    for (const key of await keysOf(dynamo.names.attributeTableName)) {
      const [pk, sk] = key.split('/') as [string, string];
      await client.send(
        new DeleteItemCommand({
          TableName: dynamo.names.attributeTableName,
          Key: { pk: { S: pk }, sk: { S: sk } },
        }),
      );
    }
    await client.send(
      new PutItemCommand({
        TableName: dynamo.names.attributeTableName,
        Item: { pk: { S: 'META#ops' }, sk: { S: 'NOTE' }, note: { S: 'not config-managed' } },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: dynamo.names.stateTableName,
        Item: { pk: { S: 'REPLAY#abc' }, expiresAt: { N: '4102444800' } },
      }),
    );
  });

  it('Create: puts every item of the config, leaves foreign items and the state table alone', async () => {
    const { text, sha } = ship();
    const out = await handlerFor(text)(event('Create', sha));
    expect(out).toEqual({
      PhysicalResourceId: `fedgate-config:${dynamo.names.attributeTableName}`,
      Data: { Puts: SAMPLE_KEYS.length, Deletes: 0 },
    });
    expect(await keysOf(dynamo.names.attributeTableName)).toEqual(
      [...SAMPLE_KEYS, 'META#ops/NOTE'].sort(),
    );
    expect(await keysOf(dynamo.names.stateTableName)).toEqual(['REPLAY#abc/']);
  });

  it('Update: puts what changed, deletes what was removed; the same config again writes nothing', async () => {
    const first = ship();
    await handlerFor(first.text)(event('Create', first.sha));

    const input = sampleConfigInput();
    const okta = input.idps[0]!;
    okta.rules = okta.rules!.filter((r) => r.id !== 'readers');
    (okta.rules.find((r) => r.id === 'admins') as { description?: string }).description = 'new';
    input.accounts = input.accounts!.filter((a) => a.id !== '444455556666');
    const second = ship(parseGatewayConfig(input));

    const out = await handlerFor(second.text)(event('Update', second.sha));
    expect(out.Data).toEqual({ Puts: 1, Deletes: 2 });
    expect(out.PhysicalResourceId).toBe(`fedgate-config:${dynamo.names.attributeTableName}`);
    expect(await keysOf(dynamo.names.attributeTableName)).toEqual(
      [
        ...SAMPLE_KEYS.filter(
          (k) => k !== 'IDP#okta/RULE#000200#readers' && k !== 'ACCOUNT#444455556666/PROFILE',
        ),
        'META#ops/NOTE',
      ].sort(),
    );

    const again = await handlerFor(second.text)(event('Update', second.sha));
    expect(again.Data).toEqual({ Puts: 0, Deletes: 0 });
    expect(await keysOf(dynamo.names.stateTableName)).toEqual(['REPLAY#abc/']);
  });

  it('Delete: writes and deletes nothing (the table is retained; a replacement must not wipe it)', async () => {
    const { text, sha } = ship();
    await handlerFor(text)(event('Create', sha));
    const out = await handlerFor(text)(event('Delete', sha));
    expect(out).toEqual({
      PhysicalResourceId: `fedgate-config:${dynamo.names.attributeTableName}`,
      Data: { Puts: 0, Deletes: 0 },
    });
    expect(await keysOf(dynamo.names.attributeTableName)).toEqual(
      [...SAMPLE_KEYS, 'META#ops/NOTE'].sort(),
    );
  });

  it('refuses a shipped config that is not the one synthesized (hash mismatch), writing nothing', async () => {
    const { text } = ship();
    await expect(handlerFor(text)(event('Create', 'f'.repeat(64)))).rejects.toThrow(
      /SHA-256 [0-9a-f]{64}, the deploy expects f{64}/,
    );
    expect(await keysOf(dynamo.names.attributeTableName)).toEqual(['META#ops/NOTE']);
  });

  it('validates the shipped config again and refuses an invalid one, naming its path', async () => {
    const broken = JSON.parse(ship().text);
    broken.idps[0].rules[0].grant.roleArn = 'not-an-arn';
    const text = JSON.stringify(broken);
    await expect(handlerFor(text)(event('Update', sha256Hex(text)))).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [expect.objectContaining({ path: 'idps[0].rules[0].grant.roleArn' })],
    });
    expect(await keysOf(dynamo.names.attributeTableName)).toEqual(['META#ops/NOTE']);
  });
});
