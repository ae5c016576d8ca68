import { vi } from 'vitest';
import {
  type AwsSession,
  createAwsAccess,
  type RoleAssumption,
} from '../../shared/handback/index.js';
import type { Log } from '../../shared/log.js';
import { createMapperCache } from '../../shared/mapping/index.js';
import { createSessionService } from '../../shared/session/index.js';
import { createSignInCompletion, createSignInConfirmation } from '../../shared/signin/index.js';
import type { AttributeStore, StateStore } from '../../shared/store/index.js';
import { clockFromSeconds } from './clock.js';
import { createMemorySessionStore } from './memory-session-store.js';

/** A console deep link parser like shared/console's: console URLs kept, anything else the default. */
export const testParseDestination = (raw: string | undefined): URL =>
  new URL(
    raw?.startsWith('https://console.aws.amazon.com/') ? raw : 'https://console.aws.amazon.com/',
  );

/**
 * The sign-in tail (sessions, completion, confirmation, AWS access) over in-memory stores, with
 * the role assumption and the federation endpoint as mocks: for unit tests of the flows that end
 * in it (ACS, OIDC callback, portal).
 */
export const createSignInRig = ({
  attributes,
  state,
  now,
  log,
  publicBaseUrl = new URL('https://sso.example.com'),
}: {
  attributes: AttributeStore;
  state: StateStore;
  /** Epoch seconds. */
  now: () => number;
  log: Log;
  publicBaseUrl?: URL;
}) => {
  const sessionStore = createMemorySessionStore(clockFromSeconds(now));
  const assume = vi.fn<RoleAssumption>(
    async (): Promise<AwsSession> => ({
      accessKeyId: 'ASIATEST',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date((now() + 3600) * 1000),
    }),
  );
  const consoleUrl = vi.fn(
    async (_s: AwsSession, _d: URL, _n: number) =>
      new URL('https://signin.aws.amazon.com/federation?Action=login'),
  );
  const mapperFor = createMapperCache(attributes);
  const sessions = createSessionService({
    store: sessionStore,
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor,
    log,
    clock: clockFromSeconds(now),
  });
  const access = createAwsAccess({
    assume: { saml: assume, oidc: assume },
    consoleUrl,
    log,
    clock: clockFromSeconds(now),
  });
  const complete = createSignInCompletion({
    sessions,
    mapperFor,
    access,
    defaultDestination: new URL('https://console.aws.amazon.com/'),
    publicBaseUrl,
    log,
    clock: clockFromSeconds(now),
  });
  const confirmation = createSignInConfirmation({
    state,
    loadIdp: (id) => attributes.getIdp(id),
    complete,
    parseDestination: testParseDestination,
    publicBaseUrl,
    log,
    clock: clockFromSeconds(now),
  });
  return { sessionStore, sessions, assume, consoleUrl, access, complete, confirmation };
};

/** The `name=value` pair of a `Set-Cookie` for a fedgate cookie, or undefined. */
export const cookiePair = (cookies: readonly string[] | undefined, name: string) =>
  cookies?.find((c) => c.startsWith(`__Host-fedgate-${name}=`))?.split(';')[0];
