import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { applyConfig } from '../../../shared/store/index.js';
import { queryAll } from '../../../shared/store/paginate.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import {
  createScimRig,
  SCIM_TOKENS,
  type ScimRig,
  scimTestConfig,
} from '../../support/scim-rig.js';
import { createWorkspace, runCli } from '../admin/support.js';

/**
 * The operator's side of the directory: config as code never touches `DIR#…`, and
 * `fedgate-admin attributes get|set|import` and `explain` work on a table's directories (diffs,
 * dry runs, the confirmation before removals, CSV and JSON imports, explain's sources).
 */
const db = useDynamoDb();
const TOKEN = SCIM_TOKENS.OKTA_SCIM_TOKEN;

const base = scimTestConfig();
const withRules = parseGatewayConfig({
  version: 1,
  idps: base.idps.map((idp) =>
    idp.id === 'okta'
      ? {
          ...idp,
          rules: [
            {
              id: 'cleared',
              priority: 1,
              effect: 'allow',
              when: [
                { claim: 'directory.clearance', op: 'equals', value: 'secret', quantifier: 'any' },
              ],
              grant: {
                roleArn: 'arn:aws:iam::111122223333:role/Cleared',
                sessionTags: {
                  cc: '{directory.costCenter}',
                  kind: '{directory.group.dataClass}',
                  // Alice is in Team A and, through it, Engineering: the budget keeps Team A only.
                  teams: { value: '{directory.groupNames}', fit: { prefixes: ['Team'] } },
                },
              },
            },
          ],
        }
      : idp,
  ),
});

