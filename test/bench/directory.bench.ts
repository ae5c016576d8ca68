/**
 * The directory (shared/directory, shared/scim) against DynamoDB Local:
 * - the lookup on the sign-in path for a person in 500 groups nested 3 deep (400 direct
 *   memberships, each team in one of 90 departments, each department in one of 10 divisions):
 *   DynamoDB reads per lookup (target ≤ 2: the person's partition, and the IdP's group list unless
 *   a container has it cached) and fedgate's CPU per lookup (target ≤ 1 ms: the transitive
 *   closure, the `directory.*` values and the merge, measured on data already read);
 * - a 10,000-member group PATCH through the SCIM service: applied in BatchWriteItem calls of at
 *   most 25 items, printed as items/s.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  createLocalDynamoDbClient,
  createTables,
  startEmbeddedDynamoDb,
} from '../../infra/local/embedded-dynamodb.js';
import { parseGatewayConfig } from '../../shared/config/index.js';
import {
  createDeprovisioning,
  createDirectoryJoin,
  createDirectoryReader,
} from '../../shared/directory/index.js';
import { createScimService } from '../../shared/scim/index.js';
import {
  createDynamoDirectoryStore,
  DIRECTORY_SK,
  type DynamoPort,
  directoryKeys,
} from '../../shared/store/index.js';
import { type BenchSuite, printFigures, printResults, runCase } from './harness.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} };
const IDP = 'entra';
const SUBJECT = 'b0b00000-1111-4222-8333-444455556666';
const MEMBERS = 10_000;

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: IDP,
      displayName: 'Entra',
      protocol: 'saml',
      saml: { entityId: 'https://sts.windows.net/t/', signingCertificates: ['A'.repeat(80)] },
      directory: { scim: { tokenRef: 'env:X' }, subject: { lowercase: true } },
    },
  ],
});
const idp = config.idps[0] as (typeof config.idps)[number];

/** A client that counts the calls and the items it writes. */
const counting = (client: DynamoDBClient) => {
  const calls = new Map<string, number>();
  let written = 0;
  const port: DynamoPort = {
    send: ((command: { constructor: { name: string }; input?: unknown }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (command instanceof BatchWriteItemCommand) {
        for (const reqs of Object.values(command.input.RequestItems ?? {})) written += reqs.length;
      }
      return client.send(command as never);
    }) as DynamoPort['send'],
  };
  return {
    port,
    calls,
    written: () => written,
    reset() {
      calls.clear();
      written = 0;
    },
    reads: () =>
      ['GetItem', 'BatchGetItem', 'Query', 'Scan'].reduce((n, op) => n + (calls.get(op) ?? 0), 0),
  };
};

const writeRaw = async (client: DynamoDBClient, table: string, requests: WriteRequest[]) => {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    while (pending.length > 0) {
      const out = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
      );
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }
};
const put = (
  pk: string,
  sk: string,
  extra: Record<string, { S: string } | { SS: string[] }> = {},
) => ({
  PutRequest: { Item: { pk: { S: pk }, sk: { S: sk }, ...extra } },
});

