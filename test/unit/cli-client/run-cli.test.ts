import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { browserCommand } from '../../../shared/cli-client/browser.js';
import type { CliIo } from '../../../shared/cli-client/context.js';
import type { GatewayAnswer } from '../../../shared/cli-client/gateway.js';
import { explainTransportError, parseGatewayUrl } from '../../../shared/cli-client/gateway.js';
import { defaultLabel } from '../../../shared/cli-client/login.js';
import { runCli } from '../../../shared/cli-client/main.js';
import type { CliState } from '../../../shared/cli-client/state-file.js';

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);
const TOKEN = `okta.0123456789abcdef.${'s'.repeat(43)}`;
const iso = (ms: number) => new Date(ms).toISOString();

type Handler = (path: string, body: Record<string, unknown>, bearer?: string) => GatewayAnswer;

/** The CLI with a fake gateway (answers by path) and captured output, in a fresh config dir. */
const cli = (handler: Handler, over: Partial<CliIo> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cli-'));
  const out: string[] = [];
  const err: string[] = [];
  const calls: { path: string; body: Record<string, unknown>; bearer?: string }[] = [];
  let now = NOW;
  const io: CliIo = {
    env: { FEDGATE_CONFIG_DIR: join(dir, 'fedgate'), AWS_CONFIG_FILE: join(dir, 'aws-config') },
    platform: 'linux',
    homedir: dir,
    hostname: 'laptop.corp.example',
    username: 'alice',
    version: '9.9.9',
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: () => now,
    openBrowser: vi.fn(async () => {
      throw new Error('no browser in this test');
    }),
    post: () => async (path, body, opts) => {
      calls.push({
        path,
        body: body as Record<string, unknown>,
        ...(opts?.bearer ? { bearer: opts.bearer } : {}),
      });
      return handler(path, body as Record<string, unknown>, opts?.bearer);
    },
    ...over,
  };
  const run = async (...argv: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await runCli(argv, io, '/opt/fedgate/fedgate.cjs');
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const statePath = join(dir, 'fedgate', 'state.json');
  const setState = (s: CliState) => {
    execFileSync('mkdir', ['-p', join(dir, 'fedgate')]);
    writeFileSync(statePath, JSON.stringify(s));
  };
  return {
    io,
    run,
    calls,
    dir,
    statePath,
    setState,
    state: () => JSON.parse(readFileSync(statePath, 'utf8')) as CliState,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

const signedIn = (credentials: CliState['credentials'] = {}): CliState => ({
  version: 1,
  gateway: 'https://sso.example.com',
  client: 'alice@laptop',
  session: {
    token: TOKEN,
    endsAt: iso(NOW + 8 * 3_600_000),
    idp: 'okta',
    idpDisplayName: 'Okta',
    displayName: 'alice@example.com',
  },
  credentials,
});

const issued = (n: number, lifetimeMs = 3_600_000): GatewayAnswer => ({
  status: 200,
  body: {
    Version: 1,
    AccessKeyId: `ASIA${n}`,
    SecretAccessKey: `secret${n}`,
    SessionToken: `token${n}`,
    Expiration: iso(NOW + lifetimeMs),
    role: { roleArn: 'arn:aws:iam::111111111111:role/dev' },
  },
});
const refused = (status: number, error: string): GatewayAnswer => ({
  status,
  body: { error, error_description: 'x' },
});

describe('fedgate (no command), --help, --version, unknown', () => {
  it('prints the help: exit 0 when asked, 2 when no command was given', async () => {
    const c = cli(() => issued(1));
    expect(await c.run('--help')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('fedgate login'),
    });
    expect((await c.run()).code).toBe(2);
    expect(await c.run('--version')).toMatchObject({ code: 0, stdout: 'fedgate 9.9.9\n' });
    expect(await c.run('frobnicate')).toMatchObject({
      code: 2,
      stderr: 'fedgate: Unknown command "frobnicate".\n  See: fedgate --help\n',
    });
    expect(await c.run('credentials', '--role', 'x', '--bogus')).toMatchObject({ code: 2 });
    expect(await c.run('credentials')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role is required'),
    });
  });
});

describe('fedgate credentials', () => {
  it('not signed in: exit 3 and the command to run, never a browser', async () => {
    const c = cli(() => issued(1));
    const r = await c.run('credentials', '--role', 'sandbox/Developer');
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr: 'fedgate: You are not signed in to fedgate.\n  Sign in again: fedgate login\n',
    });
    expect(c.io.openBrowser).not.toHaveBeenCalled();
    expect(c.calls).toEqual([]);
  });

  it('fetches once, then answers from the cache (credential_process JSON, Version 1)', async () => {
    let n = 0;
    const c = cli(() => issued(++n));
    c.setState(signedIn());
    const first = await c.run('credentials', '--role', 'sandbox/Developer');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      Version: 1,
      AccessKeyId: 'ASIA1',
      SecretAccessKey: 'secret1',
      SessionToken: 'token1',
      Expiration: iso(NOW + 3_600_000),
    });
    expect(c.calls).toEqual([
      {
        path: '/cli/credentials',
        body: { client: 'alice@laptop', role: 'sandbox/Developer' },
        bearer: TOKEN,
      },
    ]);
    expect(statSync(c.statePath).mode & 0o777).toBe(0o600);
    c.advance(44 * 60_000); // 1-hour credentials are reused for 45 minutes
    expect(
      JSON.parse((await c.run('credentials', '--role', 'sandbox/Developer')).stdout).AccessKeyId,
    ).toBe('ASIA1');
    expect(c.calls).toHaveLength(1);
    c.advance(2 * 60_000);
    expect(
      JSON.parse((await c.run('credentials', '--role', 'sandbox/Developer')).stdout).AccessKeyId,
    ).toBe('ASIA2');
    expect(c.calls).toHaveLength(2);
  });

  it('several at once on a stale cache refresh once (the others wait for the lock, then read)', async () => {
    let n = 0;
    const c = cli(() => issued(++n));
    c.setState(signedIn());
    const results = await Promise.all(
      Array.from({ length: 6 }, () => c.run('credentials', '--role', 'dev')),
    );
    expect(c.calls).toHaveLength(1);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('--format env prints export lines, with the region when given', async () => {
    const c = cli(() => issued(1));
    c.setState(signedIn());
    const r = await c.run(
      'credentials',
      '--role',
      'dev',
      '--format',
      'env',
      '--region',
      'eu-west-1',
    );
    expect(r.stdout).toBe(
      "export AWS_ACCESS_KEY_ID='ASIA1'\nexport AWS_SECRET_ACCESS_KEY='secret1'\n" +
        "export AWS_SESSION_TOKEN='token1'\n" +
        `export AWS_CREDENTIAL_EXPIRATION='${iso(NOW + 3_600_000)}'\n` +
        "export AWS_REGION='eu-west-1'\nexport AWS_DEFAULT_REGION='eu-west-1'\n",
    );
  });

  it('a revoked session: exit 3, what happened and what to do; the session is forgotten', async () => {
    const c = cli(() => refused(401, 'session_revoked'));
    c.setState(signedIn({ other: issued(9).body as never }));
    expect(await c.run('credentials', '--role', 'dev')).toEqual({
      code: 3,
      stdout: '',
      stderr:
        'fedgate: Your fedgate session was ended by an administrator.\n' +
        '  Sign in again if you still need access: fedgate login\n',
    });
    expect(c.state().session).toBeUndefined();
    expect(c.state().credentials).toEqual({});
    expect(c.io.openBrowser).not.toHaveBeenCalled();
    // Later calls fail at once, without asking fedgate again.
    expect((await c.run('credentials', '--role', 'dev')).code).toBe(3);
    expect(c.calls).toHaveLength(1);
  });

  it.each([
    [refused(401, 'session_invalid'), 3, 'Your fedgate session has ended.'],
    [refused(403, 'grant_not_available'), 4, 'The role dev is not (or no longer) granted to you.'],
    [refused(400, 'cli_role_ambiguous'), 4, 'Several of your roles match "dev".'],
    [refused(503, 'temporarily_unavailable'), 5, 'fedgate is temporarily unavailable.'],
    [refused(500, 'server_error'), 5, 'fedgate refused'],
  ])('%j → exit %i', async (answer, code, message) => {
    const c = cli(() => answer);
    c.setState(signedIn());
    const r = await c.run('credentials', '--role', 'dev');
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  it("warns once when this computer's clock is off, and judges the cache on fedgate's clock", async () => {
    // fedgate's clock is 20 minutes ahead: it issues 1-hour credentials at its NOW + 20 min.
    const offset = 20 * 60_000;
    let n = 0;
    const c = cli(() => {
      const answer = issued(++n, offset + 3_600_000 + elapsed);
      return { ...answer, clockOffsetMs: offset };
    });
    let elapsed = 0;
    const advance = (ms: number) => {
      elapsed += ms;
      c.advance(ms);
    };
    c.setState(signedIn());
    const r = await c.run('credentials', '--role', 'dev');
    expect(r.stderr).toContain("this computer's clock is 20 minutes behind fedgate's");
    // 40 local minutes later fedgate's clock says 60: 20 minutes left, over the 15-minute margin.
    advance(40 * 60_000);
    await c.run('credentials', '--role', 'dev');
    expect(c.calls).toHaveLength(1);
    // 46 local minutes: 14 minutes left on fedgate's clock (34 on this computer's): renewed.
    advance(6 * 60_000);
    await c.run('credentials', '--role', 'dev');
    expect(c.calls).toHaveLength(2);
    expect(r.stderr.match(/warning/g)).toHaveLength(1);
  });
});

describe('the transport: unreachable and TLS failures say what to check (exit 5)', () => {
  const real = (gateway: string) => {
    const c = cli(() => issued(1), { post: undefined });
    c.setState({ ...signedIn(), gateway });
    return c;
  };

  it('a closed port', async () => {
    const server = createHttpsServer();
    await new Promise<void>((d) => server.listen(0, '127.0.0.1', d));
    const { port } = server.address() as AddressInfo;
    await new Promise((d) => server.close(d));
    const r = await real(`http://127.0.0.1:${port}`).run('credentials', '--role', 'dev');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`Cannot reach fedgate at http://127.0.0.1:${port}/ (ECONNREFUSED)`);
    expect(r.stderr).toContain('Check the address, your network connection and VPN');
  });

  it('a certificate nobody vouches for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fg-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('{}'),
    );
    await new Promise<void>((d) => server.listen(0, '127.0.0.1', d));
    const { port } = server.address() as AddressInfo;
    try {
      const r = await real(`https://127.0.0.1:${port}`).run('credentials', '--role', 'dev');
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(`The TLS certificate of 127.0.0.1:${port} could not be verified`);
      expect(r.stderr).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await new Promise((d) => server.close(d));
    }
  });

  it.each([
    ['http on another host', 'http://sso.example.com'],
    ['credentials in the URL', 'https://u:p@sso.example.com'],
    ['not a URL', 'sso example'],
  ])('refuses a gateway address with %s', (_, raw) => {
    expect(() => parseGatewayUrl(raw)).toThrow(
      expect.objectContaining({ code: 'gateway_url_invalid' }),
    );
  });

  it('keeps a path prefix and allows http on loopback', () => {
    expect(parseGatewayUrl('https://sso.example.com/prod/').pathname).toBe('/prod');
    expect(parseGatewayUrl('http://127.0.0.1:8787').href).toBe('http://127.0.0.1:8787/');
  });
});

