import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createDemoOp } from '../../../infra/local/demo/oidc-op.js';
import {
  type GatewayConfig,
  type GatewayConfigInput,
  parseGatewayConfig,
} from '../../../shared/config/index.js';
import {
  type AwsSession,
  createAwsAccess,
  type RoleAssumption,
  type SignedInPerson,
} from '../../../shared/handback/index.js';
import { errorMiddleware, type HttpResponse, securityHeaders } from '../../../shared/http/index.js';
import { createMapperCache, type Grant } from '../../../shared/mapping/index.js';
import { createOidcClient, createSecretResolver } from '../../../shared/oidc/index.js';
import { createSessionService } from '../../../shared/session/index.js';
import { createSpaEndpoints, spaCors } from '../../../shared/spa/index.js';
import {
  applyConfig,
  createDynamoAttributeStore,
  createDynamoSessionStore,
  createDynamoSpaClients,
  createDynamoStateStore,
} from '../../../shared/store/index.js';
import type { DynamoDbFixture } from '../../support/dynamodb.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig } from '../../support/signin-rig.js';
import { driveOp } from '../oidc/browserless.js';
import { newPkce, newState } from './flow.js';

export const PUBLIC_BASE = new URL('https://sso.example.com');
export const SPA_ORIGIN = 'https://app.example.com';
export const DEV = 'arn:aws:iam::111111111111:role/dev';
export const ADMIN = 'arn:aws:iam::222222222222:role/admin';

/** The demo OP's people: olivia (developers, platform-admins), paul (developers), quinn (none). */
export const RULES = {
  developers: {
    id: 'developers',
    priority: 10,
    effect: 'allow',
    when: [{ claim: 'groups', op: 'contains', value: 'developers' }],
    grant: { roleArn: DEV, label: 'Developer' },
  },
  admins: {
    id: 'platform-admins',
    priority: 20,
    effect: 'allow',
    when: [{ claim: 'groups', op: 'contains', value: 'platform-admins' }],
    grant: { roleArn: ADMIN, label: 'Administrator' },
  },
  denyData: {
    id: 'no-data-department',
    priority: 1,
    effect: 'deny',
    when: [{ claim: 'department', op: 'equals', value: 'Data', quantifier: 'any' }],
  },
} as const;

/**
 * The OIDC relying party and the SPA's API composed as functions/oidc-login, oidc-callback and
 * credentials compose them, on DynamoDB Local (both tables, read without the per-container cache
 * so that a config change reaches the next use), against oidc-provider as the real OP. The STS
 * step records what it would assume and returns fake credentials.
 */
