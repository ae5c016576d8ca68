import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import type { RoleAssumption } from '../../../shared/handback/index.js';
import {
  createOidcClient,
  createSecretResolver,
  JWKS_BACKOFF_BASE_MS,
  JWKS_MAX_AGE_MS,
} from '../../../shared/oidc/index.js';
import { createDynamoStateStore } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createOidcEndpoints } from '../../support/oidc-endpoints.js';
import { createSignInRig } from '../../support/signin-rig.js';
import { codeOf, cookieOf, oidcIdp } from '../oidc/rig.js';
import { type RogueOp, rogueKey, startRogueOp } from '../oidc/rogue-op.js';

/**
 * The upstream IdP's JWKS endpoint failing at the callback (the one upstream fault the rogue OP
 * of test/integration/oidc has no switch for): the relying party as the functions wire it, with
 * the state table on DynamoDB Local, whose fetch sends the JWKS request to a faulty server when
 * told (a real HTTP 503, a real refused connection, a real server that never answers).
 */
describe('upstream OIDC IdP: JWKS endpoint faults at the callback', () => {
  const db = useDynamoDb();
  let rogue: RogueOp;
  let faulty: Server;
  let faultyBase: string;
  let jwksFault: 'down' | 'unreachable' | 'hang' | undefined;
  /** JWKS requests sent while a fault was set (what the IdP would have seen, had it been up). */
  let faultedJwksRequests = 0;

  beforeAll(async () => {
    rogue = await startRogueOp();
    faulty = createServer((req, res) => {
      if (req.url === '/down') {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html><body>Service Unavailable</body></html>');
      }
      // '/hang': accepted, never answered (closed when the client gives up).
    });
    await new Promise<void>((done) => faulty.listen(0, '127.0.0.1', done));
    faultyBase = `http://127.0.0.1:${(faulty.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await rogue?.stop();
    faulty?.closeAllConnections();
    await new Promise((done) => faulty?.close(done));
  });

  /** Sends the JWKS request elsewhere while a fault is set; everything else goes to the OP. */
  const faultyFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (jwksFault && url.pathname === '/jwks') {
      faultedJwksRequests++;
      const target =
        jwksFault === 'unreachable' ? 'http://127.0.0.1:9/jwks' : `${faultyBase}/${jwksFault}`;
      return fetch(input instanceof Request ? new Request(target, input) : target, init);
    }
    return fetch(input, init);
  };

  /** A fresh container: no JWKS cached yet. */
  const newRelyingParty = () => {
    const config = parseGatewayConfig({
      version: 1,
      idps: [oidcIdp('rogue', { issuer: rogue.issuer, clientId: 'fedgate' })],
    } as Parameters<typeof parseGatewayConfig>[0]);
    const state = createDynamoStateStore({
      client: db.createClient(),
      tableName: db.names.stateTableName,
    });
    const assumed: string[] = [];
    const assume: RoleAssumption = async (grant) => {
      assumed.push(grant.roleArn);
      return {
        accessKeyId: 'ASIATESTTESTTESTTEST',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        expiration: new Date(Date.now() + 3_600_000),
      };
    };
    const publicBaseUrl = new URL('https://sso.example.com');
    const log = captureLogger();
    const signIn = createSignInRig({
      attributes: createMemoryAttributeStore(config),
      state,
      now: () => Math.floor(Date.now() / 1000),
      log,
      publicBaseUrl,
    });
    signIn.assume.mockImplementation(assume);
    const endpoints = createOidcEndpoints({
      attributes: createMemoryAttributeStore(config),
      state,
      client: createOidcClient({
        fetch: faultyFetch,
        resolveSecret: createSecretResolver({ readEnv: () => undefined, cacheSeconds: 0 }),
        clockSkewSeconds: 0,
        timeoutMs: 1000,
      }),
      parseDestination: () => new URL('https://console.aws.amazon.com/'),
      complete: signIn.complete,
      publicBaseUrl,
      log,
    });
    const event = (kind: 'login' | 'callback', query = '', cookies?: string[]) =>
      apiEvent({
        path: `/oidc/rogue/${kind}`,
        routeKey: `GET /oidc/{idp}/${kind}`,
        rawQueryString: query,
        pathParameters: { idp: 'rogue' },
        ...(cookies ? { cookies } : {}),
      } as Partial<APIGatewayProxyEventV2> & { path: string });
    /** fedgate login → the OP's /authorize → the callback to send. */
    const authorize = async () => {
      const login = await endpoints.login(event('login'));
      const back = await fetch(String(login.headers?.location), { redirect: 'manual' });
      const callbackUrl = new URL(String(back.headers.get('location')));
      return { query: callbackUrl.search.slice(1), cookies: cookieOf(login) };
    };
    const callback = (c: { query: string; cookies: string[] }) =>
      endpoints.callback(event('callback', c.query, c.cookies));
    return { authorize, callback, assumed };
  };

  afterEach(() => {
    jwksFault = undefined;
    rogue.scenario = {};
    vi.useRealTimers();
  });

  /** Moves the (Date-only) fake clock: the relying party, the OP and the state table's expiry. */
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it.each(['down', 'unreachable', 'hang'] as const)(
    'JWKS %s: 503, nothing assumed; the transaction is spent, and the next sign-in after the back-off fetches the JWKS again and works',
    async (fault) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const rp = newRelyingParty();
      const attempt = await rp.authorize();
      const fetches = rogue.jwksFetches;
      jwksFault = fault;
      try {
        expect(await codeOf(() => rp.callback(attempt))).toBe('temporarily_unavailable');
      } finally {
        jwksFault = undefined;
      }
      expect(rp.assumed).toEqual([]);
      expect(rogue.jwksFetches).toBe(fetches);
      // Consumed before the code was redeemed: the same callback is not accepted again.
      expect(await codeOf(() => rp.callback(attempt))).toBe('oidc_transaction_invalid');
      // A failed fetch is not remembered as "no keys": once the back-off (1 s) has passed, the
      // next person gets in.
      advance(JWKS_BACKOFF_BASE_MS);
      const res = await rp.callback(await rp.authorize());
      expect(res.statusCode).toBe(303); // two grants: a session, then the portal
      expect(rogue.jwksFetches).toBe(fetches + 1);
    },
    30_000,
  );

  it.each(['down', 'unreachable'] as const)(
    'JWKS %s after a good fetch: sign-ins go on with the last good keys for its lifetime, fetches back off, an unknown kid is refused, and the IdP is fetched again once back',
    async (fault) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const started = Date.now();
      const rp = newRelyingParty();
      const signIn = async () => rp.callback(await rp.authorize());
      expect((await signIn()).statusCode).toBe(303); // two grants: a session, then the portal; the JWKS fetched once
      const goodFetches = rogue.jwksFetches;

      jwksFault = fault;
      faultedJwksRequests = 0;
      advance(JWKS_MAX_AGE_MS); // the kept set is due a refetch
      expect((await signIn()).statusCode).toBe(303); // attempt 1 fails: the kept set verifies
      expect(faultedJwksRequests).toBe(1);
      expect((await signIn()).statusCode).toBe(303); // backing off: no attempt
      expect(faultedJwksRequests).toBe(1);
      advance(JWKS_BACKOFF_BASE_MS);
      expect((await signIn()).statusCode).toBe(303); // attempt 2 fails; next in 2 s
      expect(faultedJwksRequests).toBe(2);
      advance(JWKS_BACKOFF_BASE_MS);
      expect((await signIn()).statusCode).toBe(303);
      expect(faultedJwksRequests).toBe(2);
      advance(JWKS_BACKOFF_BASE_MS);
      expect((await signIn()).statusCode).toBe(303); // attempt 3
      expect(faultedJwksRequests).toBe(3);

      // A token signed with a key the kept set lacks (a rotation fedgate cannot see): refused as
      // the outage it is, not fetched while backing off, nothing assumed.
      rogue.scenario = { key: await rogueKey('rotated-during-outage') };
      expect(await codeOf(signIn)).toBe('temporarily_unavailable');
      expect(faultedJwksRequests).toBe(3);
      rogue.scenario = {};

      // Beyond the lifetime (the discovery cache's hour, after which the configuration is
      // discovered again with an empty key cache): no key set, so no sign-in.
      vi.setSystemTime(started + 3_600_000 + JWKS_MAX_AGE_MS);
      expect(await codeOf(signIn)).toBe('temporarily_unavailable');
      expect(rp.assumed).toEqual([]);

      // The IdP is back: after the back-off the JWKS is fetched again and sign-ins work.
      jwksFault = undefined;
      advance(JWKS_BACKOFF_BASE_MS);
      expect((await signIn()).statusCode).toBe(303);
      expect(rogue.jwksFetches).toBe(goodFetches + 1);
    },
    30_000,
  );
});