const tokenAnswer: GatewayAnswer = {
  status: 200,
  body: {
    token_type: 'Bearer',
    access_token: TOKEN,
    expires_in: 28800,
    session: {
      endsAt: iso(NOW + 28_800_000),
      idp: 'okta',
      idpDisplayName: 'Okta',
      displayName: 'alice@example.com',
      client: 'alice@laptop',
    },
  },
};

describe('fedgate login (loopback)', () => {
  /** A stand-in browser: it visits the authorize URL's redirect_uri as fedgate's 303 would. */
  const browserAnswering =
    (visits: (authorize: URL) => string[]) =>
    async (url: string): Promise<void> => {
      const authorize = new URL(url);
      void (async () => {
        for (const query of visits(authorize)) {
          await fetch(`${authorize.searchParams.get('redirect_uri')}?${query}`);
        }
      })();
    };

  it('PKCE S256 + state on 127.0.0.1; a visit with another state is ignored; the code is exchanged', async () => {
    let authorizeSeen: URL | undefined;
    const c = cli((path) => (path === '/cli/token' ? tokenAnswer : refused(404, 'not_found')), {
      openBrowser: browserAnswering((a) => {
        authorizeSeen = a;
        return [
          `code=forged&state=${'x'.repeat(43)}`,
          `code=the-code&state=${a.searchParams.get('state')}`,
        ];
      }),
    });
    const r = await c.run('login', '--gateway', 'https://sso.example.com', '--idp', 'okta');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Signed in to https://sso.example.com as alice@example.com (Okta)');
    const a = authorizeSeen as URL;
    expect(a.origin + a.pathname).toBe('https://sso.example.com/cli/authorize');
    expect(a.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(a.searchParams.get('code_challenge_method')).toBe('S256');
    expect(a.searchParams.get('client')).toBe('alice@laptop');
    expect(a.searchParams.get('idp')).toBe('okta');
    const exchange = c.calls.find((x) => x.path === '/cli/token')?.body as Record<string, string>;
    expect(exchange.code).toBe('the-code');
    expect(exchange.redirect_uri).toBe(a.searchParams.get('redirect_uri'));
    const { createHash } = await import('node:crypto');
    expect(
      createHash('sha256')
        .update(exchange.code_verifier as string)
        .digest('base64url'),
    ).toBe(a.searchParams.get('code_challenge'));
    expect(c.state()).toMatchObject({
      gateway: 'https://sso.example.com',
      client: 'alice@laptop',
      session: { token: TOKEN, idp: 'okta' },
    });
  });

  it('cancelled in the browser: exit 6, nothing stored', async () => {
    const c = cli(() => tokenAnswer, {
      openBrowser: browserAnswering((a) => [
        `error=access_denied&state=${a.searchParams.get('state')}`,
      ]),
    });
    const r = await c.run('login', '--gateway', 'https://sso.example.com');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('The sign-in was cancelled in the browser.');
    expect(c.calls).toEqual([]);
  });

  it('without a gateway: exit 2 and how to name one', async () => {
    const r = await cli(() => tokenAnswer).run('login');
    expect(r).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('fedgate login --gateway https://'),
    });
  });
});

