import {
  type AttributeValue,
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { GatewayMisconfiguredError } from '../../../shared/http/errors.js';
import {
  type AttributeItem,
  createDynamoAttributeStore,
  toItems,
} from '../../../shared/store/index.js';
import { sampleConfig } from '../../fixtures/gateway-config.sample.js';

const dynamo = mockClient(DynamoDBClient);
beforeEach(() => dynamo.reset());

const store = () =>
  createDynamoAttributeStore({ client: new DynamoDBClient({}), tableName: 'attrs' });
const raw = (item: AttributeItem): Record<string, AttributeValue> => ({
  pk: { S: item.pk },
  sk: { S: item.sk },
  kind: { S: item.kind },
  doc: { S: item.doc },
  updatedAt: { S: item.updatedAt },
});
const items = () => toItems(sampleConfig(), { updatedAt: '2030-01-01T00:00:00.000Z' });
/** The items a Query on the IdP returns: its partition, in sort-key order. */
const partition = (idpId: string) =>
  items()
    .filter((i) => i.pk === `IDP#${idpId}`)
    .sort((a, b) => (a.sk < b.sk ? -1 : 1));
const misconfigured = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayMisconfiguredError);
  return (err as GatewayMisconfiguredError).detail ?? '';
};

describe('getIdp', () => {
  it('rebuilds the IdP from one Query, rules in priority order, equal to the config', async () => {
    dynamo.on(QueryCommand).resolves({ Items: partition('okta').map(raw) });
    const idp = await store().getIdp('okta');
    expect(idp?.rules.map((r) => r.id)).toEqual(['contractors', 'admins', 'readers']);
    const expected = sampleConfig().idps[0]!;
    expect(idp).toEqual({
      ...expected,
      rules: [...expected.rules].sort((a, b) => a.priority - b.priority),
    });
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'attrs',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'IDP#okta' } },
    });
  });

  it('follows Query pages', async () => {
    const [settings, ...rules] = partition('okta').map(raw);
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [settings!],
        LastEvaluatedKey: { pk: settings!.pk!, sk: settings!.sk! },
      })
      .resolvesOnce({ Items: rules });
    expect((await store().getIdp('okta'))?.rules).toHaveLength(3);
  });

  it('returns undefined for an unknown IdP, and for an id that cannot exist without asking', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await expect(store().getIdp('nobody')).resolves.toBeUndefined();
    await expect(store().getIdp('../Bad#Id')).resolves.toBeUndefined();
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('returns undefined for rules left without their IdP settings', async () => {
    dynamo.on(QueryCommand).resolves({ Items: partition('okta').slice(1).map(raw) });
    await expect(store().getIdp('okta')).resolves.toBeUndefined();
  });

  it('names the invalid rule item, not its content', async () => {
    const [settings, first, ...rest] = partition('okta');
    const doc = JSON.parse(first!.doc);
    doc.grant = { roleArn: 'arn:aws:iam::1:role/secret-looking-value' };
    doc.effect = 'allow';
    doc.when = [];
    dynamo.on(QueryCommand).resolves({
      Items: [settings!, { ...first!, doc: JSON.stringify(doc) }, ...rest].map(raw),
    });
    const detail = await misconfigured(store().getIdp('okta'));
    expect(detail).toBe(
      'attribute item IDP#okta/RULE#000005#contractors fails validation at grant.roleArn',
    );
    expect(detail).not.toContain('secret-looking-value');
  });

  it('fails closed on a deny item written for the old condition semantics, naming it', async () => {
    // What the previous version stored for { claim: type, op: equals, value: contractor }.
    const [settings, first, ...rest] = partition('okta');
    const doc = JSON.parse(first!.doc);
    doc.when = [{ claim: 'type', op: 'equals', value: 'contractor', ignoreCase: false }];
    dynamo.on(QueryCommand).resolves({
      Items: [settings!, { ...first!, doc: JSON.stringify(doc) }, ...rest].map(raw),
    });
    expect(await misconfigured(store().getIdp('okta'))).toBe(
      'attribute item IDP#okta/RULE#000005#contractors fails validation at when[0].ignoreCase',
    );
  });

  it('fails closed on a stored Entra allow item keyed on email (Entra does not verify it), naming it', async () => {
    const [settings, devs] = partition('entra');
    const doc = JSON.parse(devs!.doc);
    doc.when = [{ claim: 'email', op: 'equals', value: 'boss@example.com', quantifier: 'any' }];
    dynamo.on(QueryCommand).resolves({
      Items: [settings!, { ...devs!, doc: JSON.stringify(doc) }].map(raw),
    });
    const detail = await misconfigured(store().getIdp('entra'));
    expect(detail).toBe(
      'attribute item IDP#entra/RULE#000001#devs fails validation at when[0].claim',
    );
    expect(detail).not.toContain('boss@example.com');
  });

  it('reads an old allow item with its old meaning (contains = equals + any)', async () => {
    const [settings, ...rules] = partition('okta');
    const admins = rules.find((r) => r.sk.endsWith('#admins'))!;
    const doc = JSON.parse(admins.doc);
    doc.when = [{ claim: 'groups', op: 'contains', value: 'aws-admins', ignoreCase: false }];
    dynamo.on(QueryCommand).resolves({
      Items: [
        settings!,
        ...rules.map((r) => (r === admins ? { ...r, doc: JSON.stringify(doc) } : r)),
      ].map(raw),
    });
    const idp = await store().getIdp('okta');
    expect(idp?.rules.find((r) => r.id === 'admins')?.when).toEqual([
      { claim: 'groups', op: 'equals', value: 'aws-admins', quantifier: 'any', case: 'exact' },
    ]);
  });

  it('names the settings item when it is invalid', async () => {
    const [settings, ...rules] = partition('okta');
    const doc = { ...JSON.parse(settings!.doc), protocol: 'ws-fed' };
    dynamo
      .on(QueryCommand)
      .resolves({ Items: [{ ...settings!, doc: JSON.stringify(doc) }, ...rules].map(raw) });
    expect(await misconfigured(store().getIdp('okta'))).toMatch(
      /^attribute item IDP#okta\/CONFIG fails validation/,
    );
  });

  it.each([
    [
      'a doc that is not JSON',
      (i: AttributeItem[]) => [i[0]!, { ...i[1]!, doc: '{nope' }],
      'RULE#000005#contractors has a doc that is not JSON',
    ],
    [
      'the wrong kind',
      (i: AttributeItem[]) => [{ ...i[0]!, kind: 'rule' as const }],
      'CONFIG has kind "rule"',
    ],
    [
      'rules inside the settings',
      (i: AttributeItem[]) => [
        { ...i[0]!, doc: JSON.stringify({ ...JSON.parse(i[0]!.doc), rules: [] }) },
      ],
      'CONFIG holds rules inside its doc',
    ],
    [
      'an unknown item type',
      (i: AttributeItem[]) => [i[0]!, { ...i[1]!, sk: 'DENYLIST#1' }],
      'DENYLIST#1 is of an unknown type',
    ],
    [
      'a sort key that disagrees with the doc',
      (i: AttributeItem[]) => [i[0]!, { ...i[1]!, sk: 'RULE#000001#contractors' }],
      'RULE#000001#contractors does not match the priority and id in its doc',
    ],
    [
      'another IdP id in the doc',
      (i: AttributeItem[]) => [
        { ...i[0]!, doc: JSON.stringify({ ...JSON.parse(i[0]!.doc), id: 'other' }) },
      ],
      'CONFIG holds another IdP id',
    ],
    [
      'two rules with one id',
      (i: AttributeItem[]) => [i[0]!, i[1]!, { ...i[1]!, sk: 'RULE#000005#contractors2' }],
      'RULE#000005#contractors2 fails validation at id',
    ],
  ])('fails closed on %s', async (_name, mutate, expected) => {
    dynamo.on(QueryCommand).resolves({ Items: mutate(partition('okta')).map(raw) });
    expect(await misconfigured(store().getIdp('okta'))).toContain(expected);
  });

  it('maps a missing table to a misconfiguration', async () => {
    dynamo.on(QueryCommand).rejects(new ResourceNotFoundException({ message: 'x', $metadata: {} }));
    await expect(store().getIdp('okta')).rejects.toMatchObject({
      code: 'server_error',
      status: 500,
    });
  });
});

