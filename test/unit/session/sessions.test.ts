import { describe, expect, it } from 'vitest';
import { type GatewayConfig, parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache } from '../../../shared/mapping/index.js';
import {
  createSessionService,
  csrfTokenOf,
  isCsrfTokenOf,
  parseSessionToken,
  type SessionIdentity,
  sessionIdOf,
} from '../../../shared/session/index.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemorySessionStore } from '../../support/memory-session-store.js';

const ADMIN = 'arn:aws:iam::111111111111:role/admin';
const DEV = 'arn:aws:iam::111111111111:role/dev';

const baseConfig = (rules: unknown[], session?: object) =>
  parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'okta',
        displayName: 'Okta',
        protocol: 'oidc',
        oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
        ...(session ? { session } : {}),
        rules,
      },
    ],
  });

const ALLOW_ADMIN = {
  id: 'admins',
  priority: 10,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
  grant: { roleArn: ADMIN },
};
const ALLOW_DEV = {
  id: 'devs',
  priority: 20,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
  grant: { roleArn: DEV },
};

const alice: SessionIdentity = {
  idp: 'okta',
  protocol: 'oidc',
  issuer: 'https://okta.example.com',
  subject: '00u1alice',
  subjectRef: hashSubject('okta:00u1alice'),
  claims: { groups: ['admins', 'devs'] },
};

/** A session service over an in-memory table whose config the test can swap between uses. */
const rig = (initial: GatewayConfig) => {
  let config = initial;
  let nowMs = Date.UTC(2026, 11, 7, 9, 0, 0);
  const store = createMemorySessionStore(() => nowMs);
  const attributes = {
    getIdp: (id: string) => createMemoryAttributeStore(config).getIdp(id),
    listIdps: () => createMemoryAttributeStore(config).listIdps(),
    getAccounts: (ids: readonly string[]) => createMemoryAttributeStore(config).getAccounts(ids),
    getDefaults: () => createMemoryAttributeStore(config).getDefaults(),
    getSettings: () => createMemoryAttributeStore(config).getSettings(),
    getGatewayRules: () => createMemoryAttributeStore(config).getGatewayRules(),
  };
  // A new mapper cache per config, as the cached attribute store hands back a new IdP object.
  const sessions = createSessionService({
    store,
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor: (idp) => createMapperCache(attributes)(idp),
    log: { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} },
    clock: () => nowMs,
  });
  return {
    store,
    sessions,
    setConfig: (c: GatewayConfig) => {
      config = c;
    },
    advance: (seconds: number) => {
      nowMs += seconds * 1000;
    },
    idp: () => config.idps[0] as GatewayConfig['idps'][number],
  };
};

const roles = (live: { grants: readonly { roleArn: string }[] }) =>
  live.grants.map((g) => g.roleArn).sort();