describe('fedgate login --no-browser (device)', () => {
  const deviceStart: GatewayAnswer = {
    status: 200,
    body: {
      device_code: 'D'.repeat(43),
      user_code: 'BCDF-GHJK',
      verification_uri: 'https://sso.example.com/cli/device',
      verification_uri_complete: 'https://sso.example.com/cli/device?user_code=BCDF-GHJK',
      expires_in: 600,
      interval: 5,
    },
  };

  it('shows the code, polls at the interval, slows down when told, and signs in', async () => {
    const answers = [
      refused(400, 'authorization_pending'),
      refused(400, 'slow_down'),
      refused(400, 'authorization_pending'),
      tokenAnswer,
    ];
    const waits: number[] = [];
    const c = cli(
      (path) => (path === '/cli/device' ? deviceStart : (answers.shift() as GatewayAnswer)),
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    const r = await c.run('login', '--gateway', 'https://sso.example.com', '--no-browser');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('https://sso.example.com/cli/device');
    expect(r.stderr).toContain('BCDF-GHJK');
    expect(waits).toEqual([5250, 5250, 10250, 10250]);
    expect(c.calls[0]).toEqual({ path: '/cli/device', body: { client: 'alice@laptop' } });
    expect(c.calls[1]?.body).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: 'D'.repeat(43),
    });
    expect(c.io.openBrowser).not.toHaveBeenCalled();
  });

  it.each([
    ['denied', refused(400, 'access_denied'), 'The sign-in was denied in the browser.'],
    [
      'expired',
      refused(400, 'expired_token'),
      'The code expired before the sign-in was confirmed.',
    ],
  ])('%s: exit 6', async (_, answer, message) => {
    const c = cli((path) => (path === '/cli/device' ? deviceStart : answer), {
      sleep: async () => undefined,
    });
    const r = await c.run('login', '--gateway', 'https://sso.example.com', '--no-browser');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(message);
  });
});

