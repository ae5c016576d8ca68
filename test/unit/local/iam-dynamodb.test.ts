import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type DynamoAuthorization,
  functionOfUserAgent,
  type IamDynamoProxy,
  isAllowed,
  readDynamoRequest,
  startIamDynamoProxy,
} from '../../../infra/local/aws/iam-dynamodb.js';
import { type FunctionManifest, MANIFEST } from '../../../infra/manifest.js';
import {
  createDynamoDirectoryStore,
  createDynamoStateStore,
  STATE_KEY_PREFIXES,
  stateKey,
} from '../../../shared/store/index.js';

const tables = { attributeTableName: 'attrs', stateTableName: 'state' };
const S = (s: string) => ({ S: s });
const allowed = (fn: keyof typeof MANIFEST, request: DynamoAuthorization) =>
  isAllowed(MANIFEST[fn], tables, request);
const on = (action: string, table: string, ...leadingKeys: string[]): DynamoAuthorization => ({
  action: `dynamodb:${action}`,
  table,
  leadingKeys,
});

describe('reading a DynamoDB request as IAM does', () => {
  it('names the one key of an item operation, and a table ARN by its name', () => {
    expect(
      readDynamoRequest('GetItem', { TableName: 'state', Key: { pk: S('SESSION#a') } }),
    ).toEqual([on('GetItem', 'state', 'SESSION#a')]);
    expect(
      readDynamoRequest('PutItem', {
        TableName: 'arn:aws:dynamodb:us-east-1:000000000000:table/state',
        Item: { pk: S('TXN#t'), data: S('{}') },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ).toEqual([on('PutItem', 'state', 'TXN#t')]);
    expect(
      readDynamoRequest('UpdateItem', {
        TableName: 'state',
        Key: { pk: S('SESSION#s') },
        UpdateExpression: 'SET lastUsedAt = :t',
      }),
    ).toEqual([on('UpdateItem', 'state', 'SESSION#s')]);
    expect(
      readDynamoRequest('DeleteItem', { TableName: 'state', Key: { pk: S('CODE#c') } }),
    ).toEqual([on('DeleteItem', 'state', 'CODE#c')]);
    // An index is its own resource, never the table's.
    expect(
      readDynamoRequest('Query', {
        TableName: 'arn:aws:dynamodb:us-east-1:000000000000:table/state/index/byUser',
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': S('SESSION#x') },
      })[0]?.table,
    ).toBe('state/index/byUser');
  });

  it('names every key of a batch, per table', () => {
    expect(
      readDynamoRequest('BatchGetItem', {
        RequestItems: {
          state: { Keys: [{ pk: S('SESSION#a') }, { pk: S('REVOKED#ALL') }], ConsistentRead: true },
          attrs: { Keys: [{ pk: S('ACCOUNT#1'), sk: S('PROFILE') }] },
        },
      }),
    ).toEqual([
      on('BatchGetItem', 'state', 'SESSION#a', 'REVOKED#ALL'),
      on('BatchGetItem', 'attrs', 'ACCOUNT#1'),
    ]);
    expect(
      readDynamoRequest('BatchWriteItem', {
        RequestItems: {
          state: [
            { PutRequest: { Item: { pk: S('SESSION#a') } } },
            { DeleteRequest: { Key: { pk: S('CODE#b') } } },
          ],
        },
      }),
    ).toEqual([on('BatchWriteItem', 'state', 'SESSION#a', 'CODE#b')]);
  });

  it("names a Query's partition key (expression with a name placeholder, or the legacy form) and a Scan's start key", () => {
    expect(
      readDynamoRequest('Query', {
        TableName: 'attrs',
        KeyConditionExpression: '#k = :id AND begins_with(sk, :r)',
        ExpressionAttributeNames: { '#k': 'pk' },
        ExpressionAttributeValues: { ':id': S('IDP#okta'), ':r': S('RULE#') },
      }),
    ).toEqual([on('Query', 'attrs', 'IDP#okta')]);
    expect(
      readDynamoRequest('Query', {
        TableName: 'attrs',
        KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('GATEWAY')] } },
        ExclusiveStartKey: { pk: S('GATEWAY'), sk: S('RULE#1') },
      }),
    ).toEqual([on('Query', 'attrs', 'GATEWAY', 'GATEWAY')]);
    expect(readDynamoRequest('Scan', { TableName: 'state' })).toEqual([on('Scan', 'state')]);
    expect(
      readDynamoRequest('Scan', { TableName: 'state', ExclusiveStartKey: { pk: S('SESSION#z') } }),
    ).toEqual([on('Scan', 'state', 'SESSION#z')]);
  });

  it("authorizes a transaction's items under their own actions, and anything else by its operation", () => {
    expect(
      readDynamoRequest('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'state', Item: { pk: S('SESSION#a') } } },
          { Update: { TableName: 'state', Key: { pk: S('SESSION#b') } } },
          { Delete: { TableName: 'state', Key: { pk: S('CODE#c') } } },
          { ConditionCheck: { TableName: 'state', Key: { pk: S('REVOKED#ALL') } } },
        ],
      }),
    ).toEqual([
      on('PutItem', 'state', 'SESSION#a'),
      on('UpdateItem', 'state', 'SESSION#b'),
      on('DeleteItem', 'state', 'CODE#c'),
      on('ConditionCheckItem', 'state', 'REVOKED#ALL'),
    ]);
    expect(readDynamoRequest('DescribeTable', { TableName: 'state' })).toEqual([
      on('DescribeTable', 'state'),
    ]);
    expect(readDynamoRequest('ListTables', {})).toEqual([on('ListTables', '*')]);
  });
});

