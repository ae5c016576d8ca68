import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SpaClient, SpaClientSchema } from '../../../shared/config/index.js';
import type { AwsSession, RoleAssumption, SignedInPerson } from '../../../shared/handback/index.js';
import { errorMiddleware, type HttpResponse, securityHeaders } from '../../../shared/http/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import {
  createSpaEndpoints,
  createStaticSpaClients,
  issueSpaCode,
  SPA_CODE_TTL_SECONDS,
  spaCors,
} from '../../../shared/spa/index.js';
import { apiEvent, captureLogger, lambdaContext } from '../../support/events.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';

const ORIGIN = 'https://app.example.com';
const client: SpaClient = SpaClientSchema.parse({
  id: 'app',
  origin: ORIGIN,
  returnPaths: ['/callback'],
  sessionMaxSeconds: 3600,
});
const person: SignedInPerson = { idp: 'corp', protocol: 'oidc', subjectRef: 'abc123' };
const grant = (id: string, durationSeconds = 3600): Grant => ({
  id,
  ruleId: `rule-${id}`,
  roleArn: `arn:aws:iam::111111111111:role/${id}`,
  accountId: '111111111111',
  label: id,
  durationSeconds,
  sessionName: 'alice',
  tags: [{ key: 'team', value: 'blue' }],
  transitiveTagKeys: [],
});
const VERIFIER = 'dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUE';
const CHALLENGE = createHash('sha256')
  .update('dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2sYhsLmP2sUE')
  .digest('base64url');

let clock: number;
let state: ReturnType<typeof createMemoryStateStore>;
let assumed: { grant: Grant; person: SignedInPerson }[];

const assume: RoleAssumption = async (g, p) => {
  assumed.push({ grant: g, person: p });
  const session: AwsSession = {
    accessKeyId: `ASIA${assumed.length}`,
    secretAccessKey: 'secret',
    sessionToken: 'token',
    expiration: new Date((clock + g.durationSeconds) * 1000),
  };
  return session;
};

const clients = createStaticSpaClients([client]);
let counted: { name: string; dimensions: Record<string, string> }[] = [];
const meter = {
  count: (name: string, dimensions: Record<string, string>) => counted.push({ name, dimensions }),
  milliseconds: () => undefined,
};
const endpoints = () =>
  createSpaEndpoints({ clients, state, assume, log: captureLogger(), meter, now: () => clock });

// The SPA routes as the function wires them (error middleware + CORS), for whole responses.
const handlerFor = (route: (e: APIGatewayProxyEventV2) => Promise<HttpResponse>) =>
  middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(securityHeaders())
    .use(spaCors(clients))
    .use(errorMiddleware({ logger: captureLogger(), format: 'json' }))
    .handler(route);

