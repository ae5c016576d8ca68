import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS } from '../../../infra/admin/cli.js';
import { DEMO_TENANT, DEMO_USERS } from '../../../infra/local/demo/demo-users.js';
import type { Explanation } from '../../../shared/mapping/index.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import {
  createDemoKeys,
  createWorkspace,
  DEMO_VARS,
  type DemoKeys,
  entraMetadata,
  oktaMetadata,
  runCli,
  serveDocuments,
  writeDemoWorkspace,
} from './support.js';

type ExplainJson = Explanation & {
  identity: { subject: string; issuer: string; claims: Record<string, string[]> };
};

let ws: { dir: string; remove(): Promise<void> };
let keys: DemoKeys;
let weak: TestKeyPair;
let demoConfig: string;
const cli = (...argv: string[]) => runCli(argv, { cwd: ws.dir });
const file = (name: string) => join(ws.dir, name);
const read = (name: string) => readFile(file(name), 'utf8');

beforeAll(async () => {
  ws = await createWorkspace();
  keys = await createDemoKeys();
  weak = await createTestKeyPair('weak idp', { modulusLength: 1024 });
  demoConfig = await writeDemoWorkspace(ws.dir, keys);
});
afterAll(() => ws.remove());

const OKTA_RULE = {
  id: 'admins',
  priority: 10,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'aws-admins' }],
  grant: {
    roleArn: 'arn:aws:iam::111111111111:role/Admin',
    sessionTags: { team: '{claims.team}' },
  },
};

/** A small config with a comment and one SAML IdP given by its fields. */
const smallConfig = (cert: string) => `# ops-owned gateway config: keep this comment
version: 1
idps:
  - id: existing
    displayName: Existing IdP
    protocol: saml
    saml:
      entityId: http://www.okta.com/exkexisting
      signingCertificates: [${cert}]
    rules:
      - id: readers
        priority: 100
        effect: allow
        when: [{ claim: groups, op: contains, value: aws-readers }]
        grant: { roleArn: "arn:aws:iam::111111111111:role/ReadOnly" }
`;