const rolesAnswer: GatewayAnswer = {
  status: 200,
  body: {
    roles: [
      {
        id: 'id-dev',
        label: 'Developer',
        accountId: '111111111111',
        accountAlias: 'sandbox',
        roleArn: 'arn:aws:iam::111111111111:role/dev',
        durationSeconds: 3600,
      },
      {
        id: 'id-admin',
        label: 'Admin',
        accountId: '222222222222',
        accountAlias: 'production',
        roleArn: 'arn:aws:iam::222222222222:role/admin',
        durationSeconds: 3600,
      },
    ],
    regions: ['eu-west-1', 'us-east-1'],
    defaultRegion: 'eu-west-1',
    session: { endsAt: iso(NOW), idleEndsAt: iso(NOW), idp: 'okta', idpDisplayName: 'Okta' },
  },
};

describe('fedgate roles, configure, exec, logout', () => {
  it('roles: a table with how to name each role', async () => {
    const c = cli(() => rolesAnswer);
    c.setState(signedIn());
    const r = await c.run('roles');
    expect(r.stdout).toBe(
      'ACCOUNT     ROLE       --role             ROLE ARN\n' +
        'sandbox     Developer  sandbox/Developer  arn:aws:iam::111111111111:role/dev\n' +
        'production  Admin      production/Admin   arn:aws:iam::222222222222:role/admin\n',
    );
  });

  it('configure: one marked profile per role; --dry-run shows the diff and writes nothing', async () => {
    const c = cli(() => rolesAnswer, { selfCommand: () => 'fedgate' });
    c.setState(signedIn());
    writeFileSync(c.io.env.AWS_CONFIG_FILE as string, '[profile mine]\nregion = us-east-2\n');
    const dry = await c.run('configure', '--dry-run');
    expect(dry.stdout).toContain('+ [profile fedgate-sandbox-Developer]');
    expect(dry.stdout).toContain(
      '+ credential_process = fedgate credentials --role sandbox/Developer',
    );
    expect(readFileSync(c.io.env.AWS_CONFIG_FILE as string, 'utf8')).toBe(
      '[profile mine]\nregion = us-east-2\n',
    );
    expect((await c.run('configure', '--region', 'us-east-1')).code).toBe(0);
    const text = readFileSync(c.io.env.AWS_CONFIG_FILE as string, 'utf8');
    expect(text).toBe(
      '[profile mine]\nregion = us-east-2\n\n' +
        '# fedgate: managed profile for sso.example.com (fedgate configure rewrites it)\n' +
        '[profile fedgate-sandbox-Developer]\n' +
        'credential_process = fedgate credentials --role sandbox/Developer\nregion = us-east-1\n\n' +
        '# fedgate: managed profile for sso.example.com (fedgate configure rewrites it)\n' +
        '[profile fedgate-production-Admin]\n' +
        'credential_process = fedgate credentials --role production/Admin\nregion = us-east-1\n',
    );
    expect((await c.run('configure', '--region', 'us-east-1', '--dry-run')).stdout).toContain(
      'no change',
    );
  });

  it('exec: the command gets the credentials (not AWS_PROFILE) and its exit code is ours', async () => {
    const ran: { command: string; args: readonly string[]; env: Record<string, string> }[] = [];
    const c = cli(() => issued(1), {
      run: async (command, args, env) => {
        ran.push({ command, args, env });
        return 7;
      },
    });
    c.io.env = { ...c.io.env, AWS_PROFILE: 'other', PATH: '/usr/bin' };
    c.setState(signedIn());
    const r = await c.run(
      'exec',
      '--role',
      'dev',
      '--region',
      'eu-west-1',
      '--',
      'aws',
      's3',
      'ls',
    );
    expect(r.code).toBe(7);
    expect(ran[0]?.command).toBe('aws');
    expect(ran[0]?.args).toEqual(['s3', 'ls']);
    expect(ran[0]?.env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'ASIA1',
      AWS_SECRET_ACCESS_KEY: 'secret1',
      AWS_SESSION_TOKEN: 'token1',
      AWS_REGION: 'eu-west-1',
      PATH: '/usr/bin',
    });
    expect(ran[0]?.env.AWS_PROFILE).toBeUndefined();
    expect((await c.run('exec', '--role', 'dev', 'aws')).code).toBe(2);
  });

  it('logout: ends the session at fedgate and forgets it here', async () => {
    const c = cli(() => ({ status: 204, body: undefined }));
    c.setState(signedIn({ dev: issued(1).body as never }));
    const r = await c.run('logout');
    expect(r.stdout).toContain('Signed out');
    expect(c.calls).toEqual([
      { path: '/cli/logout', body: { client: 'alice@laptop' }, bearer: TOKEN },
    ]);
    expect(c.state().session).toBeUndefined();
    expect(c.state().credentials).toEqual({});
  });
});

