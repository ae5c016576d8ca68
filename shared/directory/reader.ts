import { type Clock, systemClock } from '../clock.js';
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
 * The directory as the sign-in path reads it: the person's partition, read at every evaluation
 * (one Query: a deprovisioning or a changed attribute counts from the next use in every
 * container, with no cache to wait out), and the IdP's group list (one Query, shared by everyone
 * of that IdP), cached per container for `cacheSeconds` (the IdP's `directory.cacheSeconds`),
 * so that a group rename, nesting or group attribute reaches a warm container within it. A
 * sign-in or a session use therefore costs at most two reads, usually one. Failures are not
 * cached; the map is bounded.
 * @throws whatever the store throws (temporarily_unavailable, server_error).
 */
export const createDirectoryReader = ({
  store,
  clock = systemClock,
  maxIdps = 100,
}: {
  store: Pick<DirectoryStore, 'readPerson' | 'readGroups'>;
  clock?: Clock;
  maxIdps?: number;
}) => {
  const groupLists = new Map<string, Cached<ReadonlyMap<string, GroupEntry>>>();
  const groupsOf = (idp: string, ttlMs: number): Promise<ReadonlyMap<string, GroupEntry>> => {
    const hit = groupLists.get(idp);
    if (hit && hit.until > clock()) return hit.value;
    groupLists.delete(idp);
    const value = store.readGroups(idp).then((list) => new Map(list.map((g) => [g.id, g])));
    if (ttlMs > 0) {
      groupLists.set(idp, { value, until: clock() + ttlMs });
      value.catch(() => groupLists.delete(idp));
      while (groupLists.size > maxIdps) {
        const oldest = groupLists.keys().next();
        if (oldest.done) break;
        groupLists.delete(oldest.value);
      }
    }
    return value;
  };
  return async (idp: string, subject: string, cacheSeconds: number): Promise<DirectoryRead> => {
    const [person, groups] = await Promise.all([
      store.readPerson(idp, subject),
      groupsOf(idp, cacheSeconds * 1000),
    ]);
    return { person, groups };
  };
};

export type DirectoryReader = ReturnType<typeof createDirectoryReader>;
