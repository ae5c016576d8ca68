import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetPublicKeyCommand,
  KMSClient,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsStandIns, awsStandIns } from '../../../infra/local/aws/index.js';
import type { LocalContext } from '../../../infra/local/plugin.js';
import {
  EnvSchema,
  type GatewayConfigInput,
  parseGatewayConfig,
} from '../../../shared/config/index.js';
import { createAwsAccessFor, servesNoSamlSessions } from '../../../shared/gateway/index.js';
import { GatewayError } from '../../../shared/http/index.js';
import {
  buildJwks,
  buildOpenIdConfiguration,
  createKmsSigningKeys,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache, type Grant } from '../../../shared/mapping/index.js';
import { createPortalActions } from '../../../shared/portal/index.js';
import {
  createSessionService,
  csrfTokenOf,
  identityOf,
  parseSessionToken,
  type SessionIdentity,
} from '../../../shared/session/index.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';
import {
  createFakeKmsKey,
  type FakeKms,
  type FakeKmsKey,
  installFakeKms,
  kmsError,
  signDigestAsKms,
} from '../../support/issuer/kms-mock.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemorySessionStore } from '../../support/memory-session-store.js';

const KEY_ID = 'alias/fedgate-signing';
const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111111111111:role/fedgate-demo-developer',
  accountId: '111111111111',
  label: 'Developer',
  durationSeconds: 3600,
  sessionName: 'paul@example.com',
  sourceIdentity: 'paul@example.com',
  tags: [{ key: 'department', value: 'Data' }],
  transitiveTagKeys: [],
};

/**
 * KMS failing under the hand-back: the web identity token is signed through the KMS signer
 * (shared/issuer/kms-signing-keys.ts) whose KMSClient is aws-sdk-client-mock computing real
 * signatures (test/support/issuer/kms-mock.ts); STS and the federation endpoint are the local
 * stand-ins, which verify the token against the JWKS served here. A stub replaces the client's
 * whole middleware stack, so the SDK's own retries and socket timeouts (KMS_CLIENT_DEFAULTS: 3
 * attempts, 1 s / 3 s) are not exercised here: the errors thrown are those the SDK throws once they
 * are spent.
 */
