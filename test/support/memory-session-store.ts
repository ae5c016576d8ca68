import { type Clock, epochSeconds, systemClock } from '../../shared/clock.js';
import {
  type ListedSession,
  revocationKey,
  type SessionStore,
  StateItemExistsError,
} from '../../shared/store/index.js';

/**
 * An in-memory SessionStore with the DynamoDB adapter's semantics (expiry on read, marks only move
 * forward), counting calls so tests can assert how many reads a use costs. Integration tests use
 * DynamoDB Local.
 */
export const createMemorySessionStore = (clock: Clock = systemClock) => {
  // Items expire in epoch seconds (`expiresAt`, DynamoDB's TTL), read from the one clock.
  const now = () => epochSeconds(clock);
  const sessions = new Map<
    string,
    { data: string; expiresAt: number; lastUsedAt: number; recent: string[] }
  >();
  const marks = new Map<string, { before: number; expiresAt: number }>();
  const calls = { read: 0, touch: 0, create: 0, delete: 0, revoke: 0 };
  const store: SessionStore & {
    sessions: typeof sessions;
    marks: typeof marks;
    calls: typeof calls;
  } = {
    sessions,
    marks,
    calls,
    async create(id, record, expiresAt, createdAt) {
      calls.create++;
      if (sessions.has(id)) throw new StateItemExistsError('SESSION#');
      sessions.set(id, {
        data: JSON.stringify(record),
        expiresAt,
        lastUsedAt: createdAt,
        recent: [],
      });
    },
    async read(id, scopes) {
      calls.read++;
      const item = sessions.get(id);
      let revokedBefore = 0;
      for (const scope of scopes) {
        const mark = marks.get(revocationKey(scope));
        if (mark && mark.expiresAt > now()) revokedBefore = Math.max(revokedBefore, mark.before);
      }
      return {
        session:
          item && item.expiresAt > now()
            ? {
                record: JSON.parse(item.data),
                expiresAt: item.expiresAt,
                lastUsedAt: item.lastUsedAt,
                recent: [...item.recent],
              }
            : undefined,
        revokedBefore,
      };
    },
    async touch(id, use) {
      calls.touch++;
      const item = sessions.get(id);
      if (!item || item.expiresAt <= now()) return false;
      item.lastUsedAt = use.lastUsedAt;
      item.recent = [...use.recent];
      return true;
    },
    async delete(id) {
      calls.delete++;
      sessions.delete(id);
    },
    async revoke(scope, before, expiresAt) {
      calls.revoke++;
      const key = revocationKey(scope);
      const old = marks.get(key);
      if (!old || old.before <= before) marks.set(key, { before, expiresAt });
    },
    async *list(): AsyncIterable<ListedSession> {
      for (const [id, item] of sessions) {
        yield {
          id,
          record: JSON.parse(item.data),
          expiresAt: item.expiresAt,
          lastUsedAt: item.lastUsedAt,
          recent: [...item.recent],
        };
      }
    },
  };
  return store;
};