describe('matching a request against a declaration (the role CDK derives)', () => {
  it('matches key prefixes as IAM StringLike `PREFIX#*`: the prefix and anything after it, nothing else', () => {
    expect(allowed('home', on('GetItem', 'state', 'SESSION#abc'))).toBe(true);
    expect(allowed('home', on('GetItem', 'state', 'REVOKED#SUB#okta#x.y(z)'))).toBe(true);
    expect(allowed('home', on('GetItem', 'state', 'SESSION#'))).toBe(true);
    for (const key of ['SESSION', 'SESSIONS#a', 'session#a', 'TXN#a', 'xSESSION#a', '']) {
      expect([key, allowed('home', on('GetItem', 'state', key))]).toEqual([key, false]);
    }
  });

  it('allows a BatchGetItem only when every key is declared (ForAllValues)', () => {
    expect(allowed('home', on('BatchGetItem', 'state', 'SESSION#a', 'REVOKED#ALL'))).toBe(true);
    expect(allowed('home', on('BatchGetItem', 'state', 'SESSION#a', 'TXN#b'))).toBe(false);
    expect(allowed('home', on('BatchGetItem', 'state', 'CODE#a', 'SESSION#b'))).toBe(false);
    const sessionsOnly: FunctionManifest = {
      ...MANIFEST.home,
      state: { ...MANIFEST.home.state, read: [STATE_KEY_PREFIXES.session] },
    };
    expect(isAllowed(sessionsOnly, tables, on('BatchGetItem', 'state', 'SESSION#a'))).toBe(true);
    expect(
      isAllowed(sessionsOnly, tables, on('BatchGetItem', 'state', 'SESSION#a', 'REVOKED#ALL')),
    ).toBe(false);
  });

  it('gives UpdateItem only to the functions that use sessions, on SESSION# only', () => {
    expect(allowed('portal', on('UpdateItem', 'state', 'SESSION#a'))).toBe(true);
    expect(allowed('saml-acs', on('UpdateItem', 'state', 'SESSION#a'))).toBe(true);
    expect(allowed('portal', on('UpdateItem', 'state', 'REVOKED#ALL'))).toBe(false);
    expect(allowed('home', on('UpdateItem', 'state', 'SESSION#a'))).toBe(false);
    expect(allowed('saml-login', on('UpdateItem', 'state', 'AUTHNREQ#a'))).toBe(false);
  });

  it('authorizes a conditional write by its action and key alone: consuming is not creating', () => {
    const put = readDynamoRequest('PutItem', {
      TableName: 'state',
      Item: { pk: S('AUTHNREQ#r') },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })[0] as DynamoAuthorization;
    expect(allowed('saml-login', put)).toBe(true);
    expect(allowed('saml-acs', put)).toBe(false);
    const consume = readDynamoRequest('DeleteItem', {
      TableName: 'state',
      Key: { pk: S('AUTHNREQ#r') },
      ConditionExpression: 'attribute_exists(pk) AND #exp > :now',
      ReturnValues: 'ALL_OLD',
    })[0] as DynamoAuthorization;
    expect(allowed('saml-acs', consume)).toBe(true);
    expect(allowed('saml-login', consume)).toBe(false);
    // An SPA code holds an identity: the function that redeems it cannot mint one.
    expect(allowed('credentials', on('DeleteItem', 'state', 'CODE#c'))).toBe(true);
    expect(allowed('credentials', on('PutItem', 'state', 'CODE#c'))).toBe(false);
    expect(allowed('oidc-callback', on('PutItem', 'state', 'CODE#c'))).toBe(true);
  });

  it('never allows Scan or Query on the state table (no keys would satisfy ForAllValues), for any function', () => {
    for (const fn of Object.keys(MANIFEST) as (keyof typeof MANIFEST)[]) {
      expect([fn, allowed(fn, on('Scan', 'state'))]).toEqual([fn, false]);
      expect([fn, allowed(fn, on('Query', 'state', 'SESSION#a'))]).toEqual([fn, false]);
      expect([fn, allowed(fn, on('BatchWriteItem', 'state', 'SESSION#a'))]).toEqual([fn, false]);
    }
  });

  it('reads the attribute table whole (no key condition), writes it only as scim does, and knows no other table', () => {
    expect(allowed('home', on('Scan', 'attrs'))).toBe(true);
    expect(allowed('published', on('Query', 'attrs', 'IDP#okta'))).toBe(true);
    expect(allowed('credentials', on('BatchGetItem', 'attrs', 'ACCOUNT#1', 'GATEWAY'))).toBe(true);
    expect(allowed('published-keys', on('GetItem', 'attrs', 'GATEWAY'))).toBe(false);
    expect(allowed('saml-acs', on('PutItem', 'attrs', 'IDP#okta'))).toBe(false);
    expect(allowed('portal', on('GetItem', 'other', 'SESSION#a'))).toBe(false);
    expect(allowed('portal', on('DescribeTable', 'state'))).toBe(false);
  });

  it('lets scim write the directory (DIR#…) and nothing else of the attribute table', () => {
    for (const action of ['PutItem', 'UpdateItem', 'DeleteItem']) {
      expect(allowed('scim', on(action, 'attrs', 'DIR#okta#USER#00u1'))).toBe(true);
      for (const key of ['IDP#okta', 'ACCOUNT#111111111111', 'GATEWAY', 'DIR', 'dir#okta#x', '']) {
        expect([action, key, allowed('scim', on(action, 'attrs', key))]).toEqual([
          action,
          key,
          false,
        ]);
      }
    }
    expect(
      allowed('scim', on('BatchWriteItem', 'attrs', 'DIR#okta#GROUP#g1', 'DIR#okta#USER#u1')),
    ).toBe(true);
    // ForAllValues: one config key in a batch of directory keys refuses the whole batch.
    expect(
      allowed('scim', on('BatchWriteItem', 'attrs', 'DIR#okta#GROUP#g1', 'IDP#okta', 'DIR#x')),
    ).toBe(false);
    // Its state access: the person index read, the revocation mark put; nothing else.
    expect(allowed('scim', on('BatchGetItem', 'state', 'PERSON#okta#ref'))).toBe(true);
    expect(allowed('scim', on('PutItem', 'state', 'REVOKED#SUB#okta#ref'))).toBe(true);
    expect(allowed('scim', on('PutItem', 'state', 'SESSION#a'))).toBe(false);
    expect(allowed('scim', on('DeleteItem', 'state', 'REVOKED#SUB#okta#ref'))).toBe(false);
    expect(allowed('scim', on('BatchWriteItem', 'state', 'REVOKED#SUB#okta#ref'))).toBe(false);
    // No other function writes the directory, though the sign-in functions read it.
    for (const fn of Object.keys(MANIFEST) as (keyof typeof MANIFEST)[]) {
      if (fn === 'scim') continue;
      for (const action of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) {
        expect([fn, action, allowed(fn, on(action, 'attrs', 'DIR#okta#USER#u'))]).toEqual([
          fn,
          action,
          false,
        ]);
      }
    }
    expect(allowed('saml-acs', on('Query', 'attrs', 'DIR#okta#USER#u'))).toBe(true);
  });
});

