import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type GatewayConfigInput,
  type IdpConfig,
  parseGatewayConfig,
} from '../../../shared/config/index.js';
import type { HttpResponse } from '../../../shared/http/index.js';
import { createOidcClient, createSecretResolver } from '../../../shared/oidc/index.js';
import { createDynamoStateStore, type StateStore } from '../../../shared/store/index.js';
import type { DynamoDbFixture } from '../../support/dynamodb.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { cookiePair, createSignInRig } from '../../support/signin-rig.js';

export const PUBLIC_BASE = new URL('https://sso.example.com');

/** One OIDC IdP config (generic profile unless told) with a rule granting two roles on `groups`. */
export const oidcIdp = (
  id: string,
  oidc: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): GatewayConfigInput['idps'][number] =>
  ({
    id,
    displayName: id,
    protocol: 'oidc',
    oidc,
    rules: [
      {
        id: 'devs',
        priority: 10,
        effect: 'allow',
        when: [{ claim: 'groups', op: 'contains', value: 'developers' }],
        grant: { roleArn: 'arn:aws:iam::111111111111:role/dev', sessionName: 'dev-{subject}' },
      },
      {
        id: 'everyone',
        priority: 20,
        effect: 'allow',
        when: [{ claim: 'sub', op: 'matches', value: '.+' }],
        grant: { roleArn: 'arn:aws:iam::111111111111:role/reader', sessionName: 'reader' },
      },
    ],
    ...extra,
  }) as GatewayConfigInput['idps'][number];

export interface Rig {
  login(idp: string, query?: string): Promise<HttpResponse>;
  callback(idp: string, callbackUrl: URL, cookies: string[] | undefined): Promise<HttpResponse>;
  /** Roles assumed (the STS calls that would have happened). */
  assumed: { roleArn: string; subjectRef: string }[];
  state: StateStore;
  log: ReturnType<typeof captureLogger>;
  /** The browser sessions sign-ins started (in memory; `calls.create` counts them). */
  sessions: ReturnType<typeof createSignInRig>['sessionStore'];
  /**
   * The role ARNs a sign-in's answer gives access to through the portal: it must be the 303 to
   * the portal with a session cookie; the session is resumed as the portal would (current rules).
   */
  portalRoles(res: HttpResponse): Promise<string[]>;
}

const eventFor = (
  path: string,
  routePath: string,
  idp: string,
  query: string,
  cookies?: string[],
) =>
  apiEvent({
    path,
    routeKey: `GET ${routePath}`,
    rawQueryString: query,
    pathParameters: { idp },
    ...(cookies ? { cookies } : {}),
  } as Partial<APIGatewayProxyEventV2> & { path: string });

/**
 * The relying party in process, as the two functions wire it, with the state table on the
 * embedded DynamoDB and a sign-in completion whose STS step only records what it would assume.
 */
export const createRig = (
  db: DynamoDbFixture,
  idps: GatewayConfigInput['idps'],
  opts: {
    timeoutMs?: number;
    maxResponseBytes?: number;
    env?: Record<string, string>;
    /** The relying party's allowed clock skew (default 0). */
    clockSkewSeconds?: number;
  } = {},
): Rig => {
  const config = parseGatewayConfig({ version: 1, idps } as GatewayConfigInput);
  const attributes = createMemoryAttributeStore(config);
  const state = createDynamoStateStore({
    client: db.createClient(),
    tableName: db.names.stateTableName,
  });
  const log = captureLogger();
  const assumed: Rig['assumed'] = [];
  const signIn = createSignInRig({
    attributes,
    state,
    now: () => Math.floor(Date.now() / 1000),
    log,
    publicBaseUrl: PUBLIC_BASE,
  });
  signIn.assume.mockImplementation(async (grant, person) => {
    assumed.push({ roleArn: grant.roleArn, subjectRef: person.subjectRef });
    return {
      accessKeyId: 'ASIATESTTESTTESTTEST',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(Date.now() + 3_600_000),
    };
  });
  const endpoints = createOidcEndpoints({
    attributes,
    state,
    client: createOidcClient({
      fetch,
      // No secret cache: tests change the secret between sign-ins.
      resolveSecret: createSecretResolver({ readEnv: (n) => opts.env?.[n], cacheSeconds: 0 }),
      clockSkewSeconds: opts.clockSkewSeconds ?? 0,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxResponseBytes !== undefined ? { maxResponseBytes: opts.maxResponseBytes } : {}),
    }),
    parseDestination: () => new URL('https://console.aws.amazon.com/'),
    complete: signIn.complete,
    publicBaseUrl: PUBLIC_BASE,
    log,
  });
  return {
    login: (idp, query = '') =>
      endpoints.login(eventFor(`/oidc/${idp}/login`, '/oidc/{idp}/login', idp, query)),
    callback: (idp, callbackUrl, cookies) =>
      endpoints.callback(
        eventFor(
          `/oidc/${idp}/callback`,
          '/oidc/{idp}/callback',
          idp,
          callbackUrl.search.slice(1),
          cookies,
        ),
      ),
    assumed,
    state,
    log,
    sessions: signIn.sessionStore,
    async portalRoles(res) {
      if (res.statusCode !== 303 || res.headers?.location !== new URL('/', PUBLIC_BASE).href) {
        throw new Error(`not sent to the portal: ${res.statusCode} ${res.headers?.location}`);
      }
      const token = cookiePair(res.cookies, 'session')?.split('=')[1];
      const live = await signIn.sessions.resume(token, { kind: 'browser' });
      return live.grants.map((g) => g.roleArn);
    },
  };
};

/** The `name=value` of the transaction cookie a login response set. */
export const cookieOf = (res: HttpResponse): string[] =>
  (res.cookies ?? []).map((c) => c.split(';')[0] as string);

/** Runs `fn` and returns the error code it throws (or 'none'). */
export const codeOf = async (fn: () => Promise<unknown>): Promise<string> => {
  try {
    await fn();
    return 'none';
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`;
  }
};

export type { IdpConfig };
