import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
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
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache, type Grant } from '../../../shared/mapping/index.js';
import { createSessionService, type SessionIdentity } from '../../../shared/session/index.js';
import {
  createSpaEndpoints,
  createStaticSpaClients,
  issueSpaCode,
  loginBindingHash,
  spaCors,
} from '../../../shared/spa/index.js';
import type { AttributeStore } from '../../../shared/store/index.js';
import { clockFromSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemorySessionStore } from '../../support/memory-session-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';

export const ORIGIN = 'https://app.example.com';
export const ADMIN = 'arn:aws:iam::111111111111:role/admin';
export const DEV = 'arn:aws:iam::111111111111:role/dev';
export const OTHER_ACCOUNT_READER = 'arn:aws:iam::222222222222:role/reader';

export const ALLOW_ADMIN = {
  id: 'admins',
  priority: 10,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
  grant: { roleArn: ADMIN, label: 'Admin', sessionName: 's-{subject}' },
};
export const ALLOW_DEV = {
  id: 'devs',
  priority: 20,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
  grant: {
    roleArn: DEV,
    label: 'Dev',
    sessionName: 's-{subject}',
    sessionTags: { team: 'blue' },
  },
};
export const ALLOW_READER = {
  id: 'readers',
  priority: 30,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
  grant: { roleArn: OTHER_ACCOUNT_READER, label: 'Reader', sessionName: 's-{subject}' },
};
export const DENY_DEVS = {
  id: 'no-devs',
  priority: 1,
  effect: 'deny',
  when: [{ claim: 'groups', op: 'equals', value: 'devs', quantifier: 'any' }],
};

/** A gateway config with one OIDC IdP `corp` and one SPA client `app` (3600 s sessions). */
export const configWith = (
  rules: readonly unknown[],
  spa: Record<string, unknown> = {},
): GatewayConfig =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'corp',
        displayName: 'Corp',
        protocol: 'oidc',
        oidc: { issuer: 'https://op.example', clientId: 'fedgate' },
        rules,
      },
    ],
    spaClients: [
      {
        id: 'app',
        origin: ORIGIN,
        returnPaths: ['/callback'],
        sessionMaxSeconds: 3600,
        ...spa,
      },
      { id: 'other', origin: 'https://other.example.com', returnPaths: ['/'] },
    ],
  } as GatewayConfigInput);

/** Alice: in groups admins and devs. */
export const alice: SessionIdentity = {
  idp: 'corp',
  protocol: 'oidc',
  issuer: 'https://op.example',
  subject: 'u-alice',
  subjectRef: hashSubject('corp:u-alice'),
  claims: { groups: ['admins', 'devs'], email: ['alice@example.com'] },
  displayName: 'alice@example.com',
};

export const VERIFIER = 'dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2mLBQtrVX8ck';
export const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
export const SPA_STATE = 'spa-state-0123456789abcdef';
/** The login-binding cookie of "this browser" and another one. */
export const BINDING = 'b'.repeat(43);
export const OTHER_BINDING = 'x'.repeat(43);

/**
 * The SPA's API over in-memory tables with the real session service, mapping engine and AwsAccess
 * (the role assumption records and returns fake credentials); the config can be swapped between
 * requests, as an operator's change reaches the attribute table.
 */
export const createSpaRig = (initial: GatewayConfig) => {
  let config = initial;
  let clock = 1_800_000_000;
  const now = () => clock;
  const state = createMemoryStateStore(clockFromSeconds(now));
  const sessionStore = createMemorySessionStore(clockFromSeconds(now));
  const current = () => createMemoryAttributeStore(config);
  const attributes: AttributeStore = {
    getIdp: (id) => current().getIdp(id),
    listIdps: () => current().listIdps(),
    getAccounts: (ids) => current().getAccounts(ids),
    getDefaults: () => current().getDefaults(),
    getSettings: () => current().getSettings(),
    getGatewayRules: () => current().getGatewayRules(),
  };
  // A fresh mapper per use: the cached attribute store hands back a new IdP object after a change.
  const mapperFor = (idp: Parameters<ReturnType<typeof createMapperCache>>[0]) =>
    createMapperCache(attributes)(idp);
  const log = captureLogger();
  const sessions = createSessionService({
    store: sessionStore,
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor,
    log,
    clock: () => clock * 1000,
  });
  const assumed: { grant: Grant; person: SignedInPerson }[] = [];
  const assume: RoleAssumption = async (grant, person) => {
    assumed.push({ grant, person });
    const session: AwsSession = {
      accessKeyId: `ASIA${assumed.length}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date((clock + grant.durationSeconds) * 1000),
    };
    return session;
  };
  const counted: { name: string; dimensions: Record<string, string> }[] = [];
  const access = createAwsAccess({
    assume: { oidc: assume, saml: assume },
    consoleUrl: async () => new URL('https://signin.aws.amazon.com/'),
    log,
    meter: {
      count: (name, dimensions) => counted.push({ name, dimensions }),
      milliseconds: () => undefined,
    },
    clock: clockFromSeconds(now),
  });
  const clients = {
    get: async (id: string) => createStaticSpaClients(config.spaClients).get(id),
  };
  const endpoints = createSpaEndpoints({
    clients,
    state,
    sessions,
    access,
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor,
    log,
    clock: clockFromSeconds(now),
  });
  // The SPA routes as the function wires them (error middleware + CORS), for whole responses.
  const handlerFor = (route: (e: APIGatewayProxyEventV2) => Promise<HttpResponse>) =>
    middy<APIGatewayProxyEventV2, HttpResponse>()
      .use(securityHeaders())
      .use(spaCors(clients))
      .use(errorMiddleware({ logger: log, format: 'json' }))
      .handler(route);

  return {
    state,
    sessionStore,
    sessions,
    endpoints,
    handlerFor,
    assumed,
    counted,
    log,
    setConfig: (c: GatewayConfig) => {
      config = c;
    },
    now,
    advance: (seconds: number) => {
      clock += seconds;
    },
    /** A one-time code as the callback issues it (alice, this browser's login binding). */
    issue: (over: Partial<Parameters<typeof issueSpaCode>[1]> = {}): Promise<string> =>
      issueSpaCode(
        state,
        {
          client: 'app',
          identity: alice,
          codeChallenge: CHALLENGE,
          state: SPA_STATE,
          loginBinding: loginBindingHash(BINDING),
          verifiedAt: clock * 1000,
          ...over,
        },
        clock,
      ),
  };
};

export type SpaRig = ReturnType<typeof createSpaRig>;

/** A POST to an SPA route as the SPA's fetch sends it (Origin, JSON, cookies). */
export const post = (
  path: string,
  body: unknown,
  opts: { origin?: string; cookies?: string[]; clientId?: string } = {},
) =>
  apiEvent({
    method: 'POST',
    path,
    rawQueryString: `client_id=${opts.clientId ?? 'app'}`,
    headers: { origin: opts.origin ?? ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(opts.cookies ? { cookies: opts.cookies } : {}),
  });

/** The login-binding cookie as the browser sends it. */
export const bindingCookie = (value = BINDING) => `__Host-fedgate-spa-login=${value}`;

/** The `name=value` of the response's session cookie for client `app`. */
export const sessionCookieOf = (res: HttpResponse) =>
  (res.cookies ?? []).find((c) => c.startsWith('__Host-fedgate-spa-app='))?.split(';')[0] ?? '';

export const bodyOf = (res: HttpResponse) =>
  JSON.parse(String(res.body)) as Record<string, unknown>;