describe('fedgate console and status', () => {
  const consoleAnswer: GatewayAnswer = {
    status: 200,
    body: { url: 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=x', role: {} },
  };

  it('console: asks for the role and region, opens the sign-in URL (or prints it)', async () => {
    const opened: string[] = [];
    const c = cli(() => consoleAnswer, {
      openBrowser: async (u) => {
        opened.push(u);
      },
    });
    c.setState(signedIn());
    expect(
      (await c.run('console', '--role', 'production/Admin', '--region', 'us-east-1')).code,
    ).toBe(0);
    expect(c.calls[0]).toEqual({
      path: '/cli/console',
      body: { client: 'alice@laptop', role: 'production/Admin', region: 'us-east-1' },
      bearer: TOKEN,
    });
    expect(opened).toEqual([consoleAnswer.body && (consoleAnswer.body as { url: string }).url]);
    const printed = await c.run('console', '--role', 'production/Admin', '--print');
    expect(printed.stdout).toBe(`${(consoleAnswer.body as { url: string }).url}\n`);
    expect(opened).toHaveLength(1);
  });

  it('console: a browser that cannot open says to use --print', async () => {
    const c = cli(() => consoleAnswer);
    c.setState(signedIn());
    const r = await c.run('console', '--role', 'production/Admin');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Run it with --print');
  });

  it('status: who and until when, or exit 3 when not signed in', async () => {
    const c = cli(() => consoleAnswer);
    expect((await c.run('status')).code).toBe(3);
    c.setState(signedIn());
    const r = await c.run('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Signed in to https://sso.example.com as alice@example.com (Okta) on alice@laptop',
    );
    expect(c.calls).toEqual([]);
  });
});

describe('how profiles call the CLI', () => {
  it("writes 'fedgate' when that name on PATH is this CLI, else node and the script", async () => {
    const { defaultSelfCommand } = await import('../../../shared/cli-client/commands.js');
    const dir = mkdtempSync(join(tmpdir(), 'fg-self-'));
    const script = join(dir, 'lib', 'fedgate.cjs');
    execFileSync('mkdir', ['-p', join(dir, 'lib'), join(dir, 'bin'), join(dir, 'other')]);
    writeFileSync(script, '');
    execFileSync('ln', ['-s', script, join(dir, 'bin', 'fedgate')]);
    writeFileSync(join(dir, 'other', 'fedgate'), '');
    const ctx = (path: string) =>
      ({ io: { platform: 'linux', env: { PATH: path } }, paths: {} }) as never;
    expect(defaultSelfCommand(ctx(`${join(dir, 'bin')}:/usr/bin`), script)).toBe('fedgate');
    // Another fedgate first on PATH would run instead: the profile names node and this script.
    expect(defaultSelfCommand(ctx(`${join(dir, 'other')}:${join(dir, 'bin')}`), script)).toBe(
      `${process.execPath} ${script}`,
    );
    expect(defaultSelfCommand(ctx('/usr/bin'), script)).toBe(`${process.execPath} ${script}`);
  });
});

describe('small parts', () => {
  it('labels the machine <user>@<short host name>', () => {
    expect(defaultLabel('alice', 'laptop.corp.example')).toBe('alice@laptop');
    expect(defaultLabel('DOMAIN\\bob smith', 'WIN-PC')).toBe('DOMAIN-bob-smith@WIN-PC');
    expect(defaultLabel('', '')).toBe('computer');
  });

  it('opens browsers without a shell, BROWSER first', () => {
    const url = 'https://sso.example.com/cli/authorize?a=1&b=2';
    expect(browserCommand(url, { platform: 'linux', env: {} })).toEqual({
      command: 'xdg-open',
      args: [url],
    });
    expect(browserCommand(url, { platform: 'darwin', env: {} })).toEqual({
      command: 'open',
      args: [url],
    });
    expect(browserCommand(url, { platform: 'win32', env: {} })).toEqual({
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', url],
    });
    expect(
      browserCommand(url, { platform: 'linux', env: { BROWSER: 'firefox --new-tab' } }),
    ).toEqual({
      command: 'firefox',
      args: ['--new-tab', url],
    });
    expect(browserCommand(url, { platform: 'linux', env: { BROWSER: 'w3m %s -X' } })).toEqual({
      command: 'w3m',
      args: [url, '-X'],
    });
  });
});

describe('roles named by an id that starts with a dash', () => {
  // Grant ids are base64url: one in 64 starts with "-". configure names a role by its id when
  // account/label is ambiguous, so the profile's `--role -…` must parse like any other value.
  const twins: GatewayAnswer = {
    status: 200,
    body: {
      ...(rolesAnswer.body as object),
      roles: [
        { ...(rolesAnswer.body as { roles: object[] }).roles[0], id: '-Xk9aZ_q0Tw1bC2dE3fG4h' },
        {
          ...(rolesAnswer.body as { roles: object[] }).roles[0],
          id: 'Zz9aZ_q0Tw1bC2dE3fG4h-',
          roleArn: 'arn:aws:iam::111111111111:role/dev2',
        },
      ],
    },
  };

  it('the profile configure writes runs: credentials --role -<id>', async () => {
    const c = cli((path) => (path === '/cli/roles' ? twins : issued(1)), {
      selfCommand: () => 'fedgate',
    });
    c.setState(signedIn());
    expect((await c.run('configure')).code).toBe(0);
    const text = readFileSync(c.io.env.AWS_CONFIG_FILE as string, 'utf8');
    const line = /^credential_process = fedgate (credentials --role -Xk9\S+)$/m.exec(text)?.[1];
    expect(line).toBe('credentials --role -Xk9aZ_q0Tw1bC2dE3fG4h');
    const r = await c.run(...(line as string).split(' '));
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(c.calls.at(-1)?.body).toEqual({
      client: 'alice@laptop',
      role: '-Xk9aZ_q0Tw1bC2dE3fG4h',
    });
  });

  it('console takes it too', async () => {
    const c = cli(() => ({ status: 200, body: { url: 'https://signin.aws.amazon.com/x' } }), {
      run: async () => 0,
    });
    c.setState(signedIn());
    expect((await c.run('console', '--role', '-Xk9', '--print')).code).toBe(0);
    expect(c.calls.at(-1)?.body).toMatchObject({ role: '-Xk9' });
  });
});

describe('configure refuses role ids it could not write safely', () => {
  it.each([
    ['a shell command', 'x;touch /tmp/pwned'],
    ['a space', 'a b'],
    ['a newline', 'a\n[profile evil]'],
    ['an empty id', ''],
  ])('%s: gateway_unexpected (exit 5), the AWS config untouched', async (_, id) => {
    const bad: GatewayAnswer = {
      status: 200,
      body: {
        ...(rolesAnswer.body as object),
        roles: [
          { ...(rolesAnswer.body as { roles: object[] }).roles[0], id },
          { ...(rolesAnswer.body as { roles: object[] }).roles[0], id: 'ok-id' },
        ],
      },
    };
    const c = cli(() => bad, { selfCommand: () => 'fedgate' });
    c.setState(signedIn());
    writeFileSync(c.io.env.AWS_CONFIG_FILE as string, '[profile mine]\nregion = us-east-2\n');
    const r = await c.run('configure');
    expect([r.code, r.stderr]).toEqual([5, expect.stringContaining('fedgate: ')]);
    expect(readFileSync(c.io.env.AWS_CONFIG_FILE as string, 'utf8')).toBe(
      '[profile mine]\nregion = us-east-2\n',
    );
  });
});

describe('fedgate in trouble while the cached credentials are still good', () => {
  const unreachable = (): GatewayAnswer => {
    throw explainTransportError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new URL('https://sso.example.com'),
    );
  };
  /** Cached 1-hour credentials, 50 minutes old: inside the 15-minute margin, 10 minutes left. */
  const dueForRenewal = () => {
    const cached = {
      ...(issued(1).body as Record<string, unknown>),
      Expiration: iso(NOW + 10 * 60_000),
      fetchedAt: NOW - 50 * 60_000,
      roleArn: 'arn:aws:iam::111111111111:role/dev',
    };
    return signedIn({ dev: cached as never });
  };

  it.each([
    ['unreachable', unreachable],
    ['503 temporarily_unavailable', () => refused(503, 'temporarily_unavailable')],
    ['500 server_error', () => refused(500, 'server_error')],
    [
      "API Gateway's throttle (429)",
      () => ({ status: 429, body: { message: 'Too Many Requests' } }),
    ],
  ])(
    '%s: the cached ones until they expire, with a warning; no retry for a while',
    async (_, answer) => {
      const c = cli(answer);
      c.setState(dueForRenewal());
      const r = await c.run('credentials', '--role', 'dev');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).AccessKeyId).toBe('ASIA1');
      expect(r.stderr).toMatch(/^fedgate: warning: could not renew the credentials for dev/);
      expect(c.calls).toHaveLength(1);
      // The next tool's call a moment later does not wait for fedgate again...
      c.advance(5_000);
      expect((await c.run('credentials', '--role', 'dev')).code).toBe(0);
      expect(c.calls).toHaveLength(1);
      // ...but a minute later it tries again.
      c.advance(60_000);
      expect((await c.run('credentials', '--role', 'dev')).code).toBe(0);
      expect(c.calls).toHaveLength(2);
    },
  );

  it('expired credentials are never served: exit 5', async () => {
    const c = cli(unreachable);
    c.setState(dueForRenewal());
    c.advance(10 * 60_000);
    const r = await c.run('credentials', '--role', 'dev');
    expect([r.code, r.stdout]).toEqual([5, '']);
    expect(r.stderr).toContain('Cannot reach fedgate');
  });

  it.each([
    [refused(401, 'session_revoked'), 3],
    [refused(401, 'session_invalid'), 3],
    [refused(403, 'grant_not_available'), 4],
  ])('%j is an answer, not trouble: exit %i, nothing served', async (answer, code) => {
    const c = cli(() => answer);
    c.setState(dueForRenewal());
    const r = await c.run('credentials', '--role', 'dev');
    expect([r.code, r.stdout]).toEqual([code, '']);
  });
});

