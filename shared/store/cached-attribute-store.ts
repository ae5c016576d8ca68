import { type Clock, systemClock } from '../clock.js';
import type {
  AccountProfile,
  DenyRule,
  GatewayDefaults,
  GatewaySettings,
} from '../config/index.js';
import type { AttributeStore } from './ports.js';

interface Entry<T> {
  promise: Promise<T>;
  /** Epoch seconds; `undefined` while the load is in flight. */
  expiresAt: number | undefined;
}

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

/** A bounded map of loads by key: shares in-flight loads, keeps results for `ttlSeconds`. */
const createMemo = <T>(ttlSeconds: number, maxEntries: number, now: Clock) => {
  const ttlMs = ttlSeconds * 1000;
  const entries = new Map<string, Entry<T>>();
  return (key: string, load: () => Promise<T>): Promise<T> => {
    const hit = entries.get(key);
    if (hit && (hit.expiresAt === undefined || hit.expiresAt > now())) return hit.promise;
    entries.delete(key);
    const entry: Entry<T> = {
      promise: (async () => load())().then(
        (value) => {
          entry.expiresAt = now() + ttlMs;
          // One result is shared by every caller in the container: nobody may change it.
          return deepFreeze(value);
        },
        (err: unknown) => {
          // Failures are not cached: the next call tries again.
          if (entries.get(key) === entry) entries.delete(key);
          throw err;
        },
      ),
      expiresAt: undefined,
    };
    entries.set(key, entry);
    // Keys come from URLs (`/saml/{idp}/acs`), so the map must not grow without bound: drop the
    // oldest (Map keeps insertion order). An evicted in-flight load still settles for its callers.
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
    return entry.promise;
  };
};

/**
 * Wraps an attribute store with a per-container in-memory cache: each method's result is kept for
 * `ttlSeconds` (0: no cache), concurrent misses for one key share a single load, failures are not
 * kept, and cached results are frozen. Answers (including "no such IdP") may be up to
 * `ttlSeconds` old, which is how long a config change takes to reach a warm container.
 * @throws whatever the wrapped store throws (see {@link AttributeStore}).
 * @example
 * const attributes = createCachedAttributeStore(dynamoStore, { ttlSeconds: config.configCacheSeconds });
 */
export const createCachedAttributeStore = (
  store: AttributeStore,
  {
    ttlSeconds,
    clock = systemClock,
    maxEntries = 1000,
  }: { ttlSeconds: number; clock?: Clock; maxEntries?: number },
): AttributeStore => {
  if (ttlSeconds <= 0) return store;
  const idps = createMemo<Awaited<ReturnType<AttributeStore['getIdp']>>>(
    ttlSeconds,
    maxEntries,
    clock,
  );
  const lists = createMemo<Awaited<ReturnType<AttributeStore['listIdps']>>>(ttlSeconds, 1, clock);
  const accounts = createMemo<AccountProfile[]>(ttlSeconds, maxEntries, clock);
  const defaults = createMemo<GatewayDefaults>(ttlSeconds, 1, clock);
  const settings = createMemo<GatewaySettings>(ttlSeconds, 1, clock);
  const gatewayRules = createMemo<readonly DenyRule[]>(ttlSeconds, 1, clock);
  return {
    getIdp: (idpId) => idps(idpId, () => store.getIdp(idpId)),
    // A fresh array per call (callers may sort it); its elements are shared and frozen.
    listIdps: async () => [...(await lists('', () => store.listIdps()))],
    async getAccounts(accountIds) {
      const wanted = [...new Set(accountIds)];
      if (wanted.length === 0) return [];
      // One entry per set of ids, whatever order they are asked in.
      const sorted = [...wanted].sort();
      const found = await accounts(sorted.join(','), () => store.getAccounts(sorted));
      const byId = new Map(found.map((account) => [account.id, account]));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    },
    getDefaults: () => defaults('', () => store.getDefaults()),
    getSettings: () => settings('', () => store.getSettings()),
    // The same frozen array until it reloads: mappers are kept per rule set object.
    getGatewayRules: () => gatewayRules('', () => store.getGatewayRules()),
    // The directory keeps its own, shorter cache (the IdP's directory.cacheSeconds).
    ...(store.joinDirectory ? { joinDirectory: store.joinDirectory.bind(store) } : {}),
  };
};