describe('sessions', () => {
  it('remember the identity, never grants, and store only a hash of the secret', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN, ALLOW_DEV]));
    const { tokenValue, record } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    expect(record).not.toHaveProperty('grants');
    const token = parseSessionToken(tokenValue);
    expect(token).toBeDefined();
    const [id] = [...r.store.sessions.keys()];
    expect(id).toBe(sessionIdOf(token as NonNullable<typeof token>));
    const stored = JSON.stringify([...r.store.sessions]);
    expect(stored).not.toContain((token as NonNullable<typeof token>).secret);
    expect(stored).not.toContain(ADMIN);
  });

  it('re-evaluate the current rules at every use: a removed rule, a new deny, a removed IdP', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN, ALLOW_DEV]));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    expect(roles(await r.sessions.resume(tokenValue, { kind: 'browser' }))).toEqual([ADMIN, DEV]);

    r.setConfig(baseConfig([ALLOW_DEV]));
    expect(roles(await r.sessions.resume(tokenValue, { kind: 'browser' }))).toEqual([DEV]);

    r.setConfig(
      baseConfig([ALLOW_ADMIN, ALLOW_DEV, { id: 'freeze', priority: 1, effect: 'deny', when: [] }]),
    );
    expect((await r.sessions.resume(tokenValue, { kind: 'browser' })).grants).toEqual([]);

    r.setConfig(
      parseGatewayConfig({
        version: 1,
        idps: [
          {
            id: 'other',
            displayName: 'Other',
            protocol: 'oidc',
            oidc: { issuer: 'https://o.example.com', clientId: 'c' },
          },
        ],
      }),
    );
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('a disabled account takes effect at the next use, and only for roles in it', async () => {
    const OTHER = 'arn:aws:iam::222222222222:role/reader';
    const withAccounts = (disabled: boolean) =>
      parseGatewayConfig({
        version: 1,
        accounts: [
          { id: '111111111111', alias: 'sandbox', ...(disabled ? { disabled } : {}) },
          { id: '222222222222', alias: 'prod' },
        ],
        idps: [
          {
            id: 'okta',
            displayName: 'Okta',
            protocol: 'oidc',
            oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
            rules: [
              ALLOW_ADMIN,
              ALLOW_DEV,
              { ...ALLOW_DEV, id: 'readers', priority: 30, grant: { roleArn: OTHER } },
            ],
          },
        ],
      });
    const r = rig(withAccounts(false));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    expect(roles(await r.sessions.resume(tokenValue, { kind: 'browser' }))).toEqual([
      ADMIN,
      DEV,
      OTHER,
    ]);
    r.setConfig(withAccounts(true));
    expect(roles(await r.sessions.resume(tokenValue, { kind: 'browser' }))).toEqual([OTHER]);
  });

  it('cost one read per use, and no write when nothing changed within a minute', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN]));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    const live = await r.sessions.resume(tokenValue, { kind: 'browser' });
    await r.sessions.touch(live);
    expect(r.store.calls).toMatchObject({ read: 1, touch: 0 });
    await r.sessions.touch(live, live.grants[0]?.id);
    expect(r.store.calls.touch).toBe(1);
    expect((await r.sessions.resume(tokenValue, { kind: 'browser' })).recent).toEqual([
      live.grants[0]?.id,
    ]);
  });

  it('end at the idle timeout and at the maximum lifetime, from the IdP’s current settings', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN], { maxSeconds: 3600, idleSeconds: 900 }));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    r.advance(800);
    const live = await r.sessions.resume(tokenValue, { kind: 'browser' });
    await r.sessions.touch(live);
    r.advance(800);
    await r.sessions.resume(tokenValue, { kind: 'browser' });
    r.advance(901);
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });

    const second = await r.sessions.start({ identity: alice, idp: r.idp(), kind: 'browser' });
    // Lowering the IdP's maximum shortens sessions that are already live.
    r.setConfig(baseConfig([ALLOW_ADMIN], { maxSeconds: 900, idleSeconds: 900 }));
    r.advance(600);
    await r.sessions.resume(second.tokenValue, { kind: 'browser' });
    r.advance(301);
    await expect(r.sessions.resume(second.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('never outlive the upstream’s SessionNotOnOrAfter or the client’s bound', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN]));
    const now = Date.UTC(2026, 11, 7, 9, 0, 0) / 1000;
    const a = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
      upstreamEndsAt: now + 1200,
    });
    expect(a.record.endsAt).toBe(now + 1200);
    const b = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'spa',
      client: 'app',
      clientMaxSeconds: 600,
    });
    expect(b.record.endsAt).toBe(now + 600);
    await expect(
      r.sessions.start({ identity: alice, idp: r.idp(), kind: 'browser', upstreamEndsAt: now }),
    ).rejects.toMatchObject({ code: 'session_invalid' });
  });

  it('are refused after a revocation of their subject, IdP or everyone, and not before', async () => {
    for (const scope of [
      { kind: 'subject' as const, idp: 'okta', subjectRef: alice.subjectRef },
      { kind: 'idp' as const, idp: 'okta' },
      { kind: 'all' as const },
    ]) {
      const r = rig(baseConfig([ALLOW_ADMIN]));
      const { tokenValue } = await r.sessions.start({
        identity: alice,
        idp: r.idp(),
        kind: 'browser',
      });
      // Another subject's mark does not touch this session.
      await r.store.revoke(
        { kind: 'subject', idp: 'okta', subjectRef: 'ffffffffffffffff' },
        9e15,
        9e12,
      );
      await r.sessions.resume(tokenValue, { kind: 'browser' });
      r.advance(1);
      await r.store.revoke(scope, Date.UTC(2026, 11, 7, 9, 0, 1), 9e12);
      await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
        code: 'session_revoked',
      });
      // A sign-in after the revocation is a new session and works.
      r.advance(1);
      const again = await r.sessions.start({ identity: alice, idp: r.idp(), kind: 'browser' });
      expect(roles(await r.sessions.resume(again.tokenValue, { kind: 'browser' }))).toEqual([
        ADMIN,
      ]);
    }
  });

  it('refuse a forged, edited or malformed item beyond what its identity gets now', async () => {
    const r = rig(baseConfig([ALLOW_DEV]));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    const [id, item] = [...r.store.sessions][0] as [string, { data: string }];
    // An item edited to hold grants gets nothing from them: only the rules decide.
    const edited = JSON.parse(item.data);
    edited.grants = [{ id: 'x', roleArn: ADMIN }];
    item.data = JSON.stringify(edited);
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
    // A well-formed record whose identity is someone else's than its token names is refused.
    const other = JSON.parse(r.store.sessions.get(id)?.data ?? '{}');
    delete other.grants;
    other.identity.subjectRef = 'ffffffffffffffff';
    item.data = JSON.stringify(other);
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
    // Truncated JSON.
    item.data = '{"v":1';
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toBeDefined();
  });

  it('refuse an item dated ahead or naming a subject its reference is not of: no dodging revocation, lifetime or idle timeout', async () => {
    const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
    const edit = (
      r: ReturnType<typeof rig>,
      change: (record: { createdAt: number; identity: { subject: string } }) => void,
    ) => {
      const item = [...r.store.sessions.values()][0] as { data: string };
      const record = JSON.parse(item.data);
      change(record);
      item.data = JSON.stringify(record);
    };

    // Created "tomorrow": a mark of its subject written now would never be newer than it, and
    // its maximum lifetime would count from tomorrow.
    const ahead = rig(baseConfig([ALLOW_ADMIN]));
    const a = await ahead.sessions.start({ identity: alice, idp: ahead.idp(), kind: 'browser' });
    edit(ahead, (rec) => {
      rec.createdAt = T0 + 86_400_000;
    });
    ahead.advance(1);
    await ahead.store.revoke(
      { kind: 'subject', idp: 'okta', subjectRef: alice.subjectRef },
      T0 + 1000,
      9e12,
    );
    await expect(ahead.sessions.resume(a.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });

    // Last used "tomorrow": it would never be idle.
    const idle = rig(baseConfig([ALLOW_ADMIN], { maxSeconds: 28_800, idleSeconds: 900 }));
    const b = await idle.sessions.start({ identity: alice, idp: idle.idp(), kind: 'browser' });
    const item = [...idle.store.sessions.values()][0] as { lastUsedAt: number };
    item.lastUsedAt = T0 + 86_400_000;
    idle.advance(1000);
    await expect(idle.sessions.resume(b.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });

    // Bob's subject under Alice's reference: a revocation of Bob reads Bob's mark, which this
    // session's token does not name, while AWS would see Bob's SourceIdentity.
    const swapped = rig(baseConfig([ALLOW_ADMIN]));
    const c = await swapped.sessions.start({
      identity: alice,
      idp: swapped.idp(),
      kind: 'browser',
    });
    edit(swapped, (rec) => {
      rec.identity.subject = '00u1bob';
    });
    await expect(swapped.sessions.resume(c.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
    // Nor is one started: an identity read from a forged hand-off item (a one-time code, a
    // confirmation, a CLI approval) with another person's reference gets no session at all.
    const writes = swapped.store.calls.create;
    await expect(
      swapped.sessions.start({
        identity: { ...alice, subject: '00u1bob' },
        idp: swapped.idp(),
        kind: 'spa',
        client: 'app',
      }),
    ).rejects.toMatchObject({ code: 'session_invalid' });
    expect(swapped.store.calls.create).toBe(writes);
  });

  it('belong to one kind of client', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN]));
    const spa = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'spa',
      client: 'app',
    });
    await expect(r.sessions.resume(spa.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
    await expect(
      r.sessions.resume(spa.tokenValue, { kind: 'spa', client: 'other' }),
    ).rejects.toMatchObject({ code: 'session_invalid' });
    await r.sessions.resume(spa.tokenValue, { kind: 'spa', client: 'app' });
  });

  it('refuse malformed, unknown and signed-out tokens', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN]));
    for (const bad of [undefined, '', 'x', 'okta.0123456789abcdef.short', `${'a'.repeat(200)}`]) {
      await expect(r.sessions.resume(bad, { kind: 'browser' })).rejects.toMatchObject({
        code: 'session_invalid',
      });
    }
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    await r.sessions.end(tokenValue);
    await expect(r.sessions.resume(tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_invalid',
    });
  });

  it('derive a CSRF token from the secret, one-way', async () => {
    const r = rig(baseConfig([ALLOW_ADMIN]));
    const { tokenValue } = await r.sessions.start({
      identity: alice,
      idp: r.idp(),
      kind: 'browser',
    });
    const token = parseSessionToken(tokenValue) as NonNullable<
      ReturnType<typeof parseSessionToken>
    >;
    const csrf = csrfTokenOf(token);
    expect(csrf).not.toContain(token.secret);
    expect(isCsrfTokenOf(token, csrf)).toBe(true);
    expect(isCsrfTokenOf(token, undefined)).toBe(false);
    expect(isCsrfTokenOf(token, `${csrf.slice(0, -1)}A`)).toBe(csrf.endsWith('A'));
  });
});