export const createSpaRig = async (db: DynamoDbFixture) => {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const op = await createDemoOp({
    issuer,
    clients: [
      {
        clientId: 'fedgate',
        clientSecret: 'fedgate-secret',
        redirectUris: [new URL('/oidc/corp/callback', PUBLIC_BASE).href],
      },
    ],
  });
  server.on('request', (req, res) => void op.handle(req, res));

  const dynamo = db.createClient();
  const { attributeTableName, stateTableName } = db.names;
  const configWith = (
    rules: readonly unknown[],
    spa: Record<string, unknown> = {},
    withIdp = true,
  ): GatewayConfig =>
    parseGatewayConfig({
      version: 1,
      idps: [
        {
          // Without `corp`, another IdP stands in: a config has at least one.
          id: withIdp ? 'corp' : 'elsewhere',
          displayName: 'Corp',
          protocol: 'oidc',
          oidc: { issuer, clientId: 'fedgate', clientSecretRef: 'env:OP_SECRET' },
          rules,
        },
      ],
      spaClients: [
        { id: 'app', origin: SPA_ORIGIN, returnPaths: ['/cb'], sessionMaxSeconds: 3600, ...spa },
      ],
    } as GatewayConfigInput);
  /** Writes a config to the attribute table as `fedgate-admin apply` does. */
  const apply = (config: GatewayConfig) => applyConfig(dynamo, attributeTableName, config);

  const attributes = createDynamoAttributeStore({ client: dynamo, tableName: attributeTableName });
  const state = createDynamoStateStore({ client: dynamo, tableName: stateTableName });
  const sessionStore = createDynamoSessionStore({ client: dynamo, tableName: stateTableName });
  const clients = createDynamoSpaClients({
    client: dynamo,
    tableName: attributeTableName,
    ttlSeconds: 0,
  });
  const log = captureLogger();
  const mapperFor = createMapperCache(attributes);
  const assumed: { grant: Grant; person: SignedInPerson }[] = [];
  const assume: RoleAssumption = async (grant, person) => {
    assumed.push({ grant, person });
    const session: AwsSession = {
      accessKeyId: `ASIAFAKE${String(assumed.length).padStart(8, '0')}`,
      secretAccessKey: `fake-secret-${assumed.length}`,
      sessionToken: `fake-token-${assumed.length}`,
      expiration: new Date(Date.now() + grant.durationSeconds * 1000),
    };
    return session;
  };
  const sessions = createSessionService({
    store: sessionStore,
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor,
    log,
  });
  const spa = createSpaEndpoints({
    clients,
    state,
    sessions,
    access: createAwsAccess({
      assume: { oidc: assume, saml: assume },
      consoleUrl: async () => new URL('https://signin.aws.amazon.com/'),
      log,
    }),
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor,
    log,
  });
  const oidc = createOidcEndpoints({
    attributes,
    state,
    client: createOidcClient({
      fetch,
      resolveSecret: createSecretResolver({
        readEnv: (n) => (n === 'OP_SECRET' ? 'fedgate-secret' : undefined),
      }),
      clockSkewSeconds: 0,
    }),
    parseDestination: () => new URL('https://console.aws.amazon.com/'),
    complete: createSignInRig({
      attributes,
      state,
      now: () => Math.floor(Date.now() / 1000),
      log,
      publicBaseUrl: PUBLIC_BASE,
    }).complete,
    spaClients: clients,
    publicBaseUrl: PUBLIC_BASE,
    log,
  });
  // The SPA routes as functions/credentials.ts wires them (errors become JSON, CORS).
  const http = (route: (e: APIGatewayProxyEventV2) => Promise<HttpResponse>) =>
    middy<APIGatewayProxyEventV2, HttpResponse>()
      .use(securityHeaders())
      .use(spaCors(clients))
      .use(errorMiddleware({ logger: log, format: 'json' }))
      .handler(route);
  const routes = {
    '/redeem': http((e) => spa.redeem(e)),
    '/credentials': http((e) => spa.credentials(e)),
    '/grants': http((e) => spa.grants(e)),
    '/logout': http((e) => spa.logout(e)),
  };

  /** One browser: fedgate's cookies (the SPA's fetch includes them), as a map. */
  const browser = () => {
    const jar = new Map<string, string>();
    const keep = (res: HttpResponse) => {
      for (const c of res.cookies ?? []) {
        const [pair = ''] = c.split(';');
        const eq = pair.indexOf('=');
        const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
        if (value === '' || /Max-Age=0/.test(c)) jar.delete(name);
        else jar.set(name, value);
      }
      return res;
    };
    const cookies = () => [...jar].map(([k, v]) => `${k}=${v}`);
    const b = {
      jar,
      /**
       * The SPA's login in this browser up to the redirect back to the SPA: fedgate's login with
       * a fresh PKCE pair and state, the OP as `user`, fedgate's callback.
       */
      async signIn(user: string) {
        const pkce = newPkce();
        const spaState = newState();
        const login = keep(
          await oidc.login(
            apiEvent({
              path: '/oidc/corp/login',
              routeKey: 'GET /oidc/{idp}/login',
              rawQueryString: new URLSearchParams({
                client_id: 'app',
                return_to: `${SPA_ORIGIN}/cb`,
                code_challenge: pkce.challenge,
                code_challenge_method: 'S256',
                state: spaState,
              }).toString(),
              pathParameters: { idp: 'corp' },
              cookies: cookies(),
            } as Partial<APIGatewayProxyEventV2> & { path: string }),
          ),
        );
        const { callback } = await driveOp(new URL(String(login.headers.location)), user);
        const back = keep(
          await oidc.callback(
            apiEvent({
              path: '/oidc/corp/callback',
              routeKey: 'GET /oidc/{idp}/callback',
              rawQueryString: callback.search.slice(1),
              pathParameters: { idp: 'corp' },
              cookies: cookies(),
            } as Partial<APIGatewayProxyEventV2> & { path: string }),
          ),
        );
        const returned = new URL(String(back.headers.location));
        return {
          returned,
          code: returned.searchParams.get('code') ?? '',
          verifier: pkce.verifier,
          state: spaState,
        };
      },
      /** A call to an SPA route as the SPA's fetch makes it (Origin, JSON, cookies). */
      async call(path: keyof typeof routes, body: unknown, origin = SPA_ORIGIN) {
        const res = keep(
          await routes[path](
            apiEvent({
              method: 'POST',
              path,
              routeKey: `POST ${path}`,
              rawQueryString: 'client_id=app',
              headers: { origin, 'content-type': 'application/json' },
              body: JSON.stringify(body),
              cookies: cookies(),
            }),
            lambdaContext(),
          ),
        );
        const json = JSON.parse(res.body || '{}') as Record<string, unknown>;
        return { status: res.statusCode, json, res };
      },
      /** Signs in as `user` and redeems the code: the SPA session cookie is in the jar. */
      async session(user: string, grant?: string) {
        const s = await b.signIn(user);
        const redeemed = await b.call('/redeem', {
          code: s.code,
          code_verifier: s.verifier,
          ...(grant ? { grant } : {}),
        });
        if (redeemed.status !== 200) throw new Error(`redeem answered ${redeemed.status}`);
        return redeemed;
      },
    };
    return b;
  };

  return {
    configWith,
    apply,
    browser,
    assumed,
    sessionStore,
    dynamo,
    stateTableName,
    log,
    async stop() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
};

export type SpaRig = Awaited<ReturnType<typeof createSpaRig>>;