const post = (path: string, body: unknown, opts: { origin?: string; cookie?: string } = {}) =>
  apiEvent({
    method: 'POST',
    path,
    rawQueryString: 'client_id=app',
    headers: { origin: opts.origin ?? ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(opts.cookie ? { cookies: [opts.cookie] } : {}),
  });

const issue = (grants: Grant[], upstreamExpiresAt = clock + 7200) =>
  issueSpaCode(
    state,
    { client: 'app', person, grants, codeChallenge: CHALLENGE, upstreamExpiresAt },
    clock,
  );

const cookieOf = (res: HttpResponse) => (res.cookies?.[0] ?? '').split(';')[0] ?? '';
const bodyOf = (res: HttpResponse) => JSON.parse(String(res.body)) as Record<string, unknown>;

beforeEach(() => {
  clock = 1_800_000_000;
  state = createMemoryStateStore(() => clock);
  assumed = [];
});

describe('redeeming a one-time code', () => {
  it('the RFC 7636 verifier redeems; the session ends at the client maximum', async () => {
    const code = await issue([grant('dev')]);
    const res = await endpoints().credentials(
      post('/credentials', { code, code_verifier: VERIFIER }),
    );
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      AccessKeyId: 'ASIA1',
      role: { id: 'dev' },
      tags: { team: 'blue' },
      identity: { idp: 'corp', subject: 'abc123' },
      session: { endsAt: new Date((clock + 3600) * 1000).toISOString() },
    });
    expect(res.cookies?.[0]).toMatch(/Max-Age=3600; Path=\/; Secure; HttpOnly; SameSite=None$/);
  });

  it('the session is bounded by the upstream login when that ends first', async () => {
    const code = await issue([grant('dev')], clock + 1200);
    const res = await endpoints().credentials(
      post('/credentials', { code, code_verifier: VERIFIER }),
    );
    expect(res.cookies?.[0]).toContain('Max-Age=1200;');
    // Credentials last no longer than the session, but at least STS's 900 s.
    expect(assumed[0]?.grant.durationSeconds).toBe(1200);
  });

  it('a code older than 60 s is refused', async () => {
    const code = await issue([grant('dev')]);
    clock += SPA_CODE_TTL_SECONDS;
    const res = await handlerFor((e) => endpoints().credentials(e))(
      post('/credentials', { code, code_verifier: VERIFIER }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toBe('spa_code_invalid');
    expect(assumed).toEqual([]);
  });

  it("another client's code is refused", async () => {
    const code = await issueSpaCode(
      state,
      {
        client: 'other',
        person,
        grants: [grant('dev')],
        codeChallenge: CHALLENGE,
        upstreamExpiresAt: clock + 60 * 60,
      },
      clock,
    );
    await expect(
      endpoints().credentials(post('/credentials', { code, code_verifier: VERIFIER })),
    ).rejects.toMatchObject({ code: 'spa_code_invalid' });
  });

  it.each([
    ['a short verifier', { code: 'x'.repeat(43), code_verifier: 'short' }],
    [
      'an extra field',
      { code: 'x'.repeat(43), code_verifier: VERIFIER, role: 'arn:aws:iam::1:role/x' },
    ],
    ['a malformed code', { code: 'a b', code_verifier: VERIFIER }],
  ])('%s is invalid_request', async (_, body) => {
    await expect(endpoints().credentials(post('/credentials', body))).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('the session', () => {
  const start = async (grants: Grant[]) => {
    const code = await issue(grants);
    const res = await endpoints().credentials(
      post('/credentials', { code, code_verifier: VERIFIER }),
    );
    return cookieOf(res);
  };

  it('refresh works until the session maximum, then stops', async () => {
    const cookie = await start([grant('dev')]);
    clock += 3000;
    const fresh = await endpoints().credentials(post('/credentials', {}, { cookie }));
    expect(fresh.statusCode).toBe(200);
    // 600 s left, but STS's minimum is 900 s.
    expect(assumed[1]?.grant.durationSeconds).toBe(900);
    clock += 600;
    const res = await handlerFor((e) => endpoints().credentials(e))(
      post('/credentials', {}, { cookie }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res).error).toBe('spa_session_invalid');
    expect(assumed).toHaveLength(2);
  });

  it('counts one sign-in when a code becomes a session, none for a refresh', async () => {
    counted = [];
    const cookie = await start([grant('dev')]);
    expect(counted).toEqual([{ name: 'SignIns', dimensions: { protocol: 'oidc', target: 'spa' } }]);
    await endpoints().credentials(post('/credentials', {}, { cookie }));
    expect(counted).toHaveLength(1);
  });

  it('logout deletes the session: refresh stops', async () => {
    const cookie = await start([grant('dev')]);
    const out = await endpoints().logout(post('/logout', {}, { cookie }));
    expect(out.statusCode).toBe(204);
    expect(out.cookies).toEqual([
      '__Host-fedgate-spa-app=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=None',
    ]);
    await expect(
      endpoints().credentials(post('/credentials', {}, { cookie })),
    ).rejects.toMatchObject({ code: 'spa_session_invalid' });
  });

  it('role ids not granted are refused; granted ones by opaque id only', async () => {
    const cookie = await start([grant('dev'), grant('admin')]);
    const listed = bodyOf(await endpoints().grants(post('/grants', {}, { cookie })));
    expect(listed.grants).toEqual([
      { id: 'dev', label: 'dev', accountId: '111111111111' },
      { id: 'admin', label: 'admin', accountId: '111111111111' },
    ]);
    for (const g of ['other', 'arn:aws:iam::111111111111:role/dev']) {
      await expect(
        endpoints().credentials(post('/credentials', { grant: g }, { cookie })),
      ).rejects.toMatchObject({ code: 'spa_grant_not_allowed', status: 403 });
    }
    await expect(
      endpoints().credentials(post('/credentials', {}, { cookie })),
    ).rejects.toMatchObject({ code: 'spa_grant_required' });
    const res = await endpoints().credentials(post('/credentials', { grant: 'admin' }, { cookie }));
    expect(bodyOf(res)).toMatchObject({ role: { id: 'admin' } });
    expect(assumed.map((a) => a.grant.roleArn)).toEqual(['arn:aws:iam::111111111111:role/admin']);
  });

  it('a foreign origin with a valid cookie gets nothing (CSRF): no STS call, no CORS', async () => {
    const cookie = await start([grant('dev')]);
    const res = await handlerFor((e) => endpoints().credentials(e))(
      post('/credentials', {}, { cookie, origin: 'https://evil.example' }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toBe('spa_origin_not_allowed');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
    expect(assumed).toHaveLength(1);
  });

  it('errors to the client origin carry the CORS grant, so the SPA can read the code', async () => {
    const res = await handlerFor((e) => endpoints().credentials(e))(
      post('/credentials', {}),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(401);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-credentials': 'true',
      'cache-control': 'no-store',
    });
  });

  it('an unknown client_id gets spa_client_unknown and no CORS', async () => {
    const event = post('/credentials', {});
    event.rawQueryString = 'client_id=nope';
    const res = await handlerFor((e) => endpoints().credentials(e))(event, lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toBe('spa_client_unknown');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the preflight answers the client origin only', async () => {
    const pre = (origin: string) =>
      handlerFor((e) => endpoints().preflight(e))(
        apiEvent({
          method: 'OPTIONS',
          path: '/credentials',
          rawQueryString: 'client_id=app',
          headers: { origin },
        }),
        lambdaContext(),
      );
    const ok = await pre(ORIGIN);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    const bad = await pre('https://app.example.com.evil.example');
    expect(bad.statusCode).toBe(403);
    expect(bad.headers['access-control-allow-origin']).toBeUndefined();
  });
});