describe('listIdps', () => {
  it('scans the settings items only and summarises them sorted by id', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: items()
        .filter((i) => i.sk === 'CONFIG')
        .map(raw)
        .reverse(),
    });
    await expect(store().listIdps()).resolves.toEqual([
      { id: 'entra', displayName: 'Microsoft Entra ID', protocol: 'oidc', listed: false },
      { id: 'okta', displayName: 'Okta', protocol: 'saml', listed: true },
    ]);
    expect(dynamo).toHaveReceivedCommandWith(ScanCommand, {
      FilterExpression: 'sk = :config AND begins_with(pk, :idp)',
      ExpressionAttributeValues: { ':config': { S: 'CONFIG' }, ':idp': { S: 'IDP#' } },
    });
  });

  it('fails closed on an invalid IdP item', async () => {
    const [settings] = partition('okta');
    dynamo.on(ScanCommand).resolves({ Items: [raw({ ...settings!, doc: '{"id":"okta"}' })] });
    expect(await misconfigured(store().listIdps())).toMatch(
      /^attribute item IDP#okta\/CONFIG fails validation/,
    );
  });
});

describe('getAccounts', () => {
  const accountItems = () =>
    items()
      .filter((i) => i.kind === 'account')
      .map(raw);

  it('reads profiles with BatchGetItem and returns them in the order asked', async () => {
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { attrs: accountItems() } });
    const found = await store().getAccounts([
      '444455556666',
      '000000000000',
      '111122223333',
      '444455556666',
    ]);
    expect(found.map((a) => a.alias)).toEqual(['dev', 'prod']);
    expect(dynamo).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: {
        attrs: expect.objectContaining({
          Keys: [
            { pk: { S: 'ACCOUNT#444455556666' }, sk: { S: 'PROFILE' } },
            { pk: { S: 'ACCOUNT#000000000000' }, sk: { S: 'PROFILE' } },
            { pk: { S: 'ACCOUNT#111122223333' }, sk: { S: 'PROFILE' } },
          ],
        }),
      },
    });
  });

  it('asks for nothing when no id can be an account', async () => {
    await expect(store().getAccounts(['not-an-account', ''])).resolves.toEqual([]);
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });

  it('retries unprocessed keys', async () => {
    const [prod, dev] = accountItems();
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({
        Responses: { attrs: [prod!] },
        UnprocessedKeys: { attrs: { Keys: [{ pk: dev!.pk!, sk: dev!.sk! }] } },
      })
      .resolvesOnce({ Responses: { attrs: [dev!] } });
    const found = await store().getAccounts(['111122223333', '444455556666']);
    expect(found.map((a) => a.id)).toEqual(['111122223333', '444455556666']);
    expect(dynamo).toHaveReceivedCommandTimes(BatchGetItemCommand, 2);
  });

  it('fails closed on an invalid profile', async () => {
    const [prod] = accountItems();
    dynamo
      .on(BatchGetItemCommand)
      .resolves({ Responses: { attrs: [{ ...prod!, doc: { S: '{"id":"111122223333"}' } }] } });
    expect(await misconfigured(store().getAccounts(['111122223333']))).toBe(
      'attribute item ACCOUNT#111122223333/PROFILE fails validation at alias',
    );
  });
});

