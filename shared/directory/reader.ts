import type { DirectoryStore } from './ports.js';
import type { GroupEntry, PersonRecord } from './types.js';

/** What the sign-in path reads for one person: their record and the IdP's groups by id. */
export interface DirectoryRead {
  person: PersonRecord;
  groups: ReadonlyMap<string, GroupEntry>;
}

interface Cached<T> {
  value: Promise<T>;
  until: number;
}

/**
 * The directory as the sign-in path reads it, cached per container for `cacheSeconds` (the IdP's
 * `directory.cacheSeconds`): a person's partition (one Query) and the IdP's group list (one
 * Query, shared by everyone of that IdP). So a sign-in costs at most two reads, usually one, and a
 * change reaches a warm container within `cacheSeconds` (deprovisioning does not wait for it: it
 * revokes the person's sessions at once). Failures are not cached; the maps are bounded.
 * @throws whatever the store throws (temporarily_unavailable, server_error).
 */
export const createDirectoryReader = ({
  store,
  nowMs = Date.now,
  maxPeople = 500,
}: {
  store: Pick<DirectoryStore, 'readPerson' | 'readGroups'>;
  nowMs?: () => number;
  maxPeople?: number;
}) => {
  const people = new Map<string, Cached<PersonRecord>>();
  const groupLists = new Map<string, Cached<ReadonlyMap<string, GroupEntry>>>();
  const memo = <T>(
    map: Map<string, Cached<T>>,
    key: string,
    ttlMs: number,
    max: number,
    load: () => Promise<T>,
  ): Promise<T> => {
    const hit = map.get(key);
    if (hit && hit.until > nowMs()) return hit.value;
    map.delete(key);
    const value = load();
    if (ttlMs > 0) {
      map.set(key, { value, until: nowMs() + ttlMs });
      value.catch(() => map.delete(key));
      while (map.size > max) {
        const oldest = map.keys().next();
        if (oldest.done) break;
        map.delete(oldest.value);
      }
    }
    return value;
  };
  return async (idp: string, subject: string, cacheSeconds: number): Promise<DirectoryRead> => {
    const ttl = cacheSeconds * 1000;
    const [person, groups] = await Promise.all([
      memo(people, `${idp}\n${subject}`, ttl, maxPeople, () => store.readPerson(idp, subject)),
      memo(groupLists, idp, ttl, 100, async () => {
        const list = await store.readGroups(idp);
        return new Map(list.map((g) => [g.id, g]));
      }),
    ]);
    return { person, groups };
  };
};

export type DirectoryReader = ReturnType<typeof createDirectoryReader>;
