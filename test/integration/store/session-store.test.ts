import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache } from '../../../shared/mapping/index.js';
import {
  createSessionService,
  parseSessionToken,
  type SessionIdentity,
} from '../../../shared/session/index.js';
import { createDynamoSessionStore } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';

const dynamo = useDynamoDb();
// Fake time, but ahead of the real clock: DynamoDB Local's TTL deletes items whose expiresAt is
// in the real past, so a fixed date would make these sessions vanish once the calendar passes it.
// The next whole hour a day from now: far enough that no test's session expires for real.
const T = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000;

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'oidc',
      oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
      session: { maxSeconds: 3600, idleSeconds: 900 },
      rules: [
        {
          id: 'admins',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/admin' },
        },
      ],
    },
  ],
});

const identity = (subject: string): SessionIdentity => ({
  idp: 'okta',
  protocol: 'oidc',
  issuer: 'https://okta.example.com',
  subject,
  subjectRef: hashSubject(`okta:${subject}`),
  claims: { groups: ['admins'] },
});

/** A session service as one Lambda container builds it: its own client, its own clock. */
const container = (nowMs: () => number) => {
  const attributes = createMemoryAttributeStore(config);
  return createSessionService({
    store: createDynamoSessionStore({
      client: dynamo.createClient(),
      tableName: dynamo.names.stateTableName,
      clock: nowMs,
    }),
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor: createMapperCache(attributes),
    log: captureLogger(),
    clock: nowMs,
  });
};

const scanAll = async () =>
  JSON.stringify(
    (
      await dynamo
        .createClient()
        .send(new ScanCommand({ TableName: dynamo.names.stateTableName, ConsistentRead: true }))
    ).Items,
  );

describe('sessions on DynamoDB Local', () => {
  it('are shared by containers, and the table never holds a token or its secret', async () => {
    let now = T;
    const a = container(() => now);
    const b = container(() => now);
    const { tokenValue } = await a.start({
      identity: identity('00u1alice'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    const live = await b.resume(tokenValue, { kind: 'browser' });
    expect(live.grants.map((g) => g.roleArn)).toEqual(['arn:aws:iam::111111111111:role/admin']);
    await b.touch(live, live.grants[0]?.id);
    expect((await a.resume(tokenValue, { kind: 'browser' })).recent).toEqual([live.grants[0]?.id]);
    const table = await scanAll();
    const token = parseSessionToken(tokenValue);
    expect(table).not.toContain(tokenValue);
    expect(table).not.toContain(token?.secret);
    now += 1;
  });

  it('end at the idle timeout and the maximum lifetime, read from the table with fake time', async () => {
    let now = T + 10_000;
    const c = container(() => now);
    const { tokenValue } = await c.start({
      identity: identity('00u1bob'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    now += 899_000;
    await c.touch(await c.resume(tokenValue, { kind: 'browser' }));
    now += 899_000;
    await c.touch(await c.resume(tokenValue, { kind: 'browser' }));
    now += 901_000;
    await expect(c.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
    const again = await c.start({
      identity: identity('00u1bob'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    for (let i = 0; i < 4; i++) {
      now += 850_000;
      await c.touch(await c.resume(again.tokenValue, { kind: 'browser' }));
    }
    now += 300_000; // 3,700 s after the start: past the 1 h maximum, though never idle
    await expect(c.resume(again.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('a revocation mark written by one container ends the sessions another reads, in one read', async () => {
    let now = T + 100_000;
    const a = container(() => now);
    const b = container(() => now);
    const carol = await a.start({
      identity: identity('00u1carol'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    const dave = await a.start({
      identity: identity('00u1dave'),
      idp: config.idps[0] as never,
      kind: 'cli',
      client: 'laptop',
    });
    now += 1000;
    const store = createDynamoSessionStore({
      client: dynamo.createClient(),
      tableName: dynamo.names.stateTableName,
      clock: () => now,
    });
    await store.revoke(
      { kind: 'subject', idp: 'okta', subjectRef: hashSubject('okta:00u1carol') },
      now,
      Math.floor(now / 1000) + 86_400,
    );
    await expect(b.resume(carol.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
    await b.resume(dave.tokenValue, { kind: 'cli', client: 'laptop' });
    await store.revoke({ kind: 'idp', idp: 'okta' }, now, Math.floor(now / 1000) + 86_400);
    await expect(
      b.resume(dave.tokenValue, { kind: 'cli', client: 'laptop' }),
    ).rejects.toMatchObject({ code: 'session_revoked' });
    // An older mark cannot move the newer one back.
    await store.revoke(
      { kind: 'idp', idp: 'okta' },
      now - 500_000,
      Math.floor(now / 1000) + 86_400,
    );
    await expect(
      b.resume(dave.tokenValue, { kind: 'cli', client: 'laptop' }),
    ).rejects.toMatchObject({ code: 'session_revoked' });
    now += 1;
    const fresh = await a.start({
      identity: identity('00u1dave'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    await b.resume(fresh.tokenValue, { kind: 'browser' });
    const listed = [];
    for await (const s of store.list()) listed.push(s);
    expect(listed.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(listed)).not.toContain(parseSessionToken(fresh.tokenValue)?.secret);
  });

  it('refuses a forged item: a record edited to name another identity than its token', async () => {
    const now = T + 200_000;
    const c = container(() => now);
    const { tokenValue } = await c.start({
      identity: identity('00u1erin'),
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    const token = parseSessionToken(tokenValue);
    // The same secret under another person's scopes: the token now names someone else.
    const forged = `okta.${hashSubject('okta:00u1frank')}.${token?.secret}`;
    await expect(c.resume(forged, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });
});