describe('getDefaults', () => {
  const defaultsItem = () => items().find((i) => i.kind === 'defaults')!;
  const withDoc = (doc: string) => ({ Item: raw({ ...defaultsItem(), doc }) });

  it('reads the GATEWAY/DEFAULTS item with one GetItem and returns it validated', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: raw(defaultsItem()) });
    await expect(store().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 7200,
      sessionName: '{subject}',
    });
    expect(dynamo).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: 'attrs',
      Key: { pk: { S: 'GATEWAY' }, sk: { S: 'DEFAULTS' } },
    });
  });

  it("returns the schema's defaults when the table holds no defaults item", async () => {
    dynamo.on(GetItemCommand).resolves({});
    await expect(store().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 3600,
      sessionName: '{subject}',
    });
  });

  it('fills in what a stored item leaves out, as the config file would', async () => {
    dynamo.on(GetItemCommand).resolves(withDoc('{"sessionName":"{claims.email}"}'));
    await expect(store().getDefaults()).resolves.toEqual({
      sessionDurationSeconds: 3600,
      sessionName: '{claims.email}',
    });
  });

  it.each([
    [
      'a duration out of range',
      '{"sessionDurationSeconds":60}',
      'fails validation at sessionDurationSeconds',
    ],
    ['an unknown key', '{"sessionDurationSeconds":900,"maxSessions":3}', 'fails validation'],
    [
      'a bad template',
      '{"sessionName":"secret-looking-{value}"}',
      'fails validation at sessionName',
    ],
    ['a doc that is not JSON', '{nope', 'has a doc that is not JSON'],
    ['a doc that is not an object', '[]', 'has a doc that is not an object'],
  ])('fails closed on %s, naming the item and not its content', async (_name, doc, why) => {
    dynamo.on(GetItemCommand).resolves(withDoc(doc));
    const detail = await misconfigured(store().getDefaults());
    expect(detail).toBe(`attribute item GATEWAY/DEFAULTS ${why}`);
    await expect(store().getDefaults()).rejects.toMatchObject({
      code: 'server_error',
      status: 500,
    });
  });

  it('fails closed on an item of another kind', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: raw({ ...defaultsItem(), kind: 'idp' }) });
    expect(await misconfigured(store().getDefaults())).toBe(
      'attribute item GATEWAY/DEFAULTS has kind "idp"',
    );
  });

  it('maps a missing table to server_error and throttling to temporarily_unavailable', async () => {
    dynamo
      .on(GetItemCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'x', $metadata: {} }))
      .rejectsOnce(new ThrottlingException({ message: 'x', $metadata: {} }));
    await expect(store().getDefaults()).rejects.toMatchObject({ code: 'server_error' });
    await expect(store().getDefaults()).rejects.toMatchObject({
      code: 'temporarily_unavailable',
      status: 503,
    });
  });
});