describe("API Gateway's own refusals say what to do", () => {
  it('429 (throttled): fedgate is busy, try again (exit 5)', async () => {
    const c = cli(() => ({ status: 429, body: { message: 'Too Many Requests' } }));
    c.setState(signedIn());
    expect(await c.run('credentials', '--role', 'dev')).toEqual({
      code: 5,
      stdout: '',
      stderr: 'fedgate: fedgate is busy (too many requests).\n  Try again in a minute.\n',
    });
  });

  it('404: the address serves no fedgate CLI API (exit 5)', async () => {
    const c = cli(() => ({ status: 404, body: { message: 'Not Found' } }));
    c.setState(signedIn());
    const r = await c.run('roles');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('fedgate login --gateway');
  });

  it('the device flow keeps polling through a throttle and a network blip', async () => {
    const answers: (() => GatewayAnswer)[] = [
      () => ({ status: 429, body: { message: 'Too Many Requests' } }),
      () => {
        throw explainTransportError(
          Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
          new URL('https://sso.example.com'),
        );
      },
      () => refused(400, 'authorization_pending'),
      () => ({
        status: 200,
        body: {
          access_token: TOKEN,
          session: { endsAt: iso(NOW + 3_600_000), idp: 'okta', idpDisplayName: 'Okta' },
        },
      }),
    ];
    const waits: number[] = [];
    const c = cli(
      (path) =>
        path === '/cli/device'
          ? {
              status: 200,
              body: {
                device_code: 'D'.repeat(43),
                user_code: 'BCDF-GHJK',
                verification_uri: 'https://sso.example.com/cli/device',
                verification_uri_complete: 'https://sso.example.com/cli/device?user_code=BCDF-GHJK',
                expires_in: 600,
                interval: 5,
              },
            }
          : (answers.shift() as () => GatewayAnswer)(),
      {
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    const r = await c.run('login', '--gateway', 'https://sso.example.com', '--no-browser');
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('Signed in')]);
    // The throttle slows the polls down as slow_down would.
    expect(waits).toEqual([5250, 10250, 10250, 10250]);
  });
});

