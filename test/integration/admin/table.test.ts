import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeTableBackup } from '../../../infra/admin/config-source.js';
import { LOCAL_ATTRIBUTE_TABLE } from '../../../infra/admin/target.js';
import { DEMO_SCIM_TOKEN_DIR_DEFAULT, loadGatewayConfigFile } from '../../../infra/config-file.js';
import { DEMO_USERS } from '../../../infra/local/demo/demo-users.js';
import { createTables, findFreePort } from '../../../infra/local/embedded-dynamodb.js';
import type { GatewayConfig } from '../../../shared/config/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import {
  createDemoKeys,
  createWorkspace,
  DEMO_VARS,
  entraMetadata,
  runCli,
  writeDemoWorkspace,
} from './support.js';

const dynamo = useDynamoDb();
let ws: { dir: string; remove(): Promise<void> };
let demoConfig: string;
let entraXml: string;

const table = () => ['--endpoint', dynamo.endpoint, '--table', dynamo.names.attributeTableName];
const cli = (...argv: string[]) => runCli(argv, { cwd: ws.dir });
const file = (name: string) => join(ws.dir, name);

/** Every attribute-table item, as key → doc, to prove what a command did or did not write. */
const snapshot = async (tableName = dynamo.names.attributeTableName) => {
  const out = await dynamo
    .createClient()
    .send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Object.fromEntries(
    (out.Items ?? [])
      .map((i) => [`${i.pk?.S}/${i.sk?.S}`, i.doc?.S])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
};

type Saved = {
  puts: { key: string; kind: string }[];
  deletes: { key: string }[];
  applied: boolean;
};

const sortIdps = (config: GatewayConfig) => ({
  ...config,
  idps: [...config.idps].sort((a, b) => a.id.localeCompare(b.id)),
});

beforeAll(async () => {
  ws = await createWorkspace();
  const keys = await createDemoKeys();
  demoConfig = await writeDemoWorkspace(ws.dir, keys);
  entraXml = entraMetadata({
    tenantId: '7d3c1f0e-2b4a-4c5d-8e6f-9a0b1c2d3e4f',
    certificates: [keys.entra.certificateB64],
    metadataSigner: keys.metadataSigner.certificateB64,
  });
});
afterAll(() => ws.remove());

describe('import and export against DynamoDB Local', () => {
  it('imports the demo config, and importing it again writes nothing', async () => {
    const first = await cli('import', demoConfig, ...DEMO_VARS, ...table(), '--json');
    expect(first.code).toBe(0);
    const expected = await loadGatewayConfigFile(file(demoConfig), {
      LOCAL_BASE_URL: 'http://127.0.0.1:8787',
    });
    // The gateway-wide items (`GATEWAY`/`DEFAULTS` and `GATEWAY`/`SETTINGS`), then one per
    // gateway rule, account, SPA client, IdP and IdP rule.
    const items =
      2 +
      expected.gatewayRules.length +
      expected.accounts.length +
      expected.spaClients.length +
      expected.idps.reduce((n, i) => n + 1 + i.rules.length, 0);
    const saved = first.json<Saved>();
    expect(saved.applied).toBe(true);
    expect(saved.deletes).toEqual([]);
    expect(saved.puts).toHaveLength(items);
    expect(saved.puts).toContainEqual({
      key: 'IDP#demo-okta/RULE#000010#platform-admins',
      kind: 'rule',
      change: 'new',
    });
    expect(saved.puts).toContainEqual({
      key: 'GATEWAY/RULE#000001#contractors-never-prod',
      kind: 'rule',
      change: 'new',
    });
    expect(saved.puts).toContainEqual({ key: 'GATEWAY/DEFAULTS', kind: 'defaults', change: 'new' });
    expect(saved.puts).toContainEqual({ key: 'GATEWAY/SETTINGS', kind: 'settings', change: 'new' });
    // Nothing stored was replaced or deleted: no backup.
    expect(saved).not.toHaveProperty('backup');
    expect(Object.keys(await snapshot())).toHaveLength(items);

    const again = await cli('import', demoConfig, ...DEMO_VARS, ...table());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('put 0, delete 0');
    expect(again.stdout).toContain('already matches');
  });

  it('exports what it imported: the export validates and re-imports as no change', async () => {
    const out = await cli('export', ...table(), '--out', 'exported.yaml', '--json');
    expect(out.code).toBe(0);
    expect(out.json()).toMatchObject({ out: 'exported.yaml', format: 'yaml' });
    expect((await cli('validate', 'exported.yaml')).code).toBe(0);
    const exported = await loadGatewayConfigFile(file('exported.yaml'));
    // The CLI's defaults for the demo config's variables (the runner's origin, its token dir).
    const original = await loadGatewayConfigFile(file(demoConfig), {
      LOCAL_BASE_URL: 'http://127.0.0.1:8787',
      DEMO_SCIM_TOKEN_DIR: DEMO_SCIM_TOKEN_DIR_DEFAULT,
    });
    expect(sortIdps(exported)).toEqual(sortIdps(original));
    const plan = await cli('import', 'exported.yaml', ...table(), '--dry-run', '--json');
    expect(plan.json<Saved>()).toMatchObject({ puts: [], deletes: [], applied: false });

    const stdout = await cli('export', ...table(), '--json');
    expect(sortIdps(stdout.json<GatewayConfig>())).toEqual(sortIdps(original));
    const json = await cli('export', ...table(), '--out', 'exported.json');
    expect(json.code).toBe(0);
    expect((await cli('validate', 'exported.json')).code).toBe(0);
  });

  it('plans a removal with --dry-run without writing, then applies it with --yes', async () => {
    const doc = parseYaml(
      await (await import('node:fs/promises')).readFile(file('exported.yaml'), 'utf8'),
    );
    doc.idps = doc.idps.filter((i: { id: string }) => i.id !== 'demo-entra');
    await writeFile(file('smaller.yaml'), JSON.stringify(doc));
    const before = await snapshot();
    const plan = await cli('import', 'smaller.yaml', ...table(), '--dry-run', '--json');
    expect(plan.code).toBe(0);
    const planned = plan.json<Saved>();
    expect(planned.puts).toEqual([]);
    expect(planned.deletes.map((d) => d.key).sort()).toEqual([
      'IDP#demo-entra/CONFIG',
      'IDP#demo-entra/RULE#000010#cloud-admins',
      'IDP#demo-entra/RULE#000020#app-role-developer',
      'IDP#demo-entra/RULE#000030#directory-readonly',
    ]);
    expect(await snapshot()).toEqual(before);
    const refused = await cli('import', 'smaller.yaml', ...table());
    expect(refused.code).toBe(1);
    expect(await snapshot()).toEqual(before);
    const applied = await cli('import', 'smaller.yaml', ...table(), '--yes');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('delete IDP#demo-entra/CONFIG');
    const after = await snapshot();
    expect(Object.keys(after).filter((k) => k.startsWith('IDP#demo-entra'))).toEqual([]);
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length - 4);
  });
});

