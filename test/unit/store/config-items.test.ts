import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  ScanCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseGatewayConfig } from '../../../shared/config/index.js';
import {
  type AttributeItem,
  applyConfig,
  canonicalJson,
  diffItems,
  toItems,
} from '../../../shared/store/index.js';
import { sampleConfig, sampleConfigInput } from '../../fixtures/gateway-config.sample.js';

const updatedAt = '2030-01-01T00:00:00.000Z';
const keysOf = (items: readonly { pk: string; sk: string }[]) =>
  items.map((i) => `${i.pk} ${i.sk}`).sort();
const asRaw = (item: AttributeItem): Record<string, AttributeValue> => ({
  pk: { S: item.pk },
  sk: { S: item.sk },
  kind: { S: item.kind },
  doc: { S: item.doc },
  updatedAt: { S: item.updatedAt },
});

describe('toItems', () => {
  it('splits a config into its defaults, gateway rules and one item per IdP (without rules), rule and account', () => {
    const items = toItems(sampleConfig(), { updatedAt });
    expect(keysOf(items)).toEqual([
      'ACCOUNT#111122223333 PROFILE',
      'ACCOUNT#444455556666 PROFILE',
      'GATEWAY DEFAULTS',
      'GATEWAY RULE#000000#suspended',
      'GATEWAY SETTINGS',
      'IDP#entra CONFIG',
      'IDP#entra RULE#000001#devs',
      'IDP#okta CONFIG',
      'IDP#okta RULE#000005#contractors',
      'IDP#okta RULE#000010#admins',
      'IDP#okta RULE#000200#readers',
    ]);
    const okta = items.find((i) => i.pk === 'IDP#okta' && i.sk === 'CONFIG');
    expect(okta).toMatchObject({ kind: 'idp', updatedAt });
    expect(JSON.parse(okta?.doc ?? '')).not.toHaveProperty('rules');
    expect(JSON.parse(okta?.doc ?? '')).toMatchObject({ id: 'okta', protocol: 'saml' });
    const admins = items.find((i) => i.sk === 'RULE#000010#admins');
    expect(admins?.kind).toBe('rule');
    expect(JSON.parse(admins?.doc ?? '')).toEqual(sampleConfig().idps[0]?.rules[1]);
    const gate = items.find((i) => i.pk === 'GATEWAY' && i.sk === 'RULE#000000#suspended');
    expect(gate?.kind).toBe('rule');
    expect(JSON.parse(gate?.doc ?? '')).toEqual(sampleConfig().gatewayRules[0]);
  });

  it('deletes a gateway rule that the config no longer has, and keeps one it still has', () => {
    const desired = toItems(sampleConfig(), { updatedAt });
    const removed = { pk: 'GATEWAY', sk: 'RULE#000009#gone', kind: 'rule', doc: '{}', updatedAt };
    expect(diffItems([...desired, removed], desired)).toEqual({
      puts: [],
      deletes: [{ pk: 'GATEWAY', sk: 'RULE#000009#gone' }],
    });
  });

  it('stores the defaults as validated, with the schema filling in what the file leaves out', () => {
    const defaultsOf = (config: ReturnType<typeof sampleConfig>) =>
      toItems(config, { updatedAt }).find((i) => i.pk === 'GATEWAY' && i.sk === 'DEFAULTS');
    expect(defaultsOf(sampleConfig())).toEqual({
      pk: 'GATEWAY',
      sk: 'DEFAULTS',
      kind: 'defaults',
      doc: '{"sessionDurationSeconds":7200,"sessionName":"{subject}"}',
      updatedAt,
    });
    const input = { ...sampleConfigInput(), defaults: undefined };
    expect(defaultsOf(parseGatewayConfig(input))?.doc).toBe(
      '{"sessionDurationSeconds":3600,"sessionName":"{subject}"}',
    );
  });

  it('writes docs as canonical JSON, so key order in the file does not matter', () => {
    const input = sampleConfigInput();
    const reordered = structuredClone(input);
    const saml = reordered.idps[0] as { saml: Record<string, unknown> };
    saml.saml = Object.fromEntries(Object.entries(saml.saml).reverse());
    expect(toItems(parseGatewayConfig(reordered), { updatedAt })).toEqual(
      toItems(parseGatewayConfig(input), { updatedAt }),
    );
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('refuses an IdP that would not fit in a 400 KB item', () => {
    const input = sampleConfigInput();
    (input.idps[0] as { saml: Record<string, unknown> }).saml = {
      metadataXml: `<md:EntityDescriptor>${'x'.repeat(500_000)}</md:EntityDescriptor>`,
    };
    const config = parseGatewayConfig(input);
    expect(() => toItems(config)).toThrow(ConfigError);
    const err = (() => {
      try {
        return toItems(config);
      } catch (e) {
        return e;
      }
    })();
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['idps[0]']);
  });
});

describe('diffItems', () => {
  const desired = toItems(sampleConfig(), { updatedAt });
  const item = (pk: string, sk: string) => ({ pk, sk, kind: 'x', doc: '{}', updatedAt });

  it('puts everything into an empty table and nothing into an equal one', () => {
    expect(diffItems([], desired)).toEqual({ puts: desired, deletes: [] });
    const stored = desired.map((i) => ({ ...i, updatedAt: 'earlier' }));
    expect(diffItems(stored, desired)).toEqual({ puts: [], deletes: [] });
  });

  it('puts items whose doc or kind differ and deletes managed items no longer wanted', () => {
    const [first, second, ...rest] = desired;
    const stored = [
      { ...first!, doc: '{"changed":true}' },
      { ...second!, kind: 'other' },
      ...rest,
      { pk: 'IDP#okta', sk: 'RULE#000300#gone', kind: 'rule', doc: '{}', updatedAt },
      {
        pk: 'ACCOUNT#999999999999',
        sk: 'PROFILE',
        kind: undefined,
        doc: undefined,
        updatedAt: undefined,
      },
      { pk: 'META#schema', sk: 'VERSION', kind: 'meta', doc: '{}', updatedAt },
    ];
    const diff = diffItems(stored, desired);
    expect(diff.puts).toEqual([first, second]);
    expect(diff.deletes).toEqual([
      { pk: 'IDP#okta', sk: 'RULE#000300#gone' },
      { pk: 'ACCOUNT#999999999999', sk: 'PROFILE' },
    ]);
  });

  it('rewrites only the defaults item when only the defaults change', () => {
    const input = sampleConfigInput();
    input.defaults = { sessionDurationSeconds: 900, sessionName: '{claims.email}' };
    const diff = diffItems(desired, toItems(parseGatewayConfig(input), { updatedAt }));
    expect(diff.deletes).toEqual([]);
    expect(diff.puts).toEqual([
      {
        pk: 'GATEWAY',
        sk: 'DEFAULTS',
        kind: 'defaults',
        doc: '{"sessionDurationSeconds":900,"sessionName":"{claims.email}"}',
        updatedAt,
      },
    ]);
  });

  it('deletes unknown items in the GATEWAY partition, but nothing merely starting with GATEWAY', () => {
    const stored = [
      ...desired,
      item('GATEWAY', 'LEGACY'),
      item('GATEWAYS', 'DEFAULTS'),
      item('GATEWAY#keys', 'CURRENT'),
      item('gateway', 'DEFAULTS'),
    ];
    expect(diffItems(stored, desired)).toEqual({
      puts: [],
      deletes: [{ pk: 'GATEWAY', sk: 'LEGACY' }],
    });
  });
});

describe('applyConfig', () => {
  const dynamo = mockClient(DynamoDBClient);
  beforeEach(() => dynamo.reset());
  const client = () => new DynamoDBClient({});

  it('scans every page consistently, then writes puts before deletes in batches of 25', async () => {
    const stale = Array.from({ length: 30 }, (_, i) => ({
      pk: { S: 'IDP#old' },
      sk: { S: `RULE#${String(i).padStart(6, '0')}#r${i}` },
      kind: { S: 'rule' },
      doc: { S: '{}' },
    }));
    dynamo
      .on(ScanCommand)
      .resolvesOnce({
        Items: stale.slice(0, 20),
        LastEvaluatedKey: { pk: { S: 'x' }, sk: { S: 'y' } },
      })
      .resolvesOnce({ Items: stale.slice(20) });
    dynamo.on(BatchWriteItemCommand).resolves({});

    const diff = await applyConfig(client(), 'attrs', sampleConfig(), { updatedAt });

    expect(diff.puts).toHaveLength(11);
    expect(diff.deletes).toHaveLength(30);
    expect(dynamo).toHaveReceivedCommandTimes(ScanCommand, 2);
    expect(dynamo).toHaveReceivedNthCommandWith(ScanCommand, 1, {
      TableName: 'attrs',
      ConsistentRead: true,
    });
    expect(dynamo).toHaveReceivedNthCommandWith(ScanCommand, 2, {
      ExclusiveStartKey: { pk: { S: 'x' }, sk: { S: 'y' } },
    });
    const batches = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems?.attrs ?? []);
    expect(batches.map((b) => b.length)).toEqual([25, 16]);
    const kinds = batches.flat().map((r) => (r.PutRequest ? 'put' : 'delete'));
    expect(kinds.lastIndexOf('put')).toBeLessThan(kinds.indexOf('delete'));
  });

  it('writes nothing when the table already matches', async () => {
    dynamo.on(ScanCommand).resolves({ Items: toItems(sampleConfig(), { updatedAt }).map(asRaw) });
    await expect(applyConfig(client(), 'attrs', sampleConfig())).resolves.toEqual({
      puts: [],
      deletes: [],
    });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it('retries unprocessed items until they are written', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo
      .on(BatchWriteItemCommand)
      .callsFakeOnce((input: { RequestItems: Record<string, unknown[]> }) => ({
        UnprocessedItems: { attrs: input.RequestItems.attrs?.slice(0, 3) },
      }))
      .resolves({});
    await applyConfig(client(), 'attrs', sampleConfig());
    const sizes = dynamo
      .commandCalls(BatchWriteItemCommand)
      .map((call) => call.args[0].input.RequestItems?.attrs?.length);
    expect(sizes).toEqual([11, 3]);
  });

  it('gives up with temporarily_unavailable when items stay unprocessed', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo
      .on(BatchWriteItemCommand)
      .callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
        UnprocessedItems: input.RequestItems,
      }));
    // The backoff between rounds is real time: run it on a fake clock.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const applied = expect(applyConfig(client(), 'attrs', sampleConfig())).rejects.toMatchObject({
        status: 503,
        code: 'temporarily_unavailable',
      });
      await vi.runAllTimersAsync();
      await applied;
    } finally {
      vi.useRealTimers();
    }
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteItemCommand, 8);
  });

  it('maps a throttled Scan to temporarily_unavailable', async () => {
    dynamo.on(ScanCommand).rejects(new ThrottlingException({ message: 'x', $metadata: {} }));
    await expect(applyConfig(client(), 'attrs', sampleConfig())).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    });
  });
});