describe('KMS faults at the hand-back', () => {
  const kms = mockClient(KMSClient);
  let key: FakeKmsKey;
  let fake: FakeKms;
  let server: Server;
  let base: URL;
  let standIns: AwsStandIns;
  let sts: STSClient;
  let signingKeys: SigningKeys;
  let handback: ReturnType<typeof createAwsAccessFor>;
  const signCalls = () => kms.commandCalls(SignCommand).length;

  beforeAll(async () => {
    const [active] = await testKeyMaterials();
    key = createFakeKmsKey(KEY_ID, { privateKeyPem: active?.privateKeyPem });
    standIns = awsStandIns();
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
    kms.restore();
    sts?.destroy();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
  });
  beforeEach(() => {
    kms.reset();
    fake = installFakeKms(kms, [key]);
    // A fresh container: the signer loads its keys (GetPublicKey) on first use.
    signingKeys = createKmsSigningKeys({
      kms: new KMSClient({ region: 'eu-west-1' }),
      keyIds: [KEY_ID],
    });
    handback = createAwsAccessFor({
      saml: servesNoSamlSessions,
      config: EnvSchema.parse({
        ATTRIBUTE_TABLE_NAME: 'attrs',
        STATE_TABLE_NAME: 'state',
        PUBLIC_BASE_URL: base.origin,
        AWS_REGION: 'us-east-1',
        SIGNING_KEY_REF: `kms:${KEY_ID}`,
        FEDERATION_ENDPOINT: `${base.origin}/_local/federation`,
      }),
      sts,
      fetch,
      signingKeys,
      log: captureLogger(),
    });
  });

  const signInOnce = () =>
    handback
      .console(
        grant,
        { idp: 'demo-oidc', protocol: 'oidc', subjectRef: '6734296af948bdeb' },
        {
          destination: new URL('https://console.aws.amazon.com/'),
          sessionEndsAt: Math.floor(Date.now() / 1000) + 43_200,
        },
      )
      .then((url) => ({ statusCode: 302, headers: { location: url.href } }));

  const expectSignedIn = async () => {
    const before = standIns.sessions().length;
    const res = await signInOnce();
    expect(res.statusCode).toBe(302);
    expect(String(res.headers?.location)).toContain('/_local/federation?Action=login');
    expect(standIns.sessions()).toHaveLength(before + 1);
  };

  /** 503 `temporarily_unavailable`, STS never called, nothing issued. */
  const expectUnavailable = async () => {
    const before = standIns.sessions().length;
    const err = await signInOnce().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    expect(standIns.sessions()).toHaveLength(before);
  };

  const timeout = () =>
    Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

  it('baseline: the token is signed by KMS and STS accepts it', async () => {
    await expectSignedIn();
    expect(signCalls()).toBeGreaterThan(0);
  });

  it.each([
    [
      'KMSInternalException (500)',
      () => kmsError('KMSInternalException', { fault: 'server', status: 500 }),
    ],
    [
      'KeyUnavailableException (500)',
      () => kmsError('KeyUnavailableException', { fault: 'server', status: 500 }),
    ],
    [
      'DependencyTimeoutException (503)',
      () => kmsError('DependencyTimeoutException', { fault: 'server', status: 503 }),
    ],
    ['ThrottlingException', () => kmsError('ThrottlingException')],
    ['a request timeout', timeout],
    [
      'a refused connection',
      () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
  ])('Sign fails with %s: 503, nothing issued, the next sign-in works', async (_, err) => {
    await expectSignedIn(); // keys loaded
    fake.failNext('Sign', KEY_ID, err());
    await expectUnavailable();
    await expectSignedIn();
  });

  it('GetPublicKey fails on the first use: 503, the failed load is not cached, the next sign-in works', async () => {
    fake.failNext(
      'GetPublicKey',
      KEY_ID,
      kmsError('KMSInternalException', { fault: 'server', status: 500 }),
    );
    await expectUnavailable();
    expect(signCalls()).toBe(0);
    await expectSignedIn();
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(2);
  });

  it('a slow KMS (Sign answers after 1 s): the sign-in succeeds', async () => {
    await expectSignedIn();
    kms.on(SignCommand).callsFake(async (input: SignCommandInput) => {
      await new Promise((done) => setTimeout(done, 1000));
      return {
        KeyId: key.arn,
        Signature: new Uint8Array(
          signDigestAsKms(key.privateKey, input.Message ?? new Uint8Array()),
        ),
        SigningAlgorithm: input.SigningAlgorithm,
        $metadata: {},
      };
    });
    const started = signCalls();
    await expectSignedIn();
    expect(signCalls()).toBeGreaterThan(started);
  });

  describe('at the portal’s Console and Access keys (where a signed-in person’s STS call happens)', () => {
    /** Paul's session at an OIDC IdP whose one rule grants the developer role. */
    const setUpPortal = async () => {
      const config = parseGatewayConfig({
        version: 1,
        idps: [
          {
            id: 'demo-oidc',
            displayName: 'Demo OIDC',
            protocol: 'oidc',
            oidc: { issuer: 'https://op.example', clientId: 'fedgate' },
            rules: [
              {
                id: 'developers',
                priority: 10,
                effect: 'allow',
                when: [{ claim: 'groups', op: 'contains', value: 'developers' }],
                grant: { roleArn: grant.roleArn, sessionName: 'paul@example.com' },
              },
            ],
          },
        ],
      } as GatewayConfigInput);
      const attributes = createMemoryAttributeStore(config);
      const mapperFor = createMapperCache(attributes);
      const log = captureLogger();
      const sessions = createSessionService({
        store: createMemorySessionStore(),
        loadIdp: (id) => attributes.getIdp(id),
        mapperFor,
        log,
      });
      const idp = config.idps[0] as (typeof config.idps)[number];
      const identity: SessionIdentity = {
        idp: 'demo-oidc',
        protocol: 'oidc',
        issuer: 'https://op.example',
        subject: 'paul',
        subjectRef: hashSubject('demo-oidc:paul'),
        claims: { groups: ['developers'], email: ['paul@example.com'] },
      };
      const { tokenValue } = await sessions.start({ identity, idp, kind: 'browser' });
      const granted = (await mapperFor(idp)).mapGrants(identityOf(identity)).grants[0] as Grant;
      const portal = createPortalActions({
        sessions,
        settings: async () => ({ regions: ['us-east-1'], defaultRegion: 'us-east-1' }),
        parseDestination: () => new URL('https://console.aws.amazon.com/'),
        publicBaseUrl: base,
        log,
        access: handback,
      });
      const cookies = [`__Host-fedgate-session=${tokenValue}`];
      const csrf = csrfTokenOf(
        parseSessionToken(tokenValue) as NonNullable<ReturnType<typeof parseSessionToken>>,
      );
      return {
        console: () =>
          portal.open(
            apiEvent({
              method: 'POST',
              path: '/portal/open',
              cookies,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ csrf, grant: granted.id, target: 'console' }).toString(),
            }),
          ),
        keys: () =>
          portal.keys(
            apiEvent({
              path: '/portal/keys',
              cookies,
              rawQueryString: new URLSearchParams({
                grant: granted.id,
                region: 'us-east-1',
              }).toString(),
              queryStringParameters: { grant: granted.id, region: 'us-east-1' },
            }),
          ),
      };
    };

    it.each([
      [
        'KMSInternalException (500)',
        () => kmsError('KMSInternalException', { fault: 'server', status: 500 }),
      ],
      ['ThrottlingException', () => kmsError('ThrottlingException')],
      ['a request timeout', timeout],
    ])(
      'Sign fails with %s: 503 at Console and at Access keys, nothing issued; the same session then works',
      async (_, err) => {
        const portal = await setUpPortal();
        const console = await portal.console();
        expect([console.statusCode, String(console.headers?.location)]).toEqual([
          303,
          expect.stringContaining('/_local/federation?Action=login'),
        ]);
        const before = standIns.sessions().length;
        for (const use of [portal.console, portal.keys]) {
          fake.failNext('Sign', KEY_ID, err());
          await expect(use()).rejects.toMatchObject({
            status: 503,
            code: 'temporarily_unavailable',
          });
        }
        expect(standIns.sessions()).toHaveLength(before);
        expect((await portal.console()).statusCode).toBe(303);
        const keys = await portal.keys();
        expect([keys.statusCode, String(keys.body)]).toEqual([
          200,
          expect.stringContaining('ASIA'),
        ]);
        expect(standIns.sessions()).toHaveLength(before + 2);
      },
    );
  });

  it('a KMS error that is not transient (AccessDeniedException) is a 500 configuration error, nothing issued', async () => {
    await expectSignedIn();
    fake.failNext('Sign', KEY_ID, kmsError('AccessDeniedException'));
    const before = standIns.sessions().length;
    await expect(signInOnce()).rejects.toMatchObject({ status: 500, code: 'issuer_misconfigured' });
    expect(standIns.sessions()).toHaveLength(before);
    await expectSignedIn();
  });
});
