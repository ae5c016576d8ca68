import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createCliApi, createCliPages, createUserCodeLimiter } from '../../../shared/cli/index.js';
import { type GatewayConfig, parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import {
  csrfTokenOf,
  parseSessionToken,
  type SessionIdentity,
} from '../../../shared/session/index.js';
import type { AttemptCounter, AttributeStore } from '../../../shared/store/index.js';
import { clockFromSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { createSignInRig, testParseDestination } from '../../support/signin-rig.js';

export const BASE = new URL('https://sso.example.com');
export const DEV = 'arn:aws:iam::111111111111:role/Developer';
export const ADMIN = 'arn:aws:iam::222222222222:role/Admin';
export const LOOPBACK = 'http://127.0.0.1:53123/callback';

export const cliConfig = (rules?: unknown[]) =>
  parseGatewayConfig({
    version: 1,
    accounts: [
      { id: '111111111111', alias: 'sandbox' },
      { id: '222222222222', alias: 'production' },
    ],
    portal: { regions: ['eu-west-1', 'us-east-1'] },
    idps: [
      {
        id: 'okta',
        displayName: 'Okta',
        protocol: 'oidc',
        oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
        rules: rules ?? [
          {
            id: 'devs',
            priority: 10,
            effect: 'allow',
            when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
            grant: { roleArn: DEV, label: 'Developer', sessionDurationSeconds: 28800 },
          },
          {
            id: 'admins',
            priority: 20,
            effect: 'allow',
            when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
            grant: { roleArn: ADMIN, label: 'Admin' },
          },
        ],
      },
      {
        id: 'entra',
        displayName: 'Entra',
        protocol: 'oidc',
        oidc: { issuer: 'https://login.example.com/t/v2.0', clientId: 'c' },
        listed: false,
      },
    ],
  });

export const alice: SessionIdentity = {
  idp: 'okta',
  protocol: 'oidc',
  issuer: 'https://okta.example.com',
  subject: '00u1alice',
  subjectRef: hashSubject('okta:00u1alice'),
  claims: { groups: ['devs', 'admins'], email: ['alice@example.com'] },
  displayName: 'alice@example.com',
};

/** An in-memory counter with the adapter's semantics. */
export const memoryCounter = (): AttemptCounter & { counts: Map<string, number> } => {
  const counts = new Map<string, number>();
  return {
    counts,
    async add(key) {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n;
    },
  };
};

/**
 * The CLI's pages and API over in-memory stores, with a clock the test moves and a config it can
 * swap (the attribute store is read at every use, as the cached one is after its TTL).
 */
export const createCliRig = (initial: GatewayConfig = cliConfig()) => {
  let config = initial;
  let now = 1_795_338_000;
  const clock = () => now;
  // Every method reads the config of the moment (as the cached store does after its TTL).
  const current = () =>
    createMemoryAttributeStore(config) as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >;
  const attributes = Object.fromEntries(
    Object.keys(current()).map((name) => [
      name,
      (...args: unknown[]) => (current()[name] as (...a: unknown[]) => unknown)(...args),
    ]),
  ) as unknown as AttributeStore;
  const state = createMemoryStateStore(clockFromSeconds(clock));
  const log = captureLogger();
  const signIn = createSignInRig({ attributes, state, now: clock, log, publicBaseUrl: BASE });
  const counter = memoryCounter();
  const pages = createCliPages({
    sessions: signIn.sessions,
    state,
    limitUserCodes: createUserCodeLimiter({
      counter,
      limits: { perSource: 5, overall: 8, windowSeconds: 600 },
      clock: clockFromSeconds(clock),
    }),
    listIdps: () => attributes.listIdps(),
    publicBaseUrl: BASE,
    log,
    clock: clockFromSeconds(clock),
  });
  const api = createCliApi({
    sessions: signIn.sessions,
    sessionStore: signIn.sessionStore,
    state,
    access: signIn.access,
    loadIdp: (id) => attributes.getIdp(id),
    settings: async () => ({ regions: ['eu-west-1', 'us-east-1'], defaultRegion: 'eu-west-1' }),
    parseDestination: testParseDestination,
    publicBaseUrl: BASE,
    log,
    clock: clockFromSeconds(clock),
  });

  /** A live browser session for an identity: its cookie and CSRF token. */
  const browser = async (identity: SessionIdentity = alice) => {
    const idp = await attributes.getIdp(identity.idp);
    const { tokenValue } = await signIn.sessions.start({
      identity,
      idp: idp as NonNullable<typeof idp>,
      kind: 'browser',
    });
    const token = parseSessionToken(tokenValue);
    return {
      tokenValue,
      cookies: [`__Host-fedgate-session=${tokenValue}`],
      csrf: csrfTokenOf(token as NonNullable<typeof token>),
    };
  };

  /** A JSON request to the CLI API, as the CLI sends it. */
  const apiCall = (
    path: string,
    body: unknown,
    opts: { bearer?: string; headers?: Record<string, string> } = {},
  ): APIGatewayProxyEventV2 =>
    apiEvent({
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify(body),
    });

  /** A form post from a page, with the browser's cookies. */
  const formPost = (path: string, fields: Record<string, string>, cookies: string[]) =>
    apiEvent({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      cookies,
    });

  return {
    pages,
    api,
    state,
    log,
    counter,
    signIn,
    browser,
    apiCall,
    formPost,
    now: clock,
    advance: (seconds: number) => {
      now += seconds;
    },
    setConfig: (c: GatewayConfig) => {
      config = c;
    },
  };
};

export type CliRig = ReturnType<typeof createCliRig>;

/** The error code a promise rejects with, or 'none'. */
export const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => 'none',
    (e: { code?: string }) => e.code,
  );
