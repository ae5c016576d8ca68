import { describe, expect, it, vi } from 'vitest';
import type { AccountProfile, IdpConfig } from '../../../shared/config/index.js';
import { type AttributeStore, createCachedAttributeStore } from '../../../shared/store/index.js';
import { sampleConfig } from '../../fixtures/gateway-config.sample.js';
import { clockAtSeconds } from '../../support/clock.js';

const config = sampleConfig();
const okta = structuredClone(config.idps[0]!) as IdpConfig;
const accounts = structuredClone(config.accounts) as AccountProfile[];

/** A store whose methods count calls; each call returns a fresh copy, like a real read. */
const createFakeStore = () => {
  const store = {
    getIdp: vi.fn(async (id: string) => (id === 'okta' ? structuredClone(okta) : undefined)),
    listIdps: vi.fn(async () => [
      { id: 'okta', displayName: 'Okta', protocol: 'saml' as const, listed: true },
    ]),
    getAccounts: vi.fn(async (ids: readonly string[]) =>
      structuredClone(accounts.filter((a) => ids.includes(a.id))),
    ),
    getDefaults: vi.fn(async () => structuredClone(config.defaults)),
    getSettings: vi.fn(async () => ({ portal: { regions: ['us-east-1'] } })),
    getGatewayRules: vi.fn(async () => structuredClone(config.gatewayRules)),
  } satisfies AttributeStore;
  return store;
};

// Seconds on the one fake clock (test/support/clock.ts).
const clock = (start = 1000) => {
  const c = clockAtSeconds(start);
  return { now: c, advance: (s: number) => c.advance(s * 1000) };
};

describe('createCachedAttributeStore', () => {
  it('serves repeated reads from memory for ttlSeconds, then reads again', async () => {
    const inner = createFakeStore();
    const time = clock();
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: time.now });
    const first = await cached.getIdp('okta');
    expect(await cached.getIdp('okta')).toBe(first);
    time.advance(59.9);
    await cached.getIdp('okta');
    expect(inner.getIdp).toHaveBeenCalledTimes(1);
    time.advance(0.1);
    expect(await cached.getIdp('okta')).toEqual(first);
    expect(inner.getIdp).toHaveBeenCalledTimes(2);
  });

  it('caches per IdP id, including "no such IdP"', async () => {
    const inner = createFakeStore();
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: clock().now });
    await cached.getIdp('okta');
    await cached.getIdp('nobody');
    await cached.getIdp('nobody');
    expect(inner.getIdp.mock.calls).toEqual([['okta'], ['nobody']]);
  });

  it('shares one in-flight load between concurrent misses for the same key', async () => {
    const inner = createFakeStore();
    let release: () => void = () => undefined;
    inner.getIdp.mockImplementationOnce(
      () => new Promise((done) => (release = () => done(structuredClone(okta)))),
    );
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: clock().now });
    const pending = Promise.all([
      cached.getIdp('okta'),
      cached.getIdp('okta'),
      cached.getIdp('okta'),
    ]);
    release();
    const [a, b, c] = await pending;
    expect(inner.getIdp).toHaveBeenCalledTimes(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('does not cache failures: every waiter sees it, the next call tries again', async () => {
    const inner = createFakeStore();
    const boom = Object.assign(new Error('throttled'), { code: 'temporarily_unavailable' });
    inner.getIdp.mockRejectedValueOnce(boom);
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: clock().now });
    const results = await Promise.allSettled([cached.getIdp('okta'), cached.getIdp('okta')]);
    expect(results).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    await expect(cached.getIdp('okta')).resolves.toMatchObject({ id: 'okta' });
    expect(inner.getIdp).toHaveBeenCalledTimes(2);
  });

  it('also fails without caching when the wrapped store throws synchronously', async () => {
    const inner = createFakeStore();
    inner.listIdps.mockImplementationOnce(() => {
      throw new Error('sync');
    });
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: clock().now });
    await expect(cached.listIdps()).rejects.toThrow('sync');
    await expect(cached.listIdps()).resolves.toHaveLength(1);
  });

  it('freezes what it shares, but hands each caller its own list', async () => {
    const cached = createCachedAttributeStore(createFakeStore(), {
      ttlSeconds: 60,
      clock: clock().now,
    });
    const idp = await cached.getIdp('okta');
    expect(Object.isFrozen(idp)).toBe(true);
    expect(Object.isFrozen(idp?.rules[0])).toBe(true);
    const list = await cached.listIdps();
    expect(list).not.toBe(await cached.listIdps());
    expect(() => list.sort()).not.toThrow();
    expect(Object.isFrozen(list[0])).toBe(true);
  });

  it('caches accounts per set of ids, whatever the order, and answers in the order asked', async () => {
    const inner = createFakeStore();
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: clock().now });
    const one = await cached.getAccounts(['444455556666', '111122223333']);
    const two = await cached.getAccounts(['111122223333', '444455556666', '111122223333']);
    expect(one.map((a) => a.alias)).toEqual(['dev', 'prod']);
    expect(two.map((a) => a.alias)).toEqual(['prod', 'dev']);
    expect(inner.getAccounts).toHaveBeenCalledTimes(1);
    expect(inner.getAccounts).toHaveBeenCalledWith(['111122223333', '444455556666']);
    await expect(cached.getAccounts([])).resolves.toEqual([]);
    expect(inner.getAccounts).toHaveBeenCalledTimes(1);
  });

  it('caches the defaults for ttlSeconds, frozen, and does not cache a failure', async () => {
    const inner = createFakeStore();
    const boom = Object.assign(new Error('throttled'), { code: 'temporarily_unavailable' });
    inner.getDefaults.mockRejectedValueOnce(boom);
    const time = clock();
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: time.now });
    await expect(cached.getDefaults()).rejects.toBe(boom);
    const [a, b] = await Promise.all([cached.getDefaults(), cached.getDefaults()]);
    expect(a).toEqual({ sessionDurationSeconds: 7200, sessionName: '{subject}' });
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(inner.getDefaults).toHaveBeenCalledTimes(2);
    time.advance(60);
    await cached.getDefaults();
    expect(inner.getDefaults).toHaveBeenCalledTimes(3);
  });

  it('caches the gateway rules for ttlSeconds as one frozen array (mappers are kept per array)', async () => {
    const inner = createFakeStore();
    const time = clock();
    const cached = createCachedAttributeStore(inner, { ttlSeconds: 60, clock: time.now });
    const first = await cached.getGatewayRules();
    expect(first).toEqual(config.gatewayRules);
    expect(first.length).toBeGreaterThan(0);
    expect(await cached.getGatewayRules()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0]?.when)).toBe(true);
    expect(inner.getGatewayRules).toHaveBeenCalledTimes(1);
    time.advance(61);
    expect(await cached.getGatewayRules()).not.toBe(first);
    expect(inner.getGatewayRules).toHaveBeenCalledTimes(2);
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const inner = createFakeStore();
    const cached = createCachedAttributeStore(inner, {
      ttlSeconds: 60,
      clock: clock().now,
      maxEntries: 2,
    });
    for (const id of ['a', 'b', 'c']) await cached.getIdp(id);
    await cached.getIdp('c');
    await cached.getIdp('a');
    expect(inner.getIdp.mock.calls.map(([id]) => id)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('with ttlSeconds 0 is the wrapped store itself', () => {
    const inner = createFakeStore();
    expect(createCachedAttributeStore(inner, { ttlSeconds: 0 })).toBe(inner);
  });
});
