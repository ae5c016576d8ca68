import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { fromProcess } from '@aws-sdk/credential-provider-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as admin } from '../../../infra/admin/cli.js';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { buildCliPackage } from '../../../infra/packages/build-cli.js';
import { runCli } from '../../../shared/cli-client/main.js';
import { statePathsOf } from '../../../shared/cli-client/paths.js';
import { readState, writeState } from '../../../shared/cli-client/state-file.js';
import { browserlessConsent, runProcess, startCountingProxy, testIo } from './support.js';

/**
 * The fedgate CLI against the local runner (DynamoDB Local, the demo SAML IdP, the STS stand-in),
 * through a counting proxy that stands for the gateway's public URL: signed in as Alice through
 * the loopback flow (a browserless browser; test/e2e/cli.e2e.ts does it in Chromium), then the
 * real clients resolving the profiles `fedgate configure` wrote — Debian's AWS CLI and the AWS SDK
 * v3's own providers — against the built one-file CLI, refreshes, concurrency, re-evaluation.
 */
const ROLE = 'sandbox/Developer';
const PROFILE = 'fedgate-sandbox-Developer';

describe('the fedgate CLI against the local runner', () => {
  let gateway: LocalGateway;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  let bundle: string;
  let dir: string;
  let env: Record<string, string>;
  let cli: ReturnType<typeof testIo>;
  const paths = () => statePathsOf({ platform: 'linux', env, homedir: dir });
  const run = (...argv: string[]) => runProcess(process.execPath, [bundle, ...argv], env);
  const expireCache = () => {
    const state = readState(paths());
    for (const c of Object.values(state.credentials ?? {})) {
      c.Expiration = new Date(Date.now() - 1000).toISOString();
    }
    writeState(paths(), state);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fg-cli-it-'));
    proxy = await startCountingProxy();
    [gateway, { file: bundle }] = await Promise.all([
      startLocalGateway({
        port: 0,
        configPath: 'infra/local/demo-config.yaml',
        plugins: defaultPlugins(),
        publicBaseUrl: proxy.url.origin,
      }),
      buildCliPackage(join(dir, 'package')),
    ]);
    proxy.setTarget(gateway.url);
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      FEDGATE_CONFIG_DIR: join(dir, 'fedgate'),
      AWS_CONFIG_FILE: join(dir, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      // A "browser" that leaves a mark: credentials must never open one.
      BROWSER: `${process.execPath} ${join(dir, 'browser.mjs')}`,
    };
    writeFileSync(
      join(dir, 'browser.mjs'),
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'browser-opened'))}, process.argv[2] + '\\n');\n`,
    );
    cli = testIo({
      env,
      homedir: dir,
      openBrowser: browserlessConsent('alice'),
      selfCommand: () => `${process.execPath} ${bundle}`,
    });
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.close();
  });

  it('signs in through the browser half (loopback, PKCE) and keeps the token in a 0600 file', async () => {
    const code = await runCli(
      ['login', '--gateway', proxy.url.origin, '--idp', 'demo-okta', '--label', 'ci-box'],
      cli.io,
    );
    const { stderr } = cli.take();
    expect([code, stderr]).toEqual([
      0,
      expect.stringContaining('as alice@example.com (Okta (demo))'),
    ]);
    expect(statSync(paths().state).mode & 0o777).toBe(0o600);
    expect(readState(paths()).session?.token).toMatch(/^demo-okta\.[0-9a-f]{16}\./);
    expect(proxy.count('POST /cli/token')).toBe(1);
  });

  it('lists the roles the rules grant Alice now', async () => {
    expect(await runCli(['roles', '--json'], cli.io)).toBe(0);
    const { roles } = JSON.parse(cli.take().stdout) as { roles: { label: string }[] };
    expect(roles.map((r) => r.label).sort()).toEqual(['Administrator', 'Developer', 'Read-only']);
  });

  it('configure writes one marked profile per role beside an existing one (dry run first)', async () => {
    writeFileSync(env.AWS_CONFIG_FILE as string, '[profile mine]\nregion = us-east-2\n');
    expect(await runCli(['configure', '--dry-run'], cli.io)).toBe(0);
    expect(cli.take().stdout).toContain(`+ [profile ${PROFILE}]`);
    expect(readFileSync(env.AWS_CONFIG_FILE as string, 'utf8')).toBe(
      '[profile mine]\nregion = us-east-2\n',
    );
    expect(await runCli(['configure'], cli.io)).toBe(0);
    const text = readFileSync(env.AWS_CONFIG_FILE as string, 'utf8');
    expect(
      text.startsWith('[profile mine]\nregion = us-east-2\n\n# fedgate: managed profile'),
    ).toBe(true);
    expect(text).toContain(
      `[profile ${PROFILE}]\ncredential_process = ${process.execPath} ${bundle} credentials --role ${ROLE}\n`,
    );
    expect(text.match(/^\[profile fedgate-/gm)).toHaveLength(3);
  });

  it("Debian's AWS CLI resolves the profile through credential_process (aws configure export-credentials)", async () => {
    const before = proxy.count('POST /cli/credentials');
    const aws = await runProcess(
      '/usr/bin/aws',
      ['configure', 'export-credentials', '--profile', PROFILE, '--format', 'env'],
      env,
    );
    expect(aws.stderr).toBe('');
    expect(aws.code).toBe(0);
    const cached = readState(paths()).credentials?.[ROLE];
    expect(cached?.AccessKeyId).toMatch(/^ASIALOCAL/);
    expect(aws.stdout).toContain(`export AWS_ACCESS_KEY_ID=${cached?.AccessKeyId}`);
    expect(aws.stdout).toContain(`export AWS_SESSION_TOKEN=${cached?.SessionToken}`);
    expect(proxy.count('POST /cli/credentials')).toBe(before + 1);
  });

  it("the AWS SDK v3's fromProcess and fromIni resolve it too, from the cache (no gateway call)", async () => {
    const before = proxy.count('POST /cli/credentials');
    const cached = readState(paths()).credentials?.[ROLE];
    const saved = process.env.FEDGATE_CONFIG_DIR;
    process.env.FEDGATE_CONFIG_DIR = env.FEDGATE_CONFIG_DIR;
    try {
      const init = {
        profile: PROFILE,
        configFilepath: env.AWS_CONFIG_FILE,
        filepath: env.AWS_SHARED_CREDENTIALS_FILE,
      };
      for (const provider of [fromProcess(init), fromIni(init)]) {
        const creds = await provider();
        expect(creds.accessKeyId).toBe(cached?.AccessKeyId);
        expect(creds.sessionToken).toBe(cached?.SessionToken);
        expect(creds.expiration?.toISOString()).toBe(cached?.Expiration);
      }
    } finally {
      if (saved === undefined) delete process.env.FEDGATE_CONFIG_DIR;
      else process.env.FEDGATE_CONFIG_DIR = saved;
    }
    expect(proxy.count('POST /cli/credentials')).toBe(before);
  });

  it('renews expired credentials through the session, without a browser', async () => {
    const old = readState(paths()).credentials?.[ROLE]?.AccessKeyId;
    const before = proxy.count('POST /cli/credentials');
    const pages = proxy.count('GET /cli/authorize') + proxy.count('GET /cli/device');
    expireCache();
    const r = await run('credentials', '--role', ROLE);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual([
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
    ]);
    expect(json.AccessKeyId).not.toBe(old);
    expect(proxy.count('POST /cli/credentials')).toBe(before + 1);
    // No browser was sent anywhere: no CLI page was asked for.
    expect(proxy.count('GET /cli/authorize') + proxy.count('GET /cli/device')).toBe(pages);
  });

  it('aws sts get-caller-identity and the SDK sign real calls with them, renewed after expiry without a browser', async () => {
    // The STS stand-in checks the SigV4 signature against the sessions it issued: the keys the
    // CLI hands out are live ones, for the role the profile names.
    const sts = new URL('/_local/sts/', gateway.url).href;
    const pages = () => proxy.count('GET /cli/authorize') + proxy.count('GET /cli/device');
    const pagesBefore = pages();
    const refreshes = proxy.count('POST /cli/credentials');
    const arn =
      /^arn:aws:sts::111111111111:assumed-role\/fedgate-demo-developer\/demo-okta\.alice@example\.com$/;
    const whoAmI = async () => {
      const r = await runProcess(
        '/usr/bin/aws',
        [
          'sts',
          'get-caller-identity',
          '--profile',
          PROFILE,
          '--endpoint-url',
          sts,
          '--output',
          'json',
        ],
        env,
      );
      expect([r.code, r.stderr]).toEqual([0, '']);
      return JSON.parse(r.stdout) as { Account: string; Arn: string };
    };
    const keyNow = () => readState(paths()).credentials?.[ROLE]?.AccessKeyId;

    expect(await whoAmI()).toMatchObject({
      Account: '111111111111',
      Arn: expect.stringMatching(arn),
    });
    const first = keyNow();
    expireCache();
    expect((await whoAmI()).Arn).toMatch(arn);
    const second = keyNow();
    expect(second).not.toBe(first);
    expect(proxy.count('POST /cli/credentials')).toBe(refreshes + 1);

    const saved = process.env.FEDGATE_CONFIG_DIR;
    process.env.FEDGATE_CONFIG_DIR = env.FEDGATE_CONFIG_DIR;
    const client = new STSClient({
      region: 'us-east-1',
      endpoint: sts,
      maxAttempts: 1,
      credentials: fromIni({
        profile: PROFILE,
        configFilepath: env.AWS_CONFIG_FILE,
        filepath: env.AWS_SHARED_CREDENTIALS_FILE,
      }),
    });
    try {
      expireCache();
      expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toMatch(arn);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.FEDGATE_CONFIG_DIR;
      else process.env.FEDGATE_CONFIG_DIR = saved;
    }
    expect(keyNow()).not.toBe(second);
    expect(proxy.count('POST /cli/credentials')).toBe(refreshes + 2);
    expect(pages()).toBe(pagesBefore);
  });

  it('10 processes at once on an expired cache: one refresh at the gateway, all get it', async () => {
    const before = proxy.count('POST /cli/credentials');
    expireCache();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => run('credentials', '--role', ROLE)),
    );
    expect(results.map((r) => [r.code, r.stderr])).toEqual(
      Array.from({ length: 10 }, () => [0, '']),
    );
    const keys = new Set(results.map((r) => JSON.parse(r.stdout).AccessKeyId));
    expect(keys.size).toBe(1);
    expect(proxy.count('POST /cli/credentials')).toBe(before + 1);
    const text = readFileSync(paths().state, 'utf8');
    expect(JSON.parse(text).credentials[ROLE].AccessKeyId).toBe([...keys][0]);
    expect(statSync(paths().state).mode & 0o777).toBe(0o600);
    expect(existsSync(paths().lock)).toBe(false);
  });

  it('a rule removed between two calls: the second is refused (exit 4, fedgate roles)', async () => {
    const ok = await run('credentials', '--role', 'production/Read-only');
    expect(ok.code).toBe(0);
    const dynamo = new DynamoDBClient({
      endpoint: gateway.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // The rule that grants the read-only role, whatever the demo config calls it.
    const rules = await dynamo.send(
      new QueryCommand({
        TableName: 'fedgate-attributes',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rule)',
        ExpressionAttributeValues: { ':pk': { S: 'IDP#demo-okta' }, ':rule': { S: 'RULE#' } },
      }),
    );
    const readOnly = (rules.Items ?? []).filter((i) =>
      i.doc?.S?.includes('role/fedgate-demo-readonly'),
    );
    expect(readOnly).toHaveLength(1);
    await dynamo.send(
      new DeleteItemCommand({
        TableName: 'fedgate-attributes',
        Key: { pk: readOnly[0]?.pk as never, sk: readOnly[0]?.sk as never },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    dynamo.destroy();
    // The functions cache the attribute table for 5 s on the runner (CONFIG_CACHE_SECONDS).
    await new Promise((done) => setTimeout(done, 6000));
    expireCache();
    const refused = await run('credentials', '--role', 'production/Read-only');
    expect(refused.code).toBe(4);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'fedgate: The role production/Read-only is not (or no longer) granted to you.\n' +
        '  See the roles you have now: fedgate roles\n',
    );
    // The session itself still works for what is still granted.
    expect((await run('credentials', '--role', ROLE)).code).toBe(0);
  }, 30_000);

  it('fedgate-admin sessions revoke: refused with the command to run (exit 3), then known locally', async () => {
    const token = readState(paths()).session?.token as string;
    const [idp, subjectRef] = token.split('.') as [string, string];
    let said = '';
    const io = { stdout: (t: string) => (said += t), stderr: (t: string) => (said += t) };
    // The operator's command, as the README gives it.
    const listed = await admin(
      ['sessions', 'list', '--idp', idp, '--endpoint', gateway.dynamo.endpoint],
      { ...io, env: {}, cwd: process.cwd(), fetch },
    );
    expect([listed, said]).toEqual([0, expect.stringContaining(`cli:ci-box`)]);
    const revoked = await admin(
      [
        'sessions',
        'revoke',
        '--idp',
        idp,
        '--subject-ref',
        subjectRef,
        '--endpoint',
        gateway.dynamo.endpoint,
      ],
      { ...io, env: {}, cwd: process.cwd(), fetch },
    );
    expect(revoked, said).toBe(0);
    expireCache();
    const r = await run('credentials', '--role', ROLE);
    expect(r).toMatchObject({
      code: 3,
      stdout: '',
      stderr:
        'fedgate: Your fedgate session was ended by an administrator.\n' +
        '  Sign in again if you still need access: fedgate login\n',
    });
    const again = await run('credentials', '--role', ROLE);
    expect([again.code, again.stderr]).toEqual([
      3,
      'fedgate: You are not signed in to fedgate.\n  Sign in again: fedgate login\n',
    ]);
    expect(readState(paths()).credentials).toEqual({});
    // What a person sees from the AWS CLI: fedgate's next step, and no browser anywhere.
    const aws = await runProcess(
      '/usr/bin/aws',
      [
        'sts',
        'get-caller-identity',
        '--profile',
        PROFILE,
        '--endpoint-url',
        `${gateway.url.origin}/_local/sts/`,
      ],
      env,
    );
    expect(aws.code).not.toBe(0);
    expect(aws.stderr).toContain('Sign in again: fedgate login');
    expect(existsSync(join(dir, 'browser-opened'))).toBe(false);
  });
});
