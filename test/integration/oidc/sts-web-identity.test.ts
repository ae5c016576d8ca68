import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandIns, awsStandIns } from '../../../infra/local/aws/index.js';
import type { LocalContext } from '../../../infra/local/plugin.js';
import { EnvSchema } from '../../../shared/config/index.js';
import { createAwsAccessFor, servesNoSamlSessions } from '../../../shared/gateway/index.js';
import {
  buildJwks,
  buildOpenIdConfiguration,
  createLocalSigningKeys,
  createWebIdentityMinter,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import { captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

const SSO_ROLE = 'arn:aws:iam::111111111111:role/AWSReservedSSO_Admin_0123456789abcdef';

const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111111111111:role/fedgate-demo-developer',
  accountId: '111111111111',
  label: 'Developer',
  durationSeconds: 3600,
  sessionName: 'olivia@example.com',
  sourceIdentity: 'olivia@example.com',
  tags: [
    { key: 'department', value: 'Engineering' },
    { key: 'team', value: 'platform' },
  ],
  transitiveTagKeys: ['department'],
};

/**
 * fedgate's web identity hand-back (shared/gateway: mint through SigningKeys, then
 * AssumeRoleWithWebIdentity with the real STSClient) against the local STS stand-in, which
 * fetches the discovery document and JWKS over HTTP and verifies with jose, as AWS would.
 */
describe('AssumeRoleWithWebIdentity: fedgate → the local STS stand-in', () => {
  let server: Server;
  let base: URL;
  let standIns: AwsStandIns;
  let signingKeys: SigningKeys;
  let sts: STSClient;
  const roles = {
    [grant.roleArn]: {},
    'arn:aws:iam::111111111111:role/no-tags': { allowTagSession: false },
    'arn:aws:iam::111111111111:role/short': { maxSessionDurationSeconds: 3600 },
    // Known to the pretend IAM: refused for being an Identity Center role, not for being unknown.
    [SSO_ROLE]: {},
  };

  beforeAll(async () => {
    const [active, next] = await testKeyMaterials();
    signingKeys = createLocalSigningKeys({ keys: [active, next] });
    standIns = awsStandIns({ roles });
    server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const ctx: LocalContext = { baseUrl: base, listenUrl: base, workDir: '.local/test' };
    server.on('request', (req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const plugin = standIns.plugins.find((p) => p.prefix && path.startsWith(p.prefix));
        if (plugin?.handle) return plugin.handle(req, res, Buffer.concat(chunks), ctx);
        const json = (v: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (path === '/.well-known/openid-configuration') {
          return json(
            buildOpenIdConfiguration({
              issuer: base.origin,
              jwksUri: `${base.origin}/.well-known/jwks.json`,
            }),
          );
        }
        if (path === '/.well-known/jwks.json')
          return json(buildJwks(await signingKeys.published()));
        res.writeHead(404);
        res.end();
      })();
    });
    sts = new STSClient({
      region: 'us-east-1',
      endpoint: `${base.origin}/_local/sts/`,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    sts?.destroy();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
  });

  const config = () =>
    EnvSchema.parse({
      ATTRIBUTE_TABLE_NAME: 'attrs',
      STATE_TABLE_NAME: 'state',
      PUBLIC_BASE_URL: base.origin,
      AWS_REGION: 'us-east-1',
      SIGNING_KEY_REF: 'file:/unused',
      FEDERATION_ENDPOINT: `${base.origin}/_local/federation`,
    });

  it('the oidc hand-back mints, assumes the role and signs in to the console stand-in', async () => {
    const handback = createAwsAccessFor({
      saml: servesNoSamlSessions,
      config: config(),
      sts,
      fetch,
      signingKeys,
      log: captureLogger(),
    });
    const res = await handback
      .console(
        grant,
        { idp: 'demo-oidc', protocol: 'oidc', subjectRef: '6734296af948bdeb' },
        {
          destination: new URL('https://console.aws.amazon.com/'),
          sessionEndsAt: Math.floor(Date.now() / 1000) + 43_200,
        },
      )
      .then((url) => ({ statusCode: 302, headers: { location: url.href } }));
    expect(res.statusCode).toBe(302);
    expect(String(res.headers?.location)).toContain('/_local/federation?Action=login');
    const session = standIns.sessions().at(-1);
    expect(session).toMatchObject({
      roleArn: grant.roleArn,
      sessionName: 'olivia@example.com',
      sourceIdentity: 'olivia@example.com',
      issuer: base.origin,
      // The token's sub is bound to the grant's role (shared/issuer/README.md).
      subject: `${grant.roleArn}#6734296af948bdeb`,
      transitiveTagKeys: ['department'],
    });
    expect(session?.accessKeyId).toMatch(/^ASIALOCAL/);
    expect(session?.tags).toEqual(grant.tags);
  });

  const mint = async (
    opts: {
      audience?: string;
      issuer?: string;
      now?: number;
      keys?: SigningKeys;
      g?: Partial<Grant>;
    } = {},
  ) =>
    (
      await createWebIdentityMinter({
        signingKeys: opts.keys ?? signingKeys,
        issuer: opts.issuer ?? base.origin,
        audience: opts.audience ?? 'sts.amazonaws.com',
      }).mint({ grant: { ...grant, ...opts.g }, subject: 'subject-1', now: opts.now ?? Date.now() })
    ).token;

  const assume = async (token: string, roleArn = grant.roleArn, durationSeconds = 3600) => {
    try {
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: 'session-1',
          WebIdentityToken: token,
          DurationSeconds: durationSeconds,
        }),
      );
      return `ok ${out.Credentials?.AccessKeyId?.slice(0, 9)} ${out.SubjectFromWebIdentityToken}`;
    } catch (err) {
      return (err as Error).name;
    }
  };

  it('a token minted by fedgate is accepted, with the subject and provider STS reports', async () => {
    expect(await assume(await mint())).toBe(`ok ASIALOCAL ${grant.roleArn}#subject-1`);
  });

  it.each([
    [
      'an audience IAM does not list',
      () => mint({ audience: 'someone-else' }),
      'InvalidIdentityTokenException',
    ],
    [
      'another issuer',
      () => mint({ issuer: 'https://evil.example' }),
      'InvalidIdentityTokenException',
    ],
    ['an expired token', () => mint({ now: Date.now() - 3_600_000 }), 'ExpiredTokenException'],
  ])('%s is refused', async (_, make, name) => {
    expect(await assume(await make())).toBe(name);
  });

  it('a key fedgate does not publish (unknown kid) is refused', async () => {
    const rogueKeys = createLocalSigningKeys({
      keys: [await createTestKeyPair('not fedgate')],
    });
    expect(await assume(await mint({ keys: rogueKeys }))).toBe('InvalidIdentityTokenException');
  });

  it('a tampered payload (signature no longer matches) is refused', async () => {
    const [h, p, s] = (await mint()).split('.');
    const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
    claims.sub = 'admin';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(await assume(forged)).toBe('InvalidIdentityTokenException');
  });

  it('alg none is refused', async () => {
    const [, p] = (await mint()).split('.');
    const none = `${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}.${p}.`;
    expect(await assume(none)).toBe('InvalidIdentityTokenException');
  });

  it('session tags on a role whose trust policy does not allow sts:TagSession: AccessDenied', async () => {
    const noTags = 'arn:aws:iam::111111111111:role/no-tags';
    expect(await assume(await mint({ g: { roleArn: noTags } }), noTags)).toBe('AccessDenied');
  });

  it('a duration above the role maximum: ValidationError (fedgate retries at 1 h)', async () => {
    const short = 'arn:aws:iam::111111111111:role/short';
    expect(await assume(await mint({ g: { roleArn: short } }), short, 7200)).toBe(
      'ValidationError',
    );
  });

  it('an Identity Center role cannot be assumed', async () => {
    expect(await assume(await mint(), SSO_ROLE)).toBe('AccessDenied');
  });
});
