import { randomBytes } from 'node:crypto';
import {
  AssumeRoleWithSAMLCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandIns, awsStandIns } from '../../../infra/local/aws/index.js';
import { createConsoleSignin } from '../../../shared/console/index.js';
import { createRoleAssumer, STS_CLIENT_DEFAULTS } from '../../../shared/sts/index.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import {
  ACCOUNT,
  type AwsAssertionOptions,
  buildAwsSamlResponse,
  buildIdpMetadata,
  type Harness,
  PROVIDER_ARN,
  ROLE_ARN,
  startHarness,
} from './support.js';

const SHORT_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/OneHourOnly`;
const NO_TAGS_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/NoTagSession`;

let standIns: AwsStandIns;
let harness: Harness;
let key: TestKeyPair;
let otherKey: TestKeyPair;
let issuer: string;
let sts: STSClient;

beforeAll(async () => {
  standIns = awsStandIns({
    roles: {
      [ROLE_ARN]: {},
      [SHORT_ROLE_ARN]: { maxSessionDurationSeconds: 3600 },
      [NO_TAGS_ROLE_ARN]: { allowTagSession: false },
    },
  });
  harness = await startHarness(standIns.plugins);
  [key, otherKey] = await Promise.all([
    createTestKeyPair('fedgate test IdP'),
    createTestKeyPair('attacker'),
  ]);
  issuer = `${harness.baseUrl.origin}/aws/saml-metadata.xml`;
  harness.setMetadata(buildIdpMetadata(issuer, [key.certificatePem]));
  // The real SDK client, pointed at the stand-in exactly as AWS_ENDPOINT_URL_STS would.
  sts = new STSClient({
    region: 'us-east-1',
    endpoint: new URL('/_local/sts/', harness.baseUrl).href,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sts.destroy();
  await harness.close();
});

afterEach(() => standIns.setFaults({}));

const assertion = (opts: Partial<AwsAssertionOptions> = {}, signWith = key) =>
  buildAwsSamlResponse(signWith, { issuer, ...opts });

const assume = (
  samlAssertion: string,
  input: { RoleArn?: string; PrincipalArn?: string; DurationSeconds?: number } = {},
) =>
  sts.send(
    new AssumeRoleWithSAMLCommand({
      RoleArn: ROLE_ARN,
      PrincipalArn: PROVIDER_ARN,
      SAMLAssertion: samlAssertion,
      DurationSeconds: 3600,
      ...input,
    }),
  );

/** The STS error as the SDK surfaces it: its name (the exception or the wire code) and message. */
const stsFailure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected STS to refuse');
};

describe('STS stand-in: AssumeRoleWithSAML through the real STSClient', () => {
  it('issues visibly local credentials for a valid assertion and records the session', async () => {
    const before = Date.now();
    const out = await assume(
      assertion({
        sessionName: 'alice@example.com',
        sourceIdentity: 'alice',
        tags: [
          ['team', 'blue'],
          ['cost-center', '4711'],
        ],
        transitiveTagKeys: ['team'],
      }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIALOCAL[A-Z2-7]{11}$/);
    expect(out.Credentials?.SessionToken).toContain('fedgate-local');
    const expiresIn = (out.Credentials?.Expiration?.getTime() ?? 0) - before;
    expect(expiresIn).toBeGreaterThan(3590_000);
    expect(expiresIn).toBeLessThanOrEqual(3601_000);
    expect(out.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice@example.com`,
    );
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:alice@example.com$/);
    expect(out).toMatchObject({
      SourceIdentity: 'alice',
      Issuer: issuer,
      Audience: 'https://signin.aws.amazon.com/saml',
      Subject: 'u-4f1c2a',
      SubjectType: 'persistent',
    });
    expect(out.PackedPolicySize).toBeGreaterThan(0);
    const session = standIns.sessions().find((s) => s.accessKeyId === out.Credentials?.AccessKeyId);
    expect(session).toMatchObject({
      roleName: 'Developer',
      accountId: ACCOUNT,
      sessionName: 'alice@example.com',
      sourceIdentity: 'alice',
      tags: [
        { key: 'team', value: 'blue' },
        { key: 'cost-center', value: '4711' },
      ],
      transitiveTagKeys: ['team'],
    });
  });

  it('works with new STSClient({}) configured only by the env the plugin provides', async () => {
    const env = standIns.plugins.reduce<Record<string, string>>(
      (all, p) => Object.assign(all, p.env?.(harness.ctx)),
      {},
    );
    expect(env).toEqual({
      AWS_ENDPOINT_URL_STS: `${harness.baseUrl.origin}/_local/sts/`,
      FEDERATION_ENDPOINT: `${harness.baseUrl.origin}/_local/federation`,
    });
    const saved = { ...process.env };
    Object.assign(process.env, env, { AWS_REGION: 'us-east-1' });
    const client = new STSClient({});
    try {
      const out = await client.send(
        new AssumeRoleWithSAMLCommand({
          RoleArn: ROLE_ARN,
          PrincipalArn: PROVIDER_ARN,
          SAMLAssertion: assertion(),
        }),
      );
      expect(out.Credentials?.AccessKeyId).toMatch(/^ASIALOCAL/);
    } finally {
      client.destroy();
      process.env = saved;
    }
  });

  it('accepts the Role pair in either order and the urn:amazon:webservices audience', async () => {
    const out = await assume(
      assertion({ roles: [`${PROVIDER_ARN},${ROLE_ARN}`], audience: 'urn:amazon:webservices' }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIALOCAL/);
  });

  it('accepts a regional Recipient and caps the session at SessionNotOnOrAfter', async () => {
    const cap = new Date(Date.now() + 1200_000);
    const out = await assume(
      assertion({
        recipient: 'https://eu-west-1.signin.aws.amazon.com/saml',
        sessionNotOnOrAfter: cap,
      }),
    );
    expect(out.Audience).toBe('https://eu-west-1.signin.aws.amazon.com/saml');
    // STS's Expiration has whole seconds.
    expect(out.Credentials?.Expiration?.getTime()).toBe(Math.floor(cap.getTime() / 1000) * 1000);
  });

  it('verifies against every signing certificate in the metadata (key rotation)', async () => {
    harness.setMetadata(buildIdpMetadata(issuer, [key.certificatePem, otherKey.certificatePem]));
    try {
      await expect(assume(assertion({}, otherKey))).resolves.toHaveProperty('Credentials');
    } finally {
      harness.setMetadata(buildIdpMetadata(issuer, [key.certificatePem]));
    }
  });

  it.each<[string, () => Promise<unknown>, string]>([
    [
      'a response signed by a key that is not in the metadata',
      () => assume(assertion({}, otherKey)),
      'InvalidIdentityTokenException',
    ],
    [
      'a signed assertion altered after signing',
      () =>
        assume(
          assertion({
            tamper: (xml) => xml.replace('alice@example.com', 'admin@example.com'),
          }),
        ),
      'InvalidIdentityTokenException',
    ],
    [
      'an unsigned assertion',
      () =>
        assume(
          assertion({
            tamper: (xml) => xml.replace(/<(\w+:)?Signature[\s\S]*<\/(\w+:)?Signature>/, ''),
          }),
        ),
      'InvalidIdentityTokenException',
    ],
    [
      'another audience',
      () => assume(assertion({ audience: 'https://evil.example/saml' })),
      'InvalidIdentityTokenException',
    ],
    [
      'a Recipient that is not an AWS sign-in endpoint',
      () => assume(assertion({ recipient: 'https://signin.aws.amazon.com.evil.example/saml' })),
      'InvalidIdentityTokenException',
    ],
    [
      'a bearer Recipient that is not an AWS sign-in endpoint (Destination fine)',
      () =>
        assume(
          assertion({
            recipient: 'https://fedgate.example/saml',
            destination: 'https://signin.aws.amazon.com/saml',
          }),
        ),
      'InvalidIdentityTokenException',
    ],
    [
      'a Recipient in another partition than the role',
      () => assume(assertion({ recipient: 'https://signin.amazonaws.cn/saml' })),
      'InvalidIdentityTokenException',
    ],
    [
      'an Issuer the provider does not know',
      () => assume(buildAwsSamlResponse(key, { issuer: 'https://other-idp.example/' })),
      'InvalidIdentityTokenException',
    ],
    [
      'an expired assertion',
      () => assume(assertion({ offsetMs: -10 * 60_000 })),
      'ExpiredTokenException',
    ],
    [
      'an assertion older than 5 minutes even if still valid',
      () => assume(assertion({ offsetMs: -7 * 60_000, validityMs: 30 * 60_000 })),
      'ExpiredTokenException',
    ],
    [
      'a role that is not in the Role attribute',
      () => assume(assertion({ roles: [`arn:aws:iam::${ACCOUNT}:role/Admin,${PROVIDER_ARN}`] })),
      'AccessDenied',
    ],
    [
      'a Role attribute pairing the role with another provider',
      () =>
        assume(assertion({ roles: [`${ROLE_ARN},arn:aws:iam::${ACCOUNT}:saml-provider/other`] })),
      'AccessDenied',
    ],
    [
      'a PrincipalArn naming a provider that does not exist',
      () =>
        assume(assertion({ roles: [`${ROLE_ARN},arn:aws:iam::${ACCOUNT}:saml-provider/other`] }), {
          PrincipalArn: `arn:aws:iam::${ACCOUNT}:saml-provider/other`,
        }),
      'InvalidIdentityTokenException',
    ],
    [
      'a role the account does not have',
      () =>
        assume(assertion({ roles: [`arn:aws:iam::${ACCOUNT}:role/Ghost,${PROVIDER_ARN}`] }), {
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/Ghost`,
        }),
      'AccessDenied',
    ],
    [
      'session tags on a role whose trust policy lacks sts:TagSession',
      () =>
        assume(assertion({ roles: [`${NO_TAGS_ROLE_ARN},${PROVIDER_ARN}`], tags: [['a', 'b']] }), {
          RoleArn: NO_TAGS_ROLE_ARN,
        }),
      'AccessDenied',
    ],
    [
      'no RoleSessionName',
      () => assume(assertion({ sessionName: null })),
      'InvalidIdentityTokenException',
    ],
    [
      'a RoleSessionName with a space',
      () => assume(assertion({ sessionName: 'alice smith' })),
      'InvalidIdentityTokenException',
    ],
    [
      'a one-character RoleSessionName',
      () => assume(assertion({ sessionName: 'a' })),
      'InvalidIdentityTokenException',
    ],
    [
      'a SourceIdentity starting with "aws:"',
      () => assume(assertion({ sourceIdentity: 'aws:alice' })),
      'InvalidIdentityTokenException',
    ],
    [
      '51 session tags',
      () =>
        assume(assertion({ tags: Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'] as const) })),
      'ValidationError',
    ],
    [
      'tag keys that differ only in case',
      () =>
        assume(
          assertion({
            tags: [
              ['Team', 'a'],
              ['team', 'b'],
            ],
          }),
        ),
      'ValidationError',
    ],
    [
      'a 257-character tag value',
      () => assume(assertion({ tags: [['team', 'x'.repeat(257)]] })),
      'ValidationError',
    ],
    [
      'a transitive key that is not a session tag',
      () => assume(assertion({ tags: [['team', 'blue']], transitiveTagKeys: ['project'] })),
      'ValidationError',
    ],
    [
      'session tags too large once packed',
      () =>
        assume(
          assertion({
            tags: Array.from(
              { length: 50 },
              (_, i) =>
                [
                  `k${i}${randomBytes(60).toString('hex')}`.slice(0, 128),
                  randomBytes(128).toString('hex'),
                ] as const,
            ),
          }),
        ),
      'PackedPolicyTooLargeException',
    ],
    [
      'DurationSeconds below 900',
      () => assume(assertion(), { DurationSeconds: 899 }),
      'ValidationError',
    ],
    [
      'DurationSeconds above 43200',
      () => assume(assertion(), { DurationSeconds: 43_201 }),
      'ValidationError',
    ],
    [
      "DurationSeconds above the role's MaxSessionDuration",
      () =>
        assume(assertion({ roles: [`${SHORT_ROLE_ARN},${PROVIDER_ARN}`] }), {
          RoleArn: SHORT_ROLE_ARN,
          DurationSeconds: 7200,
        }),
      'ValidationError',
    ],
    [
      'a SessionDuration attribute out of range',
      () => assume(assertion({ sessionDuration: '60' })),
      'InvalidIdentityTokenException',
    ],
  ])('refuses %s', async (_case, call, name) => {
    expect((await stsFailure(call())).name).toBe(name);
  });

  it('answers AccessDenied and IDP claim problems with 403, validation with 400', async () => {
    const denied = await stsFailure(
      assume(assertion({ roles: [`arn:aws:iam::${ACCOUNT}:role/Admin,${PROVIDER_ARN}`] })),
    );
    expect(denied).toMatchObject({
      status: 403,
      message: expect.stringContaining('sts:AssumeRoleWithSAML'),
    });
    const tooLong = await stsFailure(
      assume(assertion({ roles: [`${SHORT_ROLE_ARN},${PROVIDER_ARN}`] }), {
        RoleArn: SHORT_ROLE_ARN,
        DurationSeconds: 7200,
      }),
    );
    expect(tooLong).toMatchObject({
      status: 400,
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
  });

  // AssumeRoleWithWebIdentity itself is tested in test/integration/oidc/sts-web-identity.test.ts.
  it('answers AssumeRoleWithWebIdentity in STS error format (a malformed token)', async () => {
    const failure = await stsFailure(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: ROLE_ARN,
          RoleSessionName: 'alice',
          WebIdentityToken: 'eyJ.eyJ.sig',
        }),
      ),
    );
    expect(failure).toMatchObject({
      name: 'InvalidIdentityTokenException',
      message: 'The ID Token provided is not a valid JWT.',
    });
  });
});

describe('federation endpoint stand-in', () => {
  const federation = () => new URL('/_local/federation', harness.baseUrl);

  const credentialsFor = async (opts: Partial<AwsAssertionOptions> = {}) => {
    const out = await assume(assertion(opts));
    const c = out.Credentials;
    return {
      accessKeyId: c?.AccessKeyId as string,
      secretAccessKey: c?.SecretAccessKey as string,
      sessionToken: c?.SessionToken as string,
    };
  };

  const getSigninToken = (
    creds: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
    sessionDuration = '3600',
  ) => {
    const url = federation();
    url.search = new URLSearchParams({
      Action: 'getSigninToken',
      SessionDuration: sessionDuration,
      Session: JSON.stringify({
        sessionId: creds.accessKeyId,
        sessionKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
      }),
    }).toString();
    return fetch(url);
  };

  const loginUrl = (token: string, destination = 'https://console.aws.amazon.com/ec2/home') => {
    const url = federation();
    url.search = new URLSearchParams({
      Action: 'login',
      Issuer: `${harness.baseUrl.origin}/`,
      Destination: destination,
      SigninToken: token,
    }).toString();
    return url;
  };

  it('signs in once with a SigninToken and shows the role, tags and source identity', async () => {
    const creds = await credentialsFor({
      sessionName: 'alice@example.com',
      sourceIdentity: 'alice',
      tags: [
        ['team', 'blue'],
        ['project', 'apollo'],
      ],
      transitiveTagKeys: ['project'],
    });
    const tokenRes = await getSigninToken(creds);
    expect(tokenRes.status).toBe(200);
    const { SigninToken } = (await tokenRes.json()) as { SigninToken: string };
    expect(SigninToken).toMatch(/^LOCAL-/);

    const pageRes = await fetch(loginUrl(SigninToken));
    expect(pageRes.status).toBe(200);
    const csp = pageRes.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(pageRes.headers.get('cache-control')).toBe('no-store');
    const page = await pageRes.text();
    expect(page).toContain('AWS console');
    expect(page).toContain('local stand-in');
    expect(page).toContain('<span data-field="role-name">Developer</span>');
    expect(page).toContain(`<td data-field="account"><code>${ACCOUNT}</code></td>`);
    expect(page).toContain('<td data-field="session-name"><code>alice@example.com</code></td>');
    expect(page).toContain('<td data-field="source-identity"><code>alice</code></td>');
    expect(page).toMatch(/<tr data-tag="team"><td><code>team<\/code><\/td><td><code>blue<\/code>/);
    expect(page).toMatch(/<tr data-tag="project">.*transitive<\/td><\/tr>/);
    expect(page).toContain('https://console.aws.amazon.com/ec2/home');
    expect(page).not.toContain('<script');
    // The credentials never reach the page.
    expect(page).not.toContain(creds.secretAccessKey);
    expect(page).not.toContain(creds.sessionToken);

    // Single use: the same SigninToken is refused the second time.
    const again = await fetch(loginUrl(SigninToken));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already used');
  });

  it('escapes what the login URL carries', async () => {
    const creds = await credentialsFor();
    const { SigninToken } = (await (await getSigninToken(creds)).json()) as { SigninToken: string };
    const url = loginUrl(SigninToken);
    url.searchParams.set('Issuer', 'https://fedgate.example/?q="><script>alert(1)</script>');
    const page = await (await fetch(url)).text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
  });

  it.each([
    ['an altered secret key', (c: Record<string, string>) => ({ ...c, secretAccessKey: 'x' })],
    [
      'an unknown access key id',
      (c: Record<string, string>) => ({ ...c, accessKeyId: 'ASIALOCALXXXXXXXXXXX' }),
    ],
    [
      'an altered session token',
      (c: Record<string, string>) => ({ ...c, sessionToken: `${c.sessionToken}x` }),
    ],
  ])('refuses getSigninToken with %s', async (_case, alter) => {
    const creds = await credentialsFor();
    const res = await getSigninToken(
      alter(creds) as { accessKeyId: string; secretAccessKey: string; sessionToken: string },
    );
    expect(res.status).toBe(400);
  });

  it('refuses a SessionDuration outside 900-43200', async () => {
    const creds = await credentialsFor();
    expect((await getSigninToken(creds, '43201')).status).toBe(400);
    expect((await getSigninToken(creds, '899')).status).toBe(400);
  });

  it.each([
    'https://evil.example/',
    'http://console.aws.amazon.com/',
    'https://console.aws.amazon.com.evil.example/',
    'https://user@console.aws.amazon.com/',
    'javascript:alert(1)',
  ])('refuses to log in towards %s', async (destination) => {
    const creds = await credentialsFor();
    const { SigninToken } = (await (await getSigninToken(creds)).json()) as { SigninToken: string };
    const res = await fetch(loginUrl(SigninToken, destination));
    expect(res.status).toBe(400);
  });

  it('refuses an unknown SigninToken', async () => {
    const res = await fetch(loginUrl('LOCAL-not-issued'));
    expect(res.status).toBe(400);
  });
});

describe('fedgate against the stand-ins (createRoleAssumer + createConsoleSignin)', () => {
  it('assumes the role, retries once at 3600 s above the role maximum, and builds the console URL', async () => {
    const warnings: unknown[] = [];
    const assumer = createRoleAssumer({
      sts,
      log: { warn: (...args: unknown[]) => void warnings.push(args) },
    });
    const before = Date.now();
    const creds = await assumer.assumeRoleWithSaml({
      roleArn: SHORT_ROLE_ARN,
      principalArn: PROVIDER_ARN,
      samlAssertionB64: assertion({
        roles: [`${SHORT_ROLE_ARN},${PROVIDER_ARN}`],
        tags: [['team', 'blue']],
      }),
      durationSeconds: 43_200,
    });
    expect(creds.assumedRoleArn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/OneHourOnly/alice@example.com`,
    );
    expect(creds.expiration.getTime() - before).toBeLessThanOrEqual(3601_000);
    expect(warnings).toHaveLength(1);

    const signin = createConsoleSignin({
      fetch,
      federationEndpoint: new URL('/_local/federation', harness.baseUrl),
      issuerUrl: new URL(`${harness.baseUrl.origin}/`),
      timeoutMs: 2000,
    });
    const url = await signin.buildSigninUrl({
      credentials: creds,
      destination: new URL('https://us-east-1.console.aws.amazon.com/s3/home'),
      sessionDurationSeconds: 43_200,
    });
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('Destination')).toBe(
      'https://us-east-1.console.aws.amazon.com/s3/home',
    );
    const page = await (await fetch(url)).text();
    expect(page).toContain('<span data-field="role-name">OneHourOnly</span>');
    expect(page).toMatch(/<tr data-tag="team">/);
  });

  it('maps a refusal to the STS error code that says what to fix', async () => {
    const assumer = createRoleAssumer({ sts });
    await expect(
      assumer.assumeRoleWithSaml({
        roleArn: ROLE_ARN,
        principalArn: PROVIDER_ARN,
        samlAssertionB64: assertion({
          roles: [`arn:aws:iam::${ACCOUNT}:role/Admin,${PROVIDER_ARN}`],
        }),
        durationSeconds: 3600,
      }),
    ).rejects.toMatchObject({ code: 'sts_access_denied', status: 502, expose: false });
  });

  it('turns a throttled STS into 503 temporarily_unavailable after the SDK retries', async () => {
    standIns.setFaults({ sts: 'throttle' });
    const client = new STSClient({
      ...STS_CLIENT_DEFAULTS,
      maxAttempts: 2,
      region: 'us-east-1',
      endpoint: new URL('/_local/sts/', harness.baseUrl).href,
    });
    try {
      const failure = createRoleAssumer({ sts: client }).assumeRoleWithSaml({
        roleArn: ROLE_ARN,
        principalArn: PROVIDER_ARN,
        samlAssertionB64: assertion(),
        durationSeconds: 3600,
      });
      await expect(failure).rejects.toMatchObject({
        code: 'temporarily_unavailable',
        status: 503,
        dependency: 'sts',
      });
    } finally {
      client.destroy();
    }
  });

  it.each(['down', 'reset'] as const)('turns an STS that is %s into 503', async (mode) => {
    standIns.setFaults({ sts: mode });
    await expect(
      createRoleAssumer({ sts }).assumeRoleWithSaml({
        roleArn: ROLE_ARN,
        principalArn: PROVIDER_ARN,
        samlAssertionB64: assertion(),
        durationSeconds: 3600,
      }),
    ).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503 });
  });

  it('turns a slow STS into 503 when the client times out', async () => {
    standIns.setFaults({ sts: 'slow', slowMs: 3000 });
    const client = new STSClient({
      maxAttempts: 1,
      region: 'us-east-1',
      endpoint: new URL('/_local/sts/', harness.baseUrl).href,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    try {
      await expect(
        createRoleAssumer({ sts: client }).assumeRoleWithSaml({
          roleArn: ROLE_ARN,
          principalArn: PROVIDER_ARN,
          samlAssertionB64: assertion(),
          durationSeconds: 3600,
        }),
      ).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    } finally {
      client.destroy();
    }
  });

  it.each([
    ['down', { federation: 'down' }, 'temporarily_unavailable'],
    ['slow', { federation: 'slow', slowMs: 2000 }, 'temporarily_unavailable'],
    ['malformed', { federation: 'malformed' }, 'console_signin_failed'],
  ] as const)('maps a federation endpoint that is %s', async (_mode, faults, code) => {
    const creds = await createRoleAssumer({ sts }).assumeRoleWithSaml({
      roleArn: ROLE_ARN,
      principalArn: PROVIDER_ARN,
      samlAssertionB64: assertion(),
      durationSeconds: 3600,
    });
    standIns.setFaults(faults);
    const signin = createConsoleSignin({
      fetch,
      federationEndpoint: new URL('/_local/federation', harness.baseUrl),
      issuerUrl: harness.baseUrl,
      timeoutMs: 300,
    });
    await expect(
      signin.buildSigninUrl({
        credentials: creds,
        destination: new URL('https://console.aws.amazon.com/'),
        sessionDurationSeconds: 3600,
      }),
    ).rejects.toMatchObject({ code });
  });
});

describe('fault control endpoint', () => {
  const faultsUrl = () => new URL('/_local/faults', harness.baseUrl);

  it('sets, shows and clears faults', async () => {
    const put = await fetch(faultsUrl(), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sts: 'throttle' }),
    });
    expect(put.status).toBe(200);
    expect(standIns.faults()).toEqual({ sts: 'throttle' });
    expect((await stsFailure(assume(assertion()))).name).toBe('Throttling');
    expect(await (await fetch(faultsUrl())).json()).toEqual({ sts: 'throttle' });
    expect((await fetch(faultsUrl(), { method: 'DELETE' })).status).toBe(200);
    expect(standIns.faults()).toEqual({});
    await expect(assume(assertion())).resolves.toHaveProperty('Credentials');
  });

  it('refuses an unknown fault', async () => {
    const res = await fetch(faultsUrl(), {
      method: 'PUT',
      body: JSON.stringify({ sts: 'explode' }),
    });
    expect(res.status).toBe(400);
  });
});