describe('getGatewayRules', () => {
  const gatewayItems = () => items().filter((i) => i.pk === 'GATEWAY' && i.sk.startsWith('RULE#'));

  it('reads the GATEWAY/RULE# items with one Query and returns them validated, in order', async () => {
    expect(gatewayItems().map((i) => i.sk)).toEqual(['RULE#000000#suspended']);
    dynamo.on(QueryCommand).resolves({ Items: gatewayItems().map(raw) });
    await expect(store().getGatewayRules()).resolves.toEqual(sampleConfig().gatewayRules);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'attrs',
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rule)',
      ExpressionAttributeValues: { ':pk': { S: 'GATEWAY' }, ':rule': { S: 'RULE#' } },
    });
  });

  it('returns none when the table holds none', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [] });
    await expect(store().getGatewayRules()).resolves.toEqual([]);
  });

  it.each<[string, (doc: Record<string, unknown>) => void, string]>([
    [
      'an old deny form (no quantifier)',
      (doc) => {
        doc.when = [{ claim: 'status', op: 'equals', value: 'suspended', ignoreCase: false }];
      },
      'when[0].ignoreCase',
    ],
    ['an allow rule', (doc) => Object.assign(doc, { effect: 'allow' }), 'effect'],
    ['another priority than its key', (doc) => Object.assign(doc, { priority: 7 }), ''],
  ])('fails closed on %s, naming the item only', async (_, edit, at) => {
    const [item] = gatewayItems();
    const doc = JSON.parse(item!.doc);
    edit(doc);
    dynamo.on(QueryCommand).resolves({ Items: [raw({ ...item!, doc: JSON.stringify(doc) })] });
    const detail = await misconfigured(store().getGatewayRules());
    expect(detail).toBe(
      at
        ? `attribute item GATEWAY/RULE#000000#suspended fails validation at ${at}`
        : 'attribute item GATEWAY/RULE#000000#suspended does not match the priority and id in its doc',
    );
    expect(detail).not.toContain('suspended"');
  });
});
