import { type Clock, epochSeconds, systemClock } from '../../shared/clock.js';
import { StateItemExistsError, type StateKey, type StateStore } from '../../shared/store/index.js';

/**
 * An in-memory StateStore with the DynamoDB adapter's semantics (single-use consume, expiry on
 * every read, conditional put), for unit tests of flows. Integration tests use DynamoDB Local.
 */
export const createMemoryStateStore = (clock: Clock = systemClock) => {
  // Items expire in epoch seconds (`expiresAt`, DynamoDB's TTL), read from the one clock.
  const now = () => epochSeconds(clock);
  const items = new Map<string, { data: string; expiresAt: number }>();
  const live = (key: string) => {
    const item = items.get(key);
    return item && item.expiresAt > now() ? item : undefined;
  };
  const store: StateStore & { items: typeof items } = {
    items,
    async put(key: StateKey, data: unknown, expiresAt: number) {
      if (live(key)) throw new StateItemExistsError(key.slice(0, key.indexOf('#') + 1));
      items.set(key, { data: JSON.stringify(data), expiresAt });
    },
    async consume(key: StateKey) {
      const item = live(key);
      items.delete(key);
      return item ? JSON.parse(item.data) : undefined;
    },
    async get(key: StateKey) {
      const item = live(key);
      return item ? JSON.parse(item.data) : undefined;
    },
    async update(key: StateKey, data: unknown, expiresAt: number) {
      if (!live(key)) return false;
      items.set(key, { data: JSON.stringify(data), expiresAt });
      return true;
    },
    async delete(key: StateKey) {
      items.delete(key);
    },
  };
  return store;
};