/** The backups the CLI wrote under the workspace (its working directory). */
const backups = async () =>
  (await readdir(file('.local/backups')).catch(() => [] as string[])).sort();

describe('a table write that deletes needs consent: --yes, or "yes" typed at a terminal', () => {
  // Another team's config: importing it would delete every demo item but the gateway-wide ones.
  const OTHER = `version: 1
idps:
  - id: corp
    displayName: Corp
    protocol: oidc
    oidc: { issuer: "https://idp.example.com", clientId: fedgate }
`;

  it('deletes nothing without --yes: the plan is shown, exit 1, confirmation_required', async () => {
    await writeFile(file('other.yaml'), OTHER);
    const before = await snapshot();
    const backupsBefore = await backups();
    const run = await cli('import', 'other.yaml', ...table());
    expect(run.code).toBe(1);
    // The plan first (the command's output), then why nothing was written.
    expect(run.stdout).toContain('The plan for the table');
    expect(run.stdout).toContain('  delete IDP#demo-okta/CONFIG');
    expect(run.stdout).toContain('  delete IDP#demo-okta/RULE#000010#platform-admins');
    expect(run.stdout).toContain('  put    IDP#corp/CONFIG (idp, new)');
    expect(run.stderr).toMatch(/^fedgate-admin import: this would delete \d+ items from the table/);
    expect(run.stderr).toContain('--yes');
    expect(run.questions).toEqual([]);

    const json = await cli('import', 'other.yaml', ...table(), '--json');
    expect(json.code).toBe(1);
    const { error } = json.json<{ error: { code: string; deletes: { key: string }[] } }>();
    expect(error.code).toBe('confirmation_required');
    // Every item of the demo config except the gateway-wide defaults and settings.
    expect(error.deletes.map((d) => d.key).sort()).toEqual(
      Object.keys(before)
        .filter((k) => k !== 'GATEWAY/DEFAULTS' && k !== 'GATEWAY/SETTINGS')
        .sort(),
    );
    expect(await snapshot()).toEqual(before);
    expect(await backups()).toEqual(backupsBefore);
  });

  it('at a terminal it shows the plan and asks; anything but "yes" cancels', async () => {
    const before = await snapshot();
    const backupsBefore = await backups();
    for (const answer of ['', 'n', 'no', 'yess']) {
      const run = await runCli(['import', 'other.yaml', ...table()], {
        cwd: ws.dir,
        answers: [answer],
      });
      expect(run.code).toBe(1);
      expect(run.questions).toHaveLength(1);
      expect(run.questions[0]).toMatch(/^Delete \d+ items from the table .*Type "yes" to apply: $/);
      // The plan comes before the question.
      expect(run.stdout).toContain('  delete IDP#demo-okta/CONFIG');
      expect(run.stderr).toContain('cancelled: nothing was written');
    }
    expect(await snapshot()).toEqual(before);
    expect(await backups()).toEqual(backupsBefore);
  });

  it('"yes" applies after writing a backup it names; importing the backup restores the table', async () => {
    const before = await snapshot();
    const backupsBefore = await backups();
    const run = await runCli(['import', 'other.yaml', ...table()], {
      cwd: ws.dir,
      answers: ['yes'],
    });
    expect(run.code).toBe(0);
    const added = (await backups()).filter((b) => !backupsBefore.includes(b));
    expect(added).toEqual([
      expect.stringMatching(
        new RegExp(`^${dynamo.names.attributeTableName}-\\d{8}T\\d{9}Z\\.json$`),
      ),
    ]);
    const named = /backup of the table before this write: (\S+)/.exec(run.stdout)?.[1];
    expect(named).toBe(join(ws.dir, '.local/backups', added[0] as string));
    // The items were listed before the question, not again after it.
    expect(run.stdout.split('  delete IDP#demo-okta/CONFIG')).toHaveLength(2);
    expect(Object.keys(await snapshot()).filter((k) => k.startsWith('IDP#'))).toEqual([
      'IDP#corp/CONFIG',
    ]);

    // The backup is a config file: import it back (with --yes, as the output says).
    expect((await cli('validate', named as string)).code).toBe(0);
    const restored = await cli('import', named as string, ...table(), '--yes');
    expect(restored.code).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect(await backups()).toHaveLength(backupsBefore.length + 2);
  });
});