describe('fedgate exec --help', () => {
  it('prints the help like every other command (exit 0), and runs nothing', async () => {
    const c = cli(() => issued(1), { run: vi.fn(async () => 0) });
    for (const args of [
      ['exec', '--help'],
      ['exec', '-h'],
      ['exec', '--role', 'dev', '--help'],
    ]) {
      const r = await c.run(...args);
      expect([r.code, r.stdout]).toEqual([0, expect.stringContaining('exec --role ROLE')]);
    }
    expect(c.io.run).not.toHaveBeenCalled();
    expect(c.calls).toEqual([]);
  });
});

describe('several at once while fedgate cannot be reached, nothing cached', () => {
  it("the ones that waited take the holder's failure instead of trying again; a later call tries", async () => {
    const c = cli(() => {
      throw explainTransportError(
        Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }),
        new URL('https://sso.example.com'),
      );
    });
    c.setState(signedIn());
    const results = await Promise.all(
      Array.from({ length: 5 }, () => c.run('credentials', '--role', 'dev')),
    );
    expect(results.map((r) => [r.code, r.stdout])).toEqual(
      Array.from({ length: 5 }, () => [5, '']),
    );
    expect(c.calls).toHaveLength(1);
    c.advance(1_000);
    const later = await c.run('credentials', '--role', 'dev');
    expect([later.code, later.stderr]).toEqual([
      5,
      expect.stringContaining('Cannot reach fedgate at https://sso.example.com/ (ETIMEDOUT)'),
    ]);
    expect(c.calls).toHaveLength(2);
  });
});