describe('the directory and the admin CLI', () => {
  let rig: ScimRig;
  let ws: { dir: string; remove(): Promise<void> };
  const cli = (...argv: string[]) =>
    runCli([...argv, '--endpoint', db.endpoint, '--table', db.names.attributeTableName], {
      cwd: ws.dir,
    });

  beforeAll(async () => {
    ws = await createWorkspace();
    const client = db.createClient();
    await applyConfig(client, db.names.attributeTableName, withRules);
    rig = createScimRig({ client, names: db.names, config: withRules });
    await rig.request('POST', '/scim/v2/okta/Users', {
      token: TOKEN,
      body: {
        userName: 'alice@example.com',
        externalId: '00u1alice',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { costCenter: 'cc-1001' },
      },
    });
    const alice = (await rig.store.readPerson('okta', '00u1alice')).user?.id;
    const team = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: TOKEN,
      body: { displayName: 'Team A', members: [{ value: alice }] },
    });
    await rig.request('POST', '/scim/v2/okta/Groups', {
      token: TOKEN,
      body: { displayName: 'Engineering', members: [{ value: team.body?.id }] },
    });
    await rig.request('POST', '/scim/v2/okta/Groups', {
      token: TOKEN,
      body: { displayName: 'Twin' },
    });
    await rig.request('POST', '/scim/v2/okta/Groups', {
      token: TOKEN,
      body: { displayName: 'twin' },
    });
  });
  afterAll(async () => ws?.remove());

  it('config as code leaves every DIR# item alone when it applies a config again', async () => {
    const dirItems = async () =>
      (
        await queryAll(db.createClient(), {
          TableName: db.names.attributeTableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'DIR#okta#GROUPS' } },
        })
      ).length;
    const before = await dirItems();
    const diff = await applyConfig(db.createClient(), db.names.attributeTableName, base);
    expect(diff.deletes.some((k) => k.pk.startsWith('DIR#'))).toBe(false);
    expect(diff.deletes.some((k) => k.sk.startsWith('RULE#'))).toBe(true);
    expect(await dirItems()).toBe(before);
    expect((await rig.store.readPerson('okta', '00u1alice')).user?.userName).toBe(
      'alice@example.com',
    );
    await applyConfig(db.createClient(), db.names.attributeTableName, withRules);
  });

  it('set: prints the diff, writes nothing on --dry-run, needs --yes to remove', async () => {
    const dry = await cli(
      'attributes',
      'set',
      '--idp',
      'okta',
      '--user',
      '00u1alice',
      'clearance=secret',
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+ clearance = secret');
    expect((await rig.store.readPerson('okta', '00u1alice')).attributes).toBeUndefined();

    const set = await cli(
      'attributes',
      'set',
      '--idp',
      'okta',
      '--user',
      '00u1alice',
      'clearance=secret',
      'project=apollo;gemini',
      '--json',
    );
    expect(set.code).toBe(0);
    expect(set.json<{ changes: { added: string[] }[] }>().changes[0]?.added).toEqual([
      'clearance',
      'project',
    ]);
    expect((await rig.store.readPerson('okta', '00u1alice')).attributes).toEqual({
      clearance: ['secret'],
      project: ['apollo', 'gemini'],
    });

    const unset = await cli(
      'attributes',
      'set',
      '--idp',
      'okta',
      '--user',
      '00u1alice',
      '--unset',
      'project',
      '--json',
    );
    expect(unset.code).toBe(1);
    expect(unset.json<{ error: { code: string } }>().error.code).toBe('confirmation_required');
    expect((await rig.store.readPerson('okta', '00u1alice')).attributes?.project).toEqual([
      'apollo',
      'gemini',
    ]);
    expect(
      (
        await cli(
          'attributes',
          'set',
          '--idp',
          'okta',
          '--user',
          '00u1alice',
          '--unset',
          'project',
          '--yes',
        )
      ).code,
    ).toBe(0);
    expect((await rig.store.readPerson('okta', '00u1alice')).attributes).toEqual({
      clearance: ['secret'],
    });
  });

  it('set on a group by its name; an ambiguous name or a reserved attribute is refused', async () => {
    expect(
      (
        await cli(
          'attributes',
          'set',
          '--idp',
          'okta',
          '--group',
          'Engineering',
          'dataClass=internal',
        )
      ).code,
    ).toBe(0);
    const groups = await rig.store.readGroups('okta');
    expect(groups.find((g) => g.displayName === 'Engineering')?.attributes).toEqual({
      dataClass: ['internal'],
    });
    const twin = await cli(
      'attributes',
      'set',
      '--idp',
      'okta',
      '--group',
      'twin',
      'x=y',
      '--json',
    );
    expect(twin.json<{ error: { code: string } }>().error.code).toBe('ambiguous_group');
    for (const pair of ['groups=x', 'group.x=y', 'bad name=x', `x=${'v'.repeat(257)}`]) {
      const r = await cli(
        'attributes',
        'set',
        '--idp',
        'okta',
        '--user',
        '00u1alice',
        pair,
        '--json',
      );
      expect(r.code, pair).toBe(1);
      expect(r.json<{ error: { code: string } }>().error.code, pair).toBe('invalid_attributes');
    }
    const none = await cli('attributes', 'set', '--idp', 'plain', '--user', 'x', 'a=b', '--json');
    expect(none.json<{ error: { code: string } }>().error.code).toBe('no_directory');
  });

  it('import: CSV and JSON set exactly the listed entities, and say what they would remove', async () => {
    await writeFile(
      join(ws.dir, 'people.csv'),
      'user,costCenter,clearance\n00u1bob,cc-2,"top;secret"\n00u1carl,,public\n',
    );
    const csv = await cli('attributes', 'import', '--idp', 'okta', 'people.csv', '--json');
    expect(csv.code).toBe(0);
    expect((await rig.store.readPerson('okta', '00u1bob')).attributes).toEqual({
      costCenter: ['cc-2'],
      clearance: ['top', 'secret'],
    });
    expect((await rig.store.readPerson('okta', '00u1carl')).attributes).toEqual({
      clearance: ['public'],
    });
    await writeFile(
      join(ws.dir, 'people.json'),
      JSON.stringify({
        users: { '00u1bob': { costCenter: ['cc-3'] } },
        groups: { 'Team A': { shortName: ['ta'] } },
      }),
    );
    const backups = async () =>
      (await readdir(join(ws.dir, '.local/backups')).catch(() => [] as string[])).filter((f) =>
        f.startsWith('directory-okta-'),
      );
    const before = await backups();
    const refused = await cli('attributes', 'import', '--idp', 'okta', 'people.json', '--json');
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('confirmation_required');
    expect(await backups()).toEqual(before); // refused: nothing written, not even a backup
    const done = await cli('attributes', 'import', '--idp', 'okta', 'people.json', '--yes');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^The plan:\n/); // the plan before the write
    expect(done.stdout).toContain('- clearance');
    expect((await rig.store.readPerson('okta', '00u1bob')).attributes).toEqual({
      costCenter: ['cc-3'],
    });
    // What the import replaced is in a backup it names, in the import format: importing it puts
    // Bob's attributes back.
    const added = (await backups()).filter((f) => !before.includes(f));
    expect(added).toHaveLength(1);
    const backupPath = join(ws.dir, '.local/backups', added[0] as string);
    expect(done.stdout).toContain(backupPath);
    expect(JSON.parse(await readFile(backupPath, 'utf8')).users).toEqual({
      '00u1bob': { costCenter: ['cc-2'], clearance: ['top', 'secret'] },
    });
    const restored = await cli('attributes', 'import', '--idp', 'okta', backupPath, '--yes');
    expect(restored.code).toBe(0);
    expect((await rig.store.readPerson('okta', '00u1bob')).attributes).toEqual({
      costCenter: ['cc-2'],
      clearance: ['top', 'secret'],
    });
    expect((await rig.store.readPerson('okta', '00u1carl')).attributes).toEqual({
      clearance: ['public'],
    });
  });

  it("get: a person's SCIM and operator attributes and their groups through nesting", async () => {
    const got = await cli('attributes', 'get', '--idp', 'okta', '--user', '00u1alice', '--json');
    expect(got.code).toBe(0);
    const json = got.json<{
      scimAttributes: Record<string, string[]>;
      operatorAttributes: Record<string, string[]>;
      groups: { displayName: string }[];
    }>();
    expect(json.scimAttributes.costCenter).toEqual(['cc-1001']);
    expect(json.operatorAttributes).toEqual({ clearance: ['secret'] });
    expect(json.groups.map((g) => g.displayName).sort()).toEqual(['Engineering', 'Team A']);
  });

  it('explain against the table joins the directory and says where each value came from', async () => {
    await writeFile(
      join(ws.dir, 'alice.json'),
      JSON.stringify({ subject: 'alice@example.com', claims: { oktaUserId: '00u1alice' } }),
    );
    const run = await runCli(
      [
        'explain',
        '--idp',
        'okta',
        '--claims',
        'alice.json',
        '--endpoint',
        db.endpoint,
        '--table',
        db.names.attributeTableName,
        '--json',
      ],
      { cwd: ws.dir },
    );
    expect(run.code).toBe(0);
    const json = run.json<{
      grants: { tags: unknown[] }[];
      rules: { conditions: { source?: string }[] }[];
    }>();
    expect(json.grants[0]?.tags).toEqual([
      { key: 'cc', value: 'cc-1001' },
      { key: 'kind', value: 'internal' },
      { key: 'teams', value: 'Team A' },
    ]);
    expect(json.rules[0]?.conditions[0]?.source).toBe('directory:operator');
    const text = await runCli(
      [
        'explain',
        '--idp',
        'okta',
        '--claims',
        'alice.json',
        '--endpoint',
        db.endpoint,
        '--table',
        db.names.attributeTableName,
      ],
      { cwd: ws.dir },
    );
    expect(text.stdout).toContain('[from directory:operator]');
    // And where each tag's values came from.
    expect(text.stdout).toContain('tag cc [from directory:scim]');
    expect(text.stdout).toContain('tag kind [from directory:groups]');
    // What the tag budget dropped, and why.
    expect(text.stdout).toMatch(/tag teams: 1 value\(s\) kept in teams, 1 dropped/);
    expect(text.stdout).toMatch(/dropped "Engineering": .*prefix/);
  });
});