describe('rules and import-idp against DynamoDB Local', () => {
  const rule = {
    id: 'entra-admins',
    priority: 5,
    effect: 'allow',
    when: [{ claim: 'groups', op: 'contains', value: '5f2c8a3e-1b4d-4c6a-8e9f-0a1b2c3d4e5f' }],
    // email: one of the aliases import-idp wrote for Entra's claim URIs
    grant: {
      roleArn: 'arn:aws:iam::111111111111:role/Admin',
      sessionTags: { email: '{claims.email}' },
    },
  };

  it('imports an Entra IdP into the table, adds a rule, and explains a sign-in from the table', async () => {
    await writeFile(file('entra.xml'), entraXml);
    const imported = await cli(
      'import-idp',
      '--id',
      'entra',
      '--metadata',
      'entra.xml',
      ...table(),
      '--json',
    );
    expect(imported.code).toBe(0);
    expect(imported.json()).toMatchObject({
      action: 'added',
      saved: { puts: [{ key: 'IDP#entra/CONFIG', kind: 'idp' }], deletes: [] },
    });

    const added = await cli(
      'rules',
      'add',
      '--idp',
      'entra',
      '--rule',
      JSON.stringify(rule),
      ...table(),
      '--json',
    );
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({
      saved: { puts: [{ key: 'IDP#entra/RULE#000005#entra-admins', kind: 'rule' }], deletes: [] },
    });
    const listed = await cli('rules', 'list', '--idp', 'entra', ...table(), '--json');
    expect(listed.json<{ rules: { id: string }[] }>().rules.map((r) => r.id)).toEqual([
      'entra-admins',
    ]);

    const erin = DEMO_USERS['demo-entra'][0]!;
    const tenant = '7d3c1f0e-2b4a-4c5d-8e6f-9a0b1c2d3e4f';
    const claims = {
      ...erin.attributes,
      'http://schemas.microsoft.com/identity/claims/tenantid': [tenant],
    };
    await writeFile(file('erin.json'), JSON.stringify({ subject: erin.nameId, claims }));
    const explained = await cli(
      'explain',
      '--idp',
      'entra',
      '--claims',
      'erin.json',
      ...table(),
      '--json',
    );
    expect(explained.code).toBe(0);
    expect(explained.json()).toMatchObject({
      identity: {
        subject: '6572696e-1111-4222-8333-444455556666',
        issuer: `https://sts.windows.net/${tenant}/`,
      },
      grants: [
        {
          ruleId: 'entra-admins',
          roleArn: rule.grant.roleArn,
          tags: [{ key: 'email', value: 'erin@contoso.example' }],
        },
      ],
      problems: [],
    });
  });

  it('changes nothing with --dry-run, then removes the rule (one delete) with --yes', async () => {
    const before = await snapshot();
    const dry = await cli(
      'rules',
      'remove',
      '--idp',
      'entra',
      '--rule-id',
      'entra-admins',
      ...table(),
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete 1');
    expect(dry.stdout).toContain('IDP#entra/RULE#000005#entra-admins');
    const dryAdd = await cli(
      'rules',
      'add',
      '--idp',
      'entra',
      '--rule',
      JSON.stringify({ ...rule, id: 'other' }),
      ...table(),
      '--dry-run',
    );
    expect(dryAdd.code).toBe(0);
    expect(await snapshot()).toEqual(before);

    const refused = await cli(
      'rules',
      'remove',
      '--idp',
      'entra',
      '--rule-id',
      'entra-admins',
      ...table(),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('this would delete 1 item from the table');
    expect(await snapshot()).toEqual(before);
    const removed = await cli(
      'rules',
      'remove',
      '--idp',
      'entra',
      '--rule-id',
      'entra-admins',
      ...table(),
      '--yes',
      '--json',
    );
    expect(removed.json()).toMatchObject({
      saved: {
        puts: [],
        deletes: [{ key: 'IDP#entra/RULE#000005#entra-admins' }],
        backup: expect.stringContaining('.local/backups/'),
      },
    });
    expect(Object.keys(await snapshot())).not.toContain('IDP#entra/RULE#000005#entra-admins');
  });

  it('refuses a rule whose pattern RE2 will not run, naming its path, and writes nothing', async () => {
    const before = await snapshot();
    const refused = await cli(
      'rules',
      'add',
      '--idp',
      'entra',
      '--rule',
      JSON.stringify({
        ...rule,
        id: 'bad-pattern',
        when: [{ claim: 'groups', op: 'matches', value: '\\p{NoSuchScript}', quantifier: 'any' }],
      }),
      ...table(),
      '--yes',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/idps\[\d+\]\.rules\[\d+\]\.when\[0\]\.value: RE2 refuses it/);
    expect(await snapshot()).toEqual(before);
  });

  it("finds the local runner's table from $FEDGATE_DYNAMODB_ENDPOINT alone", async () => {
    await createTables(dynamo.createClient(), {
      attributeTableName: LOCAL_ATTRIBUTE_TABLE,
      stateTableName: 'fedgate-state',
    });
    const env = { FEDGATE_DYNAMODB_ENDPOINT: dynamo.endpoint };
    const imported = await runCli(['import', demoConfig, ...DEMO_VARS], { cwd: ws.dir, env });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`table ${LOCAL_ATTRIBUTE_TABLE}:`);
    const listed = await runCli(['rules', 'list', '--idp', 'demo-okta', '--json'], {
      cwd: ws.dir,
      env,
    });
    expect(listed.code).toBe(0);
    expect(listed.json<{ rules: unknown[] }>().rules.length).toBeGreaterThan(0);
  });
});

describe('export and backups keep everything the table holds', () => {
  it('exports the portal settings and the support contact, so that a re-import changes nothing', async () => {
    const names = { attributeTableName: 'settings-attributes', stateTableName: 'settings-state' };
    await createTables(dynamo.createClient(), names);
    const own = ['--endpoint', dynamo.endpoint, '--table', names.attributeTableName];
    await writeFile(
      file('settings.yaml'),
      `version: 1
support: { text: Platform team, url: "https://wiki.example.com/aws" }
portal: { regions: [eu-west-1, eu-central-1], defaultRegion: eu-central-1 }
idps:
  - id: corp
    displayName: Corp
    protocol: oidc
    oidc: { issuer: "https://idp.example.com", clientId: fedgate }
`,
    );
    expect((await cli('import', 'settings.yaml', ...own)).code).toBe(0);
    const exported = await cli('export', ...own, '--json');
    expect(exported.json()).toMatchObject({
      support: { text: 'Platform team', url: 'https://wiki.example.com/aws' },
      portal: { regions: ['eu-west-1', 'eu-central-1'], defaultRegion: 'eu-central-1' },
    });
    expect((await cli('export', ...own, '--out', 'settings-export.yaml')).code).toBe(0);
    const plan = await cli('import', 'settings-export.yaml', ...own, '--dry-run', '--json');
    expect(plan.json<Saved>()).toMatchObject({ puts: [], deletes: [] });
  });

  it('never writes a backup over an existing one (two in the same millisecond)', async () => {
    const target = {
      kind: 'table' as const,
      tableName: 'settings-attributes',
      client: dynamo.createClient(),
      describe: 'table settings-attributes',
    };
    const dir = file('same-ms');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-05-22T09:00:00.123Z'));
      const first = await writeTableBackup(target, dir);
      const second = await writeTableBackup(target, dir);
      expect([first, second]).toEqual([
        join(dir, 'settings-attributes-20260522T090000123Z.json'),
        join(dir, 'settings-attributes-20260522T090000123Z-1.json'),
      ]);
      expect(JSON.parse(await readFile(first, 'utf8'))).toEqual(
        JSON.parse(await readFile(second, 'utf8')),
      );
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('table failures are clear errors with exit 1', () => {
  it('says when nothing answers at the endpoint (no stack trace)', async () => {
    const port = await findFreePort();
    const run = await cli(
      'rules',
      'list',
      '--idp',
      'x',
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--json',
    );
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({
      error: { code: 'temporarily_unavailable', hint: expect.stringContaining('endpoint') },
    });
    const text = await cli('export', '--endpoint', `http://127.0.0.1:${port}`);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('temporarily_unavailable');
    expect(text.stderr).not.toMatch(/\n\s+at /);
  });

  it('says when the table does not exist, and when it holds no IdPs', async () => {
    const missing = await cli(
      'export',
      '--endpoint',
      dynamo.endpoint,
      '--table',
      'no-such-table',
      '--json',
    );
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({
      error: {
        code: 'server_error',
        message: expect.stringContaining('ResourceNotFoundException'),
      },
    });
    await createTables(dynamo.createClient(), {
      attributeTableName: 'empty-attributes',
      stateTableName: 'empty-state',
    });
    const empty = await cli('export', '--endpoint', dynamo.endpoint, '--table', 'empty-attributes');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('the table holds no IdPs');
  });
});