describe('usage errors exit 2', () => {
  it('prints the overview for no arguments and --help (exit 0)', async () => {
    for (const argv of [[], ['--help']]) {
      const run = await runCli(argv, { cwd: ws.dir });
      expect(run.code).toBe(0);
      for (const c of COMMANDS) expect(run.stdout).toContain(c.name);
    }
  });

  it('prints each command its own --help (exit 0)', async () => {
    for (const c of COMMANDS) {
      const run = await cli(...c.name.split(' '), '--help');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`fedgate-admin ${c.name}`);
      expect(run.stdout).toContain('Example');
    }
  });

  it('lists a command group’s commands for `<group> --help` (exit 0)', async () => {
    const run = await cli('sessions', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sessions list');
    expect(run.stdout).toContain('sessions revoke');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['rules', 'rename'], 'unknown command "rules rename"'],
    [['sessions'], '"sessions" needs a command: list, revoke'],
    [['attributes', '--idp', 'x'], '"attributes" needs a command: get, set, import'],
    [['validate'], 'want <config file>'],
    [['validate', 'a.yaml', 'b.yaml'], 'want <config file>'],
    [['validate', 'a.yaml', '--frob'], "Unknown option '--frob'"],
    [['explain', '--claims', 'c.json', '--config', 'x.yaml'], '--idp is required'],
    [
      ['explain', '--idp', 'x', '--claims', 'c.json', '--config', 'x.yaml', '--table', 't-1'],
      'not both',
    ],
    [['rules', 'list', '--idp', 'x'], 'give --config FILE, or a table'],
    [['export'], 'give a table'],
    [['export', '--config', 'x.yaml'], "Unknown option '--config'"],
    [
      ['import-idp', '--id', 'x', '--config', 'x.yaml'],
      'exactly one of --metadata and --oidc-issuer',
    ],
    [
      [
        'import-idp',
        '--id',
        'x',
        '--metadata',
        'm.xml',
        '--oidc-issuer',
        'https://x',
        '--config',
        'x.yaml',
      ],
      'exactly one of',
    ],
    [
      ['import-idp', '--id', 'Bad_Id', '--metadata', 'm.xml', '--config', 'x.yaml'],
      '--id: lowercase',
    ],
    [['validate', 'a.yaml', '--var', 'lower=1'], '--var: want NAME=VALUE'],
    [
      ['import-idp', '--id', 'x', '--metadata', 'm.xml', '--profile', 'okta', '--config', 'x.yaml'],
      '--profile goes with --oidc-issuer',
    ],
    [
      [
        'import-idp',
        '--id',
        'x',
        '--oidc-issuer',
        'https://x',
        '--profile',
        'bogus',
        '--config',
        'x.yaml',
      ],
      '--profile: one of okta, entra, google, generic',
    ],
    [
      ['rules', 'add', '--idp', 'x', '--config', 'x.yaml'],
      'exactly one of --rule JSON and --file FILE',
    ],
    [
      ['rules', 'list', '--idp', 'x', '--endpoint', 'ftp://127.0.0.1:1'],
      '--endpoint: must be an http(s) URL',
    ],
    [['export', '--table', 'no'], '--table: not a DynamoDB table name'],
  ])('%j → exit 2: %s', async (argv, message) => {
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).not.toContain('Usage: fedgate-admin <command>');
  });

  it('answers a usage error with JSON on stdout under --json', async () => {
    const run = await cli('validate', '--json');
    expect(run.code).toBe(2);
    expect(run.json()).toEqual({
      error: { code: 'usage', message: 'want <config file>', command: 'validate' },
    });
  });

  it('refuses a real table without a region (no stack trace, exit 2)', async () => {
    // The SDK reads the region from the process's environment and ~/.aws/config: neither has one
    // here, on a developer machine included.
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', join(ws.dir, 'no-such-aws-config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(ws.dir, 'no-such-aws-credentials'));
    try {
      const run = await runCli(['export', '--table', 'fedgate-attributes'], {
        cwd: ws.dir,
        env: {},
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('no AWS region');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('validate', () => {
  it('accepts the demo config (metadata files read, LOCAL_BASE_URL given)', async () => {
    const run = await cli('validate', demoConfig, ...DEMO_VARS, '--json');
    expect(run.code).toBe(0);
    const demoDoc = parseYaml(await read(demoConfig));
    expect(demoDoc.idps.map((i: { id: string }) => i.id)).toEqual([
      'demo-okta',
      'demo-entra',
      'demo-oidc',
    ]);
    expect(run.json()).toEqual({
      valid: true,
      file: demoConfig,
      // counted from the file itself: the demo config grows with the other flows
      idps: demoDoc.idps.map((i: { id: string; protocol: string; rules: unknown[] }) => ({
        id: i.id,
        protocol: i.protocol,
        rules: i.rules.length,
      })),
      accounts: 2,
      gatewayRules: demoDoc.gatewayRules.length,
      // the demo keys no rule on email or another claim users can change (the README's advice)
      warnings: [],
      notes: [],
    });
  });

  it('names the path of every problem and exits 1', async () => {
    await writeFile(
      file('bad.yaml'),
      smallConfig(keys.okta.certificateB64)
        .replace('role/ReadOnly', 'user/ReadOnly')
        .replace('      - id: readers', '      - id: readers\n        surprise: true'),
    );
    const run = await cli('validate', 'bad.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('idps[0].rules[0].grant.roleArn:');
    expect(run.stdout).toContain('idps[0].rules[0].surprise: unknown key');
    const json = (await cli('validate', 'bad.yaml', '--json')).json<{
      valid: boolean;
      issues: { path: string }[];
    }>();
    expect(json.valid).toBe(false);
    expect(json.issues.map((i) => i.path).sort()).toEqual([
      'idps[0].rules[0].grant.roleArn',
      'idps[0].rules[0].surprise',
    ]);
  });

  it('validates the demo config as shipped: LOCAL_BASE_URL is the runner’s default origin', async () => {
    const run = await cli('validate', demoConfig);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${demoConfig} is valid: 3 IdPs`);
    expect(run.stdout).toContain(
      `note: \${LOCAL_BASE_URL} is the local runner's origin: read as http://127.0.0.1:8787`,
    );
    const json = await cli('validate', demoConfig, '--json');
    expect(json.json()).toMatchObject({
      valid: true,
      warnings: [],
      notes: [expect.stringContaining(`\${LOCAL_BASE_URL}`)],
    });
    // Another port: as given.
    const other = await cli(
      'validate',
      demoConfig,
      '--var',
      'LOCAL_BASE_URL=http://127.0.0.1:9000',
    );
    expect(other.code).toBe(0);
    expect(other.stdout).not.toContain('note:');
  });

  it('says where the demo IdPs’ metadata comes from when the runner has not written it yet', async () => {
    const fresh = await createWorkspace();
    try {
      const path = join(fresh.dir, 'infra/local/demo-config.yaml');
      await mkdir(join(fresh.dir, 'infra/local'), { recursive: true });
      await writeFile(path, await read(demoConfig));
      const run = await runCli(['validate', 'infra/local/demo-config.yaml', '--json'], {
        cwd: fresh.dir,
      });
      expect(run.code).toBe(1);
      const json = run.json<{ issues: { path: string; message: string }[]; hints: string[] }>();
      expect(json.issues.map((i) => i.path)).toEqual([
        'idps[0].saml.metadataFile',
        'idps[1].saml.metadataFile',
      ]);
      expect(json.issues[0]?.message).toMatch(
        /^not found: .*\.local\/demo\/demo-okta\.metadata\.xml/,
      );
      expect(json.hints).toEqual([expect.stringContaining('`npm start` writes the demo IdPs')]);
    } finally {
      await fresh.remove();
    }
  });

  it('says which variable is missing when a file uses one nobody gave', async () => {
    await writeFile(
      file('infra/local/vars.yaml'),
      (await read(demoConfig)).replace(
        `issuer: \${LOCAL_BASE_URL}/_local/oidc`,
        `issuer: \${OP_URL}`,
      ),
    );
    const run = await cli('validate', 'infra/local/vars.yaml', '--json');
    expect(run.code).toBe(1);
    const json = run.json<{ issues: { path: string }[]; hints: string[] }>();
    expect(json.issues.map((i) => i.path)).toEqual(['idps[2].oidc.issuer']);
    expect(json.hints).toEqual([`the file uses \${OP_URL}: pass --var OP_URL=…`]);
  });

  it('refuses a certificate the gateway could not use (RSA 1024) at its IdP path', async () => {
    await writeFile(file('weak.yaml'), smallConfig(weak.certificateB64));
    const run = await cli('validate', 'weak.yaml', '--json');
    expect(run.code).toBe(1);
    expect(run.json<{ issues: unknown[] }>().issues).toEqual([
      {
        path: 'idps[0].saml',
        message: expect.stringContaining('1024 bits (RSA ≥ 2048 only)'),
        line: 8,
        column: 7,
      },
    ]);
  });

  it('reports unparsable YAML and a missing file with exit 1', async () => {
    await writeFile(file('broken.yaml'), 'version: 1\nidps: [\n');
    expect((await cli('validate', 'broken.yaml')).code).toBe(1);
    const missing = await cli('validate', 'nope.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(
      `nope.yaml is invalid (1 problem):\n  - (root): not found: ${file('nope.yaml')}\n`,
    );
  });
});

describe('explain, on the demo config', () => {
  const claimsFor = async (idp: 'demo-okta' | 'demo-entra', index: number) => {
    const user = DEMO_USERS[idp][index]!;
    const name = `${user.id}.json`;
    await writeFile(file(name), JSON.stringify({ subject: user.nameId, claims: user.attributes }));
    return name;
  };
  const explainJson = async (idp: string, claims: string) => {
    const run = await cli(
      'explain',
      '--idp',
      idp,
      '--claims',
      claims,
      '--config',
      demoConfig,
      ...DEMO_VARS,
      '--json',
    );
    return { run, json: run.code === 0 ? run.json<ExplainJson>() : undefined };
  };

  it('shows Alice the three grants, with the exact tags, session name, source identity and duration', async () => {
    const { run, json } = await explainJson('demo-okta', await claimsFor('demo-okta', 0));
    expect(run.code).toBe(0);
    expect(json?.identity.subject).toBe('00ualice00o1demo');
    expect(json?.grants).toEqual([
      expect.objectContaining({
        ruleId: 'platform-admins',
        roleArn: 'arn:aws:iam::222222222222:role/fedgate-demo-admin',
        accountAlias: 'production',
        label: 'Administrator',
        sessionName: 'demo-okta.alice@example.com',
        sourceIdentity: 'demo-okta.alice@example.com',
        durationSeconds: 3600,
        tags: [
          { key: 'department', value: 'engineering' },
          { key: 'teams', value: 'Everyone:aws-dev-payments:aws-platform-admins' },
        ],
        transitiveTagKeys: ['department'],
      }),
      expect.objectContaining({
        ruleId: 'developers-sandbox',
        accountAlias: 'sandbox',
        durationSeconds: 28800,
        tags: [
          { key: 'department', value: 'engineering' },
          { key: 'cost-center', value: 'cc-1001' },
        ],
        transitiveTagKeys: [],
      }),
      expect.objectContaining({
        ruleId: 'aws-groups-readonly',
        durationSeconds: 3600,
        tags: [{ key: 'department', value: 'engineering' }],
      }),
    ]);
    // No template: the default, the IdP and the subject reference the sign-in logs.
    expect(json?.grants[2]?.sourceIdentity).toMatch(/^demo-okta\.[0-9a-f]{16}$/);
    expect(json?.grants).toHaveLength(3);
    expect(
      json?.rules.map((r: { ruleId: string; scope: string; outcome: string }) => [
        r.scope,
        r.ruleId,
        r.outcome,
      ]),
    ).toEqual([
      ['gateway', 'contractors-never-prod', 'not-matched'],
      ['idp', 'platform-admins', 'granted'],
      ['idp', 'developers-sandbox', 'granted'],
      ['idp', 'aws-groups-readonly', 'granted'],
    ]);
    const text = await cli(
      'explain',
      '--idp',
      'demo-okta',
      '--claims',
      'alice.json',
      '--config',
      demoConfig,
      ...DEMO_VARS,
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      '✗ contractors-never-prod (gateway rule, priority 1, deny arn:aws:iam::222222222222:role/fedgate-demo-admin, arn:aws:iam::222222222222:role/fedgate-demo-readonly): not-matched',
    );
    expect(text.stdout).toContain(
      '✗ claim employeeType has no value equal to "contractor" (any value, ignoring case)',
    );
    expect(text.stdout).toContain(
      'session tags     department=engineering, teams=Everyone:aws-dev-payments:aws-platform-admins',
    );
    expect(text.stdout).toContain('Grants (3):');
  });

  it('shows the deny rule that takes production from Carol, and the optional tag left out', async () => {
    const { json } = await explainJson('demo-okta', await claimsFor('demo-okta', 1));
    expect(json?.deniedBy).toEqual(['gateway:contractors-never-prod']);
    expect(
      json?.rules.find((r: { ruleId: string }) => r.ruleId === 'aws-groups-readonly'),
    ).toMatchObject({
      matched: true,
      outcome: 'denied',
      deniedBy: 'gateway:contractors-never-prod',
    });
    expect(json?.grants.map((g: { ruleId: string; tags: unknown }) => [g.ruleId, g.tags])).toEqual([
      ['developers-sandbox', [{ key: 'department', value: 'web' }]],
    ]);
  });

  it('says Dave gets nothing (exit 0: the explanation itself succeeded)', async () => {
    const name = await claimsFor('demo-okta', 2);
    const run = await cli(
      'explain',
      '--idp',
      'demo-okta',
      '--claims',
      name,
      '--config',
      demoConfig,
      ...DEMO_VARS,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Grants (0):');
    expect(run.stdout).toContain('no_role_matched');
  });

  it("maps Entra's claim URIs through the aliases and takes the object id as the subject", async () => {
    const { run, json } = await explainJson('demo-entra', await claimsFor('demo-entra', 0));
    expect(run.code).toBe(0);
    expect(json?.identity.subject).toBe('6572696e-1111-4222-8333-444455556666');
    expect(json?.identity.issuer).toBe(`https://sts.windows.net/${DEMO_TENANT}/`);
    expect(json?.grants.map((g: { ruleId: string; tags: unknown }) => [g.ruleId, g.tags])).toEqual([
      ['cloud-admins', [{ key: 'department', value: 'platform' }]],
      ['app-role-developer', [{ key: 'department', value: 'platform' }]],
    ]);
  });

  it.each([
    [1, 'saml_tenant_not_allowed'],
    [2, 'saml_group_overage'],
  ])('refuses Entra user %i as the gateway would (exit 1, %s)', async (index, code) => {
    const { run } = await explainJson('demo-entra', await claimsFor('demo-entra', index));
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe(code);
  });

  it('takes an ID token payload as it is for an OIDC IdP', async () => {
    await writeFile(
      file('oidc.json'),
      JSON.stringify({
        sub: 'user-42',
        email: 'pat@example.com',
        email_verified: true,
        groups: ['developers'],
        department: 'data',
        employeeType: 'employee',
      }),
    );
    const { run, json } = await explainJson('demo-oidc', 'oidc.json');
    expect(run.code).toBe(0);
    expect(json?.identity).toMatchObject({
      subject: 'user-42',
      issuer: 'http://127.0.0.1:8787/_local/oidc',
    });
    expect(json?.grants).toEqual([
      expect.objectContaining({
        ruleId: 'developers',
        sessionName: 'demo-oidc.pat@example.com',
        sourceIdentity: 'demo-oidc.pat@example.com',
        tags: [{ key: 'department', value: 'data' }],
      }),
    ]);
  });

  it('fails with exit 1 for an unknown IdP and for claims that are not strings', async () => {
    const unknown = await explainJson('nope', 'alice.json');
    expect(unknown.run.code).toBe(1);
    expect(unknown.run.json<{ error: { code: string } }>().error.code).toBe('unknown_idp');
    await writeFile(
      file('nested.json'),
      JSON.stringify({ claims: { groups: [{ a: 1 }] }, subject: 's' }),
    );
    const nested = await explainJson('demo-okta', 'nested.json');
    expect(nested.run.code).toBe(1);
    expect(nested.run.json<{ error: { code: string } }>().error.code).toBe('invalid_claims');
  });
});

describe('import-idp into a config file', () => {
  it("adds an Okta IdP from its metadata file, keeping the file's comments", async () => {
    await writeFile(file('gw.yaml'), smallConfig(keys.okta.certificateB64));
    await writeFile(file('okta.xml'), oktaMetadata({ certificates: [keys.okta.certificateB64] }));
    const run = await cli(
      'import-idp',
      '--id',
      'okta',
      '--metadata',
      'okta.xml',
      '--config',
      'gw.yaml',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      idp: 'okta',
      protocol: 'saml',
      profile: 'okta',
      action: 'added',
      entityId: 'http://www.okta.com/exk1fedgateadmin',
      ssoUrl: 'https://dev-4242.okta.com/app/dev-4242_fedgate_1/exk1fedgateadmin/sso/saml',
      saved: { kind: 'file', written: true },
    });
    const text = await read('gw.yaml');
    expect(text.startsWith('# ops-owned gateway config: keep this comment\n')).toBe(true);
    expect(parseYaml(text).idps[1]).toEqual({
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      subjectClaim: 'oktaUserId',
      saml: {
        entityId: 'http://www.okta.com/exk1fedgateadmin',
        signingCertificates: [keys.okta.certificateB64],
        ssoUrl: 'https://dev-4242.okta.com/app/dev-4242_fedgate_1/exk1fedgateadmin/sso/saml',
      },
      rules: [],
    });
    expect((await cli('validate', 'gw.yaml')).code).toBe(0);
  });

  it('adds an Entra IdP from its metadata URL: tenant allowlisted, object id subject, aliases', async () => {
    const server = await serveDocuments({
      '/federationmetadata.xml': {
        type: 'application/xml',
        body: entraMetadata({
          certificates: [keys.entra.certificateB64],
          metadataSigner: keys.metadataSigner.certificateB64,
        }),
      },
    });
    try {
      await writeFile(
        file('gw.json'),
        JSON.stringify(parseYaml(smallConfig(keys.okta.certificateB64)), null, 2),
      );
      const run = await cli(
        'import-idp',
        '--id',
        'entra',
        '--metadata',
        `${server.origin}/federationmetadata.xml`,
        '--config',
        'gw.json',
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('profile entra');
      const entra = JSON.parse(await read('gw.json')).idps[1];
      expect(entra).toEqual({
        id: 'entra',
        displayName: 'Microsoft Entra ID',
        protocol: 'saml',
        subjectClaim: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
        saml: {
          entityId: `https://sts.windows.net/${DEMO_TENANT}/`,
          // only the IDPSSODescriptor's key: never the metadata signature's KeyInfo
          signingCertificates: [keys.entra.certificateB64],
          ssoUrl: `https://login.microsoftonline.com/${DEMO_TENANT}/saml2`,
          allowedTenants: [DEMO_TENANT],
        },
        claimAliases: {
          email: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
          groups: ['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'],
          roles: ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
          tenantId: ['http://schemas.microsoft.com/identity/claims/tenantid'],
        },
        rules: [],
      });
    } finally {
      await server.close();
    }
  });

  it('refuses an existing id, and with --update rolls the certificates over keeping the rules', async () => {
    await writeFile(file('roll.yaml'), smallConfig(keys.okta.certificateB64));
    const next = keys.metadataSigner.certificateB64;
    await writeFile(
      file('existing.xml'),
      oktaMetadata({ appId: 'exkexisting', certificates: [keys.okta.certificateB64, next] }),
    );
    const refused = await cli(
      'import-idp',
      '--id',
      'existing',
      '--metadata',
      'existing.xml',
      '--config',
      'roll.yaml',
      '--json',
    );
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('idp_exists');
    const updated = await cli(
      'import-idp',
      '--id',
      'existing',
      '--metadata',
      'existing.xml',
      '--config',
      'roll.yaml',
      '--update',
      '--json',
    );
    expect(updated.code).toBe(0);
    expect(updated.json()).toMatchObject({ action: 'updated' });
    const idp = parseYaml(await read('roll.yaml')).idps[0];
    expect(idp.saml.signingCertificates).toEqual([keys.okta.certificateB64, next]);
    expect(idp.rules.map((r: { id: string }) => r.id)).toEqual(['readers']);
    expect(idp.displayName).toBe('Existing IdP');
    const again = await cli(
      'import-idp',
      '--id',
      'existing',
      '--metadata',
      'existing.xml',
      '--config',
      'roll.yaml',
      '--update',
      '--json',
    );
    expect(again.json()).toMatchObject({ action: 'unchanged' });
  });

  it('refuses unusable metadata and leaves the file untouched (exit 1)', async () => {
    await writeFile(file('keep.yaml'), smallConfig(keys.okta.certificateB64));
    const before = await read('keep.yaml');
    await writeFile(file('weak.xml'), oktaMetadata({ certificates: [weak.certificateB64] }));
    await writeFile(
      file('doctype.xml'),
      `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${oktaMetadata({ certificates: [keys.okta.certificateB64] })}`,
    );
    for (const [ref, code] of [
      ['weak.xml', 'invalid_metadata'],
      ['doctype.xml', 'invalid_metadata'],
      ['http://idp.example/metadata.xml', 'invalid_url'],
      ['missing.xml', 'fetch_failed'],
    ]) {
      const run = await cli(
        'import-idp',
        '--id',
        'x',
        '--metadata',
        ref as string,
        '--config',
        'keep.yaml',
        '--json',
      );
      expect(run.code, ref).toBe(1);
      expect(run.json<{ error: { code: string } }>().error.code).toBe(code);
    }
    expect(await read('keep.yaml')).toBe(before);
  });

  it('writes nothing with --dry-run', async () => {
    await writeFile(file('dry.yaml'), smallConfig(keys.okta.certificateB64));
    const before = await read('dry.yaml');
    const run = await cli(
      'import-idp',
      '--id',
      'okta',
      '--metadata',
      'okta.xml',
      '--config',
      'dry.yaml',
      '--dry-run',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run');
    expect(await read('dry.yaml')).toBe(before);
  });

  describe('from an OIDC issuer', () => {
    let server: Awaited<ReturnType<typeof serveDocuments>>;
    const discovery = (issuer: string, extra: Record<string, unknown> = {}) => ({
      type: 'application/json',
      body: JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['ES256', 'RS256'],
        ...extra,
      }),
    });
    beforeAll(async () => {
      const docs: Parameters<typeof serveDocuments>[0] = {};
      server = await serveDocuments(docs);
      const o = server.origin;
      docs['/good/.well-known/openid-configuration'] = discovery(`${o}/good`);
      docs['/liar/.well-known/openid-configuration'] = discovery('https://evil.example/liar');
      docs['/plain/.well-known/openid-configuration'] = discovery(`${o}/plain`, {
        code_challenge_methods_supported: ['plain'],
      });
      docs['/httpjwks/.well-known/openid-configuration'] = discovery(`${o}/httpjwks`, {
        jwks_uri: 'http://idp.example/jwks',
      });
      docs['/es/.well-known/openid-configuration'] = discovery(`${o}/es`, {
        id_token_signing_alg_values_supported: ['ES256'],
      });
    });
    afterAll(() => server.close());

    it('adds the IdP after checking the discovery document', async () => {
      await writeFile(file('oidc.yaml'), smallConfig(keys.okta.certificateB64));
      const issuer = `${server.origin}/good`;
      const run = await cli(
        'import-idp',
        '--id',
        'corp',
        '--oidc-issuer',
        issuer,
        '--client-id',
        'fedgate',
        '--client-secret-ref',
        'ssm:/fedgate/corp',
        '--config',
        'oidc.yaml',
        '--json',
      );
      expect(run.code).toBe(0);
      expect(run.json()).toMatchObject({
        protocol: 'oidc',
        profile: 'generic',
        jwksUri: `${issuer}/jwks`,
        idTokenSignedResponseAlg: 'RS256',
      });
      expect(parseYaml(await read('oidc.yaml')).idps[1]).toEqual({
        id: 'corp',
        displayName: 'corp',
        protocol: 'oidc',
        oidc: {
          issuer,
          clientId: 'fedgate',
          profile: 'generic',
          clientSecretRef: 'ssm:/fedgate/corp',
        },
        rules: [],
      });
      const es = await cli(
        'import-idp',
        '--id',
        'es',
        '--oidc-issuer',
        `${server.origin}/es`,
        '--client-id',
        'c',
        '--config',
        'oidc.yaml',
      );
      expect(es.code).toBe(0);
      expect(parseYaml(await read('oidc.yaml')).idps[2].oidc.idTokenSignedResponseAlg).toBe(
        'ES256',
      );
    });

    it('updates the client id with --update, keeping the secret reference and the rules', async () => {
      await cli(
        'rules',
        'add',
        '--idp',
        'corp',
        '--config',
        'oidc.yaml',
        '--rule',
        JSON.stringify(OKTA_RULE),
      );
      const run = await cli(
        'import-idp',
        '--id',
        'corp',
        '--oidc-issuer',
        `${server.origin}/good`,
        '--client-id',
        'fedgate-2',
        '--update',
        '--config',
        'oidc.yaml',
        '--json',
      );
      expect(run.code).toBe(0);
      expect(run.json()).toMatchObject({ action: 'updated' });
      const corp = parseYaml(await read('oidc.yaml')).idps[1];
      expect(corp.oidc).toEqual({
        issuer: `${server.origin}/good`,
        clientId: 'fedgate-2',
        profile: 'generic',
        clientSecretRef: 'ssm:/fedgate/corp',
      });
      expect(corp.rules.map((r: { id: string }) => r.id)).toEqual(['admins']);
    });

    it.each([
      ['/liar', 'issuer_mismatch'],
      ['/plain', 'invalid_discovery'],
      ['/httpjwks', 'invalid_discovery'],
      ['/absent', 'fetch_failed'],
    ])('refuses %s (%s)', async (path, code) => {
      const run = await cli(
        'import-idp',
        '--id',
        'corp2',
        '--oidc-issuer',
        `${server.origin}${path}`,
        '--client-id',
        'c',
        '--config',
        'oidc.yaml',
        '--json',
      );
      expect(run.code).toBe(1);
      expect(run.json<{ error: { code: string } }>().error.code).toBe(code);
    });
  });
});

describe('rules on a config file', () => {
  beforeAll(async () => {
    await writeFile(file('rules.yaml'), smallConfig(keys.okta.certificateB64));
  });

  it('adds a rule, lists it in evaluation order, refuses a duplicate, replaces with --replace', async () => {
    const add = await cli(
      'rules',
      'add',
      '--idp',
      'existing',
      '--config',
      'rules.yaml',
      '--rule',
      JSON.stringify(OKTA_RULE),
    );
    expect(add.code).toBe(0);
    const list = await cli(
      'rules',
      'list',
      '--idp',
      'existing',
      '--config',
      'rules.yaml',
      '--json',
    );
    expect(list.json<{ rules: { id: string }[] }>().rules.map((r) => r.id)).toEqual([
      'admins',
      'readers',
    ]);
    expect(
      (await cli('rules', 'list', '--idp', 'existing', '--config', 'rules.yaml')).stdout,
    ).toContain('when groups contains "aws-admins"');
    const dup = await cli(
      'rules',
      'add',
      '--idp',
      'existing',
      '--config',
      'rules.yaml',
      '--rule',
      JSON.stringify(OKTA_RULE),
      '--json',
    );
    expect(dup.code).toBe(1);
    expect(dup.json<{ error: { code: string } }>().error.code).toBe('rule_exists');
    await writeFile(file('rule.yaml'), `id: admins\npriority: 500\neffect: deny\nwhen: []\n`);
    const replaced = await cli(
      'rules',
      'add',
      '--idp',
      'existing',
      '--config',
      'rules.yaml',
      '--file',
      'rule.yaml',
      '--replace',
    );
    expect(replaced.code).toBe(0);
    const rules = parseYaml(await read('rules.yaml')).idps[0].rules;
    expect(rules).toEqual([
      expect.objectContaining({ id: 'readers' }),
      { id: 'admins', priority: 500, effect: 'deny', when: [] },
    ]);
  });

  it('refuses an invalid rule by path and writes nothing', async () => {
    const before = await read('rules.yaml');
    const bad = {
      ...OKTA_RULE,
      id: 'bad',
      grant: { roleArn: 'arn:aws:iam::111111111111:role/AWSReservedSSO_Admin_1' },
    };
    const run = await cli(
      'rules',
      'add',
      '--idp',
      'existing',
      '--config',
      'rules.yaml',
      '--rule',
      JSON.stringify(bad),
      '--json',
    );
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string; issues: { path: string }[] } }>().error).toMatchObject(
      {
        code: 'invalid_config',
        issues: [{ path: 'grant.roleArn' }],
      },
    );
    expect(await read('rules.yaml')).toBe(before);
  });

  it('removes a rule, and refuses an unknown rule or IdP (exit 1)', async () => {
    const run = await cli(
      'rules',
      'remove',
      '--idp',
      'existing',
      '--rule-id',
      'admins',
      '--config',
      'rules.yaml',
    );
    expect(run.code).toBe(0);
    expect(
      parseYaml(await read('rules.yaml')).idps[0].rules.map((r: { id: string }) => r.id),
    ).toEqual(['readers']);
    const unknownRule = await cli(
      'rules',
      'remove',
      '--idp',
      'existing',
      '--rule-id',
      'admins',
      '--config',
      'rules.yaml',
      '--json',
    );
    expect(unknownRule.code).toBe(1);
    expect(unknownRule.json<{ error: { code: string } }>().error.code).toBe('unknown_rule');
    const unknownIdp = await cli(
      'rules',
      'list',
      '--idp',
      'nope',
      '--config',
      'rules.yaml',
      '--json',
    );
    expect(unknownIdp.code).toBe(1);
    expect(unknownIdp.json<{ error: { code: string } }>().error.code).toBe('unknown_idp');
  });
});