export const suite: BenchSuite = {
  title: 'directory',
  async run() {
    const db = await startEmbeddedDynamoDb({ port: 0 });
    const raw = createLocalDynamoDbClient(db.endpoint);
    const names = { attributeTableName: 'bench-attributes', stateTableName: 'bench-state' };
    try {
      await createTables(raw, names);
      const table = names.attributeTableName;
      // 10 divisions ← 90 departments ← 400 teams; the person is in every team.
      const divisions = Array.from({ length: 10 }, (_, i) => `div-${i}`);
      const departments = Array.from({ length: 90 }, (_, i) => `dep-${i}`);
      const teams = Array.from({ length: 400 }, (_, i) => `team-${i}`);
      const parentOf = (g: string) =>
        g.startsWith('team-')
          ? [`dep-${Number(g.slice(5)) % 90}`]
          : g.startsWith('dep-')
            ? [`div-${Number(g.slice(4)) % 10}`]
            : [];
      const groups = [...divisions, ...departments, ...teams];
      await writeRaw(raw, table, [
        ...groups.map((g) => {
          const parents = parentOf(g);
          return put(directoryKeys.groups(IDP), g, {
            displayName: { S: `Group ${g}` },
            externalId: { S: `00000000-0000-4000-8000-${g.padStart(12, '0').slice(-12)}` },
            ...(parents.length ? { parents: { SS: parents } } : {}),
          });
        }),
        put(directoryKeys.person(IDP, SUBJECT), DIRECTORY_SK.profile, {
          doc: {
            S: JSON.stringify({
              id: 'u-1',
              subject: SUBJECT,
              externalId: SUBJECT,
              userName: 'bob@contoso.example',
              active: true,
              resource: {
                userName: 'bob@contoso.example',
                'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
                  costCenter: 'cc-1',
                },
              },
              created: '2026-01-01T00:00:00Z',
              lastModified: '2026-01-01T00:00:00Z',
            }),
          },
        }),
        ...teams.map((t) =>
          put(directoryKeys.person(IDP, SUBJECT), `${DIRECTORY_SK.memberOf}${t}`),
        ),
      ]);

      // Reads per lookup, through the real adapter.
      const counter = counting(createLocalDynamoDbClient(db.endpoint));
      const store = createDynamoDirectoryStore({ client: counter.port, tableName: table });
      const join = createDirectoryJoin(createDirectoryReader({ store }));
      const identity = {
        idp: IDP,
        issuer: 'https://sts.windows.net/t/',
        subject: SUBJECT,
        claims: {},
      };
      counter.reset();
      const joined = await join(idp, identity);
      const coldReads = counter.reads();
      counter.reset();
      await join(idp, identity);
      const warmReads = counter.reads();
      const groupCount = joined.claims['directory.groups']?.length ?? 0;

      // CPU: the same join on data already read (an in-memory store holding what DynamoDB gave).
      const person = await store.readPerson(IDP, SUBJECT);
      const list = await store.readGroups(IDP);
      const cpuJoin = createDirectoryJoin(
        createDirectoryReader({
          store: { readPerson: async () => person, readGroups: async () => list },
        }),
      );
      const warmIdp = {
        ...idp,
        directory: { ...(idp.directory as NonNullable<typeof idp.directory>), cacheSeconds: 0 },
      };
      const results = [
        await runCase({
          name: 'directory join, data in memory (CPU)',
          iterations: 200,
          runs: 20,
          note: `${groupCount} groups (400 direct, 3 levels)`,
          fn: () => cpuJoin(warmIdp, identity),
        }),
        await runCase({
          name: 'directory join against DynamoDB Local (group list cached)',
          iterations: 20,
          runs: 10,
          fn: () => join(idp, identity),
        }),
      ];
      printResults('directory: lookup on the sign-in path', results);

      // A 10,000-member PATCH: users seeded directly, members added through the SCIM service.
      const users = Array.from({ length: MEMBERS }, (_, i) => `u-${String(i).padStart(5, '0')}`);
      await writeRaw(raw, table, [
        ...users.map((u) =>
          put(directoryKeys.users(IDP), u, { subject: { S: `s-${u}` }, userName: { S: `${u}@x` } }),
        ),
        put(directoryKeys.groups(IDP), 'big', { displayName: { S: 'big' } }),
      ]);
      const writer = counting(createLocalDynamoDbClient(db.endpoint));
      const service = createScimService({
        store: createDynamoDirectoryStore({ client: writer.port, tableName: table }),
        deprovision: createDeprovisioning({
          sessions: { revoke: async () => undefined },
          log: silent,
        }),
        log: silent,
      });
      writer.reset();
      const started = process.hrtime.bigint();
      await service.patchGroup(
        'https://sso.example.com',
        idp,
        'big',
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Add', path: 'members', value: users.map((value) => ({ value })) }],
        },
        {},
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const items = writer.written();
      printFigures('directory: derived', [
        {
          name: 'reads per lookup, cold container',
          value: coldReads,
          unit: 'DynamoDB calls',
          note: 'target ≤ 2: person Query + group list Query',
        },
        {
          name: 'reads per lookup, warm container',
          value: warmReads,
          unit: 'DynamoDB calls',
          note: 'the group list is cached',
        },
        {
          name: 'fedgate CPU per lookup',
          value: results[0]?.median ?? Number.NaN,
          unit: 'ms',
          note: 'target ≤ 1 ms',
        },
        { name: `${MEMBERS.toLocaleString('en')}-member PATCH`, value: seconds, unit: 's' },
        {
          name: 'membership items written',
          value: items,
          unit: 'items',
          note: `${writer.calls.get('BatchWriteItem') ?? 0} BatchWriteItem calls of ≤ 25`,
        },
        {
          name: 'write throughput',
          value: items / seconds,
          unit: 'items/s',
          note: 'against DynamoDB Local on this machine',
        },
      ]);
    } finally {
      raw.destroy();
      await db.stop();
    }
  },
};