describe('the caller, from its user agent', () => {
  const ua = (headers: IncomingHttpHeaders) => functionOfUserAgent(headers);
  it('is the fedgate-fn product of the SDK agent, absent for anyone else, and refused when two are named', () => {
    expect(
      ua({ 'x-amz-user-agent': 'aws-sdk-js/3.1161.0 fedgate-fn/saml-acs', 'user-agent': 'x' }),
    ).toBe('saml-acs');
    expect(ua({ 'user-agent': 'aws-sdk-js/3.1161.0 ua/2.1 api/dynamodb fedgate-fn/home' })).toBe(
      'home',
    );
    expect(ua({ 'user-agent': 'aws-sdk-js/3.1161.0 ua/2.1 api/dynamodb' })).toBeUndefined();
    expect(ua({})).toBeUndefined();
    expect(
      ua({ 'x-amz-user-agent': 'fedgate-fn/home', 'user-agent': 'aws-sdk-js fedgate-fn/portal' }),
    ).toBeNull();
  });
});

describe('the proxy in front of DynamoDB', () => {
  // A pretend DynamoDB that answers every call with an empty success and records what reached it.
  const reached: string[] = [];
  let upstream: ReturnType<typeof createServer>;
  let proxy: IamDynamoProxy;
  const lines: string[] = [];
  const clientAs = (fn?: string) =>
    new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      ...(fn ? { customUserAgent: [['fedgate-fn', fn]] } : {}),
    });

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      reached.push(String(req.headers['x-amz-target']));
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      });
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', () => done()));
    const { port } = upstream.address() as AddressInfo;
    proxy = await startIamDynamoProxy({
      target: `http://127.0.0.1:${port}`,
      tables,
      report: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await new Promise<void>((done) => upstream.close(() => done()));
  });
  beforeEach(() => {
    reached.length = 0;
    lines.length = 0;
    proxy.clearRefusals();
  });

  it('forwards a declared call and an administrator’s (no function agent) unchanged', async () => {
    const get = new GetItemCommand({ TableName: 'state', Key: { pk: S('SESSION#a') } });
    await expect(clientAs('home').send(get)).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
    await expect(
      clientAs().send(
        new PutItemCommand({ TableName: 'attrs', Item: { pk: S('IDP#x'), sk: S('CONFIG') } }),
      ),
    ).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(reached).toEqual(['DynamoDB_20120810.GetItem', 'DynamoDB_20120810.PutItem']);
    expect(proxy.refusals()).toEqual([]);
  });

  it('answers an undeclared call as DynamoDB answers a missing grant, never forwarding it; fedgate makes it server_error', async () => {
    const put = new PutItemCommand({ TableName: 'state', Item: { pk: S('SESSION#forged') } });
    const err = await clientAs('home')
      .send(put)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(
        /is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:\d{12}:table\/state because no identity-based policy allows the dynamodb:PutItem action$/,
      ),
    });
    expect(reached).toEqual([]);
    expect(proxy.refusals()).toEqual([
      { fn: 'home', action: 'dynamodb:PutItem', table: 'state', keyKinds: ['SESSION#'] },
    ]);
    // The key's id never reaches the report: it may be a secret's hash.
    expect(lines).toEqual([
      'iam stand-in: refused home dynamodb:PutItem on state (SESSION#): not declared in infra/manifest.ts',
    ]);
    // Through fedgate's own store, the refusal is a misconfiguration: 500 server_error.
    const store = createDynamoStateStore({ client: clientAs('saml-login'), tableName: 'state' });
    await expect(
      store.put(
        stateKey(STATE_KEY_PREFIXES.session, 'forged'),
        {},
        Math.floor(Date.now() / 1000) + 60,
      ),
    ).rejects.toMatchObject({ code: 'server_error', status: 500 });
  });

  it('refuses a scim write outside DIR#, through the directory store too, and forwards its directory writes', async () => {
    const put = (pk: string) =>
      new PutItemCommand({ TableName: 'attrs', Item: { pk: S(pk), sk: S('CONFIG') } });
    await expect(clientAs('scim').send(put('IDP#okta'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(
      clientAs('scim').send(
        new BatchWriteItemCommand({
          RequestItems: {
            attrs: [
              { PutRequest: { Item: { pk: S('DIR#okta#GROUPS'), sk: S('g1') } } },
              { DeleteRequest: { Key: { pk: S('GATEWAY'), sk: S('SETTINGS') } } },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(reached).toEqual([]);
    expect(proxy.refusals()).toEqual([
      { fn: 'scim', action: 'dynamodb:PutItem', table: 'attrs', keyKinds: ['IDP#'] },
      { fn: 'scim', action: 'dynamodb:BatchWriteItem', table: 'attrs', keyKinds: ['(no prefix)'] },
    ]);
    // The same function's directory writes pass (the pretend DynamoDB answers them).
    await clientAs('scim').send(put('DIR#okta#USERNAME#alice'));
    const store = createDynamoDirectoryStore({ client: clientAs('scim'), tableName: 'attrs' });
    await store.setUserAttributes('okta', '00u1', { costCenter: ['cc-1'] });
    expect(reached).toEqual(['DynamoDB_20120810.PutItem', 'DynamoDB_20120810.PutItem']);
    // A sign-in function writing there is refused: the directory is scim's alone.
    await expect(clientAs('saml-acs').send(put('DIR#okta#USERNAME#alice'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('refuses a function the manifest does not know, and an agent naming two functions', async () => {
    const get = new GetItemCommand({
      TableName: 'attrs',
      Key: { pk: S('GATEWAY'), sk: S('DEFAULTS') },
    });
    await expect(clientAs('not-a-function').send(get)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    const twice = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      customUserAgent: [
        ['fedgate-fn', 'home'],
        ['fedgate-fn', 'portal'],
      ],
    });
    await expect(twice.send(get)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(reached).toEqual([]);
    expect(proxy.refusals().map((r) => r.fn)).toEqual(['not-a-function', null]);
  });
});
