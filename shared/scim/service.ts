import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock.js';
import type { IdpConfig } from '../config/index.js';
import type { Deprovisioning, DirectoryStore } from '../directory/index.js';
import type { DirectoryGroup, DirectoryUser, GroupEntry, Member } from '../directory/types.js';
import type { Log } from '../log.js';
import { listResponse, MAX_PAGE_SIZE } from './documents.js';
import { ScimNotFoundError, scimBadRequest } from './errors.js';
import { parseFilter } from './filter.js';
import { applyGroupPatch, applyUserPatch, parsePatchRequest } from './patch.js';
import {
  coerceResource,
  GROUP_SCHEMA,
  SCIM_SCHEMAS,
  type ScimObject,
  USER_SCHEMA,
} from './schema.js';

/** The most members a group's GET returns; larger groups need `excludedAttributes=members`. */
export const MAX_LISTED_MEMBERS = 10_000;
/**
 * The longest resource id looked up: fedgate's ids are UUIDs, and a path id past DynamoDB's key
 * size would be refused by DynamoDB as a server error instead of answered as not found.
 */
const MAX_ID_LENGTH = 256;
/** A subject is a partition key part: DynamoDB keys hold 2,048 bytes. */
const MAX_SUBJECT_BYTES = 1024;
/** Attempts at a read-modify-write of one user before giving up (concurrent PATCHes). */
const MAX_ATTEMPTS = 5;

/** The query of a list request (RFC 7644 §3.4.2). */
export interface ListQuery {
  filter?: string;
  startIndex?: string;
  count?: string;
  attributes?: string;
  excludedAttributes?: string;
  sortBy?: string;
}

/** What the SCIM service needs. */
export interface ScimServiceDeps {
  store: DirectoryStore;
  deprovision: Deprovisioning;
  log: Log;
  /** The time written as `meta.created` / `meta.lastModified` (shared/clock.ts). */
  clock?: Clock;
  newId?: () => string;
}

/** A resource as the service answers it, and its URL (for `Location` after a create). */
export interface ScimResult {
  status: number;
  body?: unknown;
  location?: string;
}

/**
 * `startIndex` / `count` (RFC 7644 §3.4.2.4): an integer, where a value under the minimum is read
 * as the minimum (a negative count as 0, a startIndex below 1 as 1), not refused.
 */
const parseCount = (raw: string | undefined, fallback: number, min: number, name: string) => {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw)) throw scimBadRequest('invalidValue', `${name} must be an integer`);
  return Math.max(min, Number(raw));
};

/** Top-level attribute projection (RFC 7644 §3.4.2.5): `id`, `schemas` and `meta` always stay. */
const project = (resource: ScimObject, q: ListQuery): ScimObject => {
  const split = (v: string | undefined) =>
    v === undefined
      ? undefined
      : new Set(
          v
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        );
  const only = split(q.attributes);
  const without = split(q.excludedAttributes);
  const keep = (k: string) => {
    const lower = k.toLowerCase();
    if (lower === 'id' || lower === 'schemas' || lower === 'meta') return true;
    if (only) return only.has(lower);
    return !without?.has(lower);
  };
  return Object.fromEntries(Object.entries(resource).filter(([k]) => keep(k)));
};

const wants = (q: ListQuery, attribute: string) =>
  !(q.excludedAttributes ?? '')
    .split(',')
    .some((a) => a.trim().toLowerCase() === attribute.toLowerCase()) &&
  (q.attributes === undefined ||
    q.attributes.split(',').some((a) => a.trim().toLowerCase() === attribute.toLowerCase()));

/**
 * The SCIM 2.0 service provider of one gateway (RFC 7643, RFC 7644): Users and Groups in each
 * IdP's directory, as named steps. Every method is scoped to the authenticated IdP; ids of another
 * IdP's directory are simply not found. Deprovisioning (a delete, or `active` becoming false)
 * revokes the person's sessions before the directory changes.
 */
export const createScimService = (deps: ScimServiceDeps) => {
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const now = () => new Date(clock()).toISOString();
  const newId = deps.newId ?? randomUUID;

  const base = (baseUrl: string, idp: IdpConfig) => `${baseUrl}/scim/v2/${idp.id}`;

  const renderUser = (baseUrl: string, idp: IdpConfig, user: DirectoryUser): ScimObject => {
    const { externalId: _e, userName: _u, active: _a, ...rest } = user.resource;
    return {
      schemas: [
        SCIM_SCHEMAS.user,
        ...(rest[SCIM_SCHEMAS.enterpriseUser] ? [SCIM_SCHEMAS.enterpriseUser] : []),
      ],
      id: user.id,
      externalId: user.externalId,
      userName: user.userName,
      active: user.active,
      ...rest,
      meta: {
        resourceType: 'User',
        created: user.created,
        lastModified: user.lastModified,
        location: `${base(baseUrl, idp)}/Users/${user.id}`,
      },
    };
  };

  const renderGroup = (
    baseUrl: string,
    idp: IdpConfig,
    group: DirectoryGroup,
    members: readonly Member[] | undefined,
  ): ScimObject => ({
    schemas: [SCIM_SCHEMAS.group],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.id,
            type: m.type,
            $ref: `${base(baseUrl, idp)}/${m.type === 'User' ? 'Users' : 'Groups'}/${m.id}`,
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.created,
      lastModified: group.lastModified,
      location: `${base(baseUrl, idp)}/Groups/${group.id}`,
    },
  });

  /** The sign-in subject of an externalId, per the IdP's `directory.subject`. */
  const subjectOf = (idp: IdpConfig, externalId: unknown): string => {
    if (typeof externalId !== 'string' || externalId === '') {
      throw scimBadRequest(
        'invalidValue',
        "externalId is required: map the IdP's immutable user id to it (Okta: the user id; Entra ID: objectId)",
      );
    }
    const settings = idp.directory?.subject ?? { prefix: '', lowercase: false };
    const subject = `${settings.prefix}${settings.lowercase ? externalId.toLowerCase() : externalId}`;
    if (Buffer.byteLength(subject, 'utf8') > MAX_SUBJECT_BYTES) {
      throw scimBadRequest('invalidValue', `externalId is longer than ${MAX_SUBJECT_BYTES} bytes`);
    }
    return subject;
  };

  const notFound = (kind: 'User' | 'Group', id: string) =>
    new ScimNotFoundError(`${kind} ${id.slice(0, 64)}`);
  /** A path id fedgate could have issued: a longer one is not found, and never looked up. */
  const requireIssuable = (kind: 'User' | 'Group', id: string) => {
    if (id.length > MAX_ID_LENGTH) throw notFound(kind, id);
  };
  const requireUser = async (idp: IdpConfig, id: string) => {
    requireIssuable('User', id);
    const user = await store.getUser(idp.id, id);
    if (!user) throw notFound('User', id);
    return user;
  };
  const requireGroup = async (idp: IdpConfig, id: string) => {
    requireIssuable('Group', id);
    const group = await store.getGroup(idp.id, id);
    if (!group) throw notFound('Group', id);
    return group;
  };

  /** The user a validated resource describes, from the user it replaces (or a new one). */
  const userFrom = (
    idp: IdpConfig,
    resource: ScimObject,
    previous: DirectoryUser | undefined,
  ): DirectoryUser => {
    const externalId = resource.externalId ?? previous?.externalId;
    const subject = subjectOf(idp, externalId);
    if (previous && subject !== previous.subject) {
      throw scimBadRequest(
        'mutability',
        'externalId keys the sign-in subject and cannot change: delete the user and create it again',
      );
    }
    const at = now();
    return {
      id: previous?.id ?? newId(),
      subject,
      externalId: externalId as string,
      userName: resource.userName as string,
      // A new user is active unless it says otherwise; an existing one keeps its state unless
      // the write names it: a PUT that omits `active`, or a PATCH removing it, never re-activates
      // a deprovisioned person (RFC 7644 §3.5.1 leaves omitted attributes to the provider).
      active: typeof resource.active === 'boolean' ? resource.active : (previous?.active ?? true),
      resource: { ...resource, externalId },
      created: previous?.created ?? at,
      lastModified: at,
      revision: previous?.revision ?? 0,
    };
  };

  /**
   * A read-modify-write of one user, retried when another write came first; deprovisions before
   * writing when `active` turns false.
   */
  const updateUser = async (
    idp: IdpConfig,
    id: string,
    change: (current: DirectoryUser) => ScimObject,
  ): Promise<DirectoryUser> => {
    for (let attempt = 1; ; attempt++) {
      const current = await requireUser(idp, id);
      const next = userFrom(idp, coerceResource(USER_SCHEMA, change(current)), current);
      if (current.active && !next.active) await deps.deprovision(idp, current, 'deactivated');
      if (await store.replaceUser(idp.id, next, current)) {
        return { ...next, revision: current.revision + 1 };
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw scimBadRequest('invalidValue', 'the user is being changed concurrently: retry');
      }
    }
  };

  const resolveNewMembers = async (idp: IdpConfig, ids: readonly string[]): Promise<Member[]> => {
    const found = await store.resolveMembers(idp.id, ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw scimBadRequest(
        'invalidValue',
        `${missing.length} member id(s) name no user or group of this directory, e.g. ${missing[0]?.slice(0, 64)}`,
      );
    }
    return ids.map((id) => found.get(id) as Member);
  };

  /** Refuses a nesting that would make a group its own ancestor. */
  const checkNoCycle = async (idp: IdpConfig, parentId: string, children: readonly Member[]) => {
    const nested = children.filter((m) => m.type === 'Group').map((m) => m.id);
    if (nested.length === 0) return;
    const groups = new Map((await store.readGroups(idp.id)).map((g) => [g.id, g]));
    const ancestors = new Set<string>([parentId]);
    const queue = [parentId];
    for (let i = 0; i < queue.length; i++) {
      for (const p of groups.get(queue[i] as string)?.parents ?? []) {
        if (!ancestors.has(p)) {
          ancestors.add(p);
          queue.push(p);
        }
      }
    }
    const cycle = nested.find((child) => ancestors.has(child));
    if (cycle !== undefined) {
      throw scimBadRequest(
        'invalidValue',
        `group ${cycle.slice(0, 64)} would become its own member`,
      );
    }
  };

  const setMembers = async (
    idp: IdpConfig,
    group: DirectoryGroup,
    change: { base: 'current' | 'empty'; add: ReadonlySet<string>; remove: ReadonlySet<string> },
  ) => {
    let add = [...change.add];
    let remove = [...change.remove];
    if (change.base === 'empty') {
      const current = (await store.listMembers(idp.id, group.id, Number.MAX_SAFE_INTEGER)) ?? [];
      const wanted = new Set(add);
      remove = current.filter((m) => !wanted.has(m.id)).map((m) => m.id);
      const have = new Set(current.map((m) => m.id));
      add = add.filter((id) => !have.has(id));
    }
    const adding = await resolveNewMembers(idp, add);
    await checkNoCycle(idp, group.id, adding);
    // Members that no longer resolve (deleted users took their memberships with them) are gone.
    const removing = [...(await store.resolveMembers(idp.id, remove)).values()];
    // Removals first: a replace cut short between the two leaves fewer members, never both sets.
    if (removing.length > 0) await store.removeMembers(idp.id, group.id, removing);
    if (adding.length > 0) await store.addMembers(idp.id, group.id, adding);
    if (adding.length + removing.length > 0) {
      deps.log.info('directory group members changed', {
        idp: idp.id,
        group: group.id,
        added: adding.length,
        removed: removing.length,
      });
    }
  };

  const groupFrom = (
    resource: ScimObject,
    previous: DirectoryGroup | undefined,
    id: string,
  ): DirectoryGroup => {
    const at = now();
    const externalId = resource.externalId;
    // It keys the externalId filter's index item: within a DynamoDB key, as a subject is.
    if (
      typeof externalId === 'string' &&
      Buffer.byteLength(externalId, 'utf8') > MAX_SUBJECT_BYTES
    ) {
      throw scimBadRequest('invalidValue', `externalId is longer than ${MAX_SUBJECT_BYTES} bytes`);
    }
    return {
      id,
      displayName: resource.displayName as string,
      ...(typeof externalId === 'string' && externalId !== '' ? { externalId } : {}),
      created: previous?.created ?? at,
      lastModified: at,
    };
  };

  const memberIdsOf = (resource: ScimObject): string[] =>
    ((resource.members as ScimObject[] | undefined) ?? []).map((m) => {
      if (typeof m.value !== 'string' || m.value === '') {
        throw scimBadRequest('invalidValue', 'members[].value must be a member id');
      }
      return m.value;
    });

  return {
    /** `POST /Users`. @throws scim_uniqueness (409), scim_invalid_value / syntax (400). */
    async createUser(baseUrl: string, idp: IdpConfig, body: unknown): Promise<ScimResult> {
      const user = userFrom(idp, coerceResource(USER_SCHEMA, body), undefined);
      await store.createUser(idp.id, { ...user, revision: 1 });
      deps.log.info('directory user created', {
        idp: idp.id,
        scimId: user.id,
        active: user.active,
      });
      const body2 = renderUser(baseUrl, idp, user);
      return { status: 201, body: body2, location: (body2.meta as ScimObject).location as string };
    },

    async getUser(baseUrl: string, idp: IdpConfig, id: string, q: ListQuery = {}) {
      return {
        status: 200,
        body: project(renderUser(baseUrl, idp, await requireUser(idp, id)), q),
      };
    },

    /** `PUT /Users/{id}`: the whole resource (Okta's updates and deactivation). */
    async replaceUser(baseUrl: string, idp: IdpConfig, id: string, body: unknown) {
      const user = await updateUser(idp, id, (current) => {
        const b = body as ScimObject;
        const hasExternalId = Object.keys(b ?? {}).some((k) => k.toLowerCase() === 'externalid');
        return hasExternalId ? b : { ...b, externalId: current.externalId };
      });
      return { status: 200, body: renderUser(baseUrl, idp, user) };
    },

    /** `PATCH /Users/{id}`: Entra's operations, Okta's `{ op: replace, value: { active: false } }`. */
    async patchUser(baseUrl: string, idp: IdpConfig, id: string, body: unknown) {
      const ops = parsePatchRequest(body);
      const user = await updateUser(idp, id, (current) =>
        applyUserPatch(
          USER_SCHEMA,
          { ...current.resource, userName: current.userName, active: current.active },
          ops,
        ),
      );
      return { status: 200, body: renderUser(baseUrl, idp, user) };
    },

    /** `DELETE /Users/{id}`: revokes the person's sessions, then removes them and their memberships. */
    async deleteUser(idp: IdpConfig, id: string): Promise<ScimResult> {
      requireIssuable('User', id);
      const user = await store.getUser(idp.id, id);
      if (!user) {
        // A deletion cut short after the profile went (its sessions were revoked then): the
        // IdP's retry finishes it.
        if (await store.finishUserDeletion(idp.id, id)) {
          deps.log.info('directory user deleted', { idp: idp.id, scimId: id, finished: true });
          return { status: 204 };
        }
        throw notFound('User', id);
      }
      if (user.active) await deps.deprovision(idp, user, 'deleted');
      await store.deleteUser(idp.id, user);
      deps.log.info('directory user deleted', { idp: idp.id, scimId: user.id });
      return { status: 204 };
    },

    /** `GET /Users`: `userName eq`, `externalId eq`, `id eq` (joined by `and`), or pages of all. */
    async listUsers(baseUrl: string, idp: IdpConfig, q: ListQuery): Promise<ScimResult> {
      if (q.sortBy !== undefined) throw scimBadRequest('invalidValue', 'sorting is not supported');
      const startIndex = parseCount(q.startIndex, 1, 1, 'startIndex');
      const count = Math.min(parseCount(q.count, 100, 0, 'count'), MAX_PAGE_SIZE);
      let users: DirectoryUser[];
      let total: number;
      if (q.filter !== undefined) {
        const comparisons = parseFilter(q.filter, ['userName', 'externalId', 'id']);
        const candidates = new Map<string, DirectoryUser>();
        const first = comparisons[0];
        if (first?.attribute === 'id') {
          const u = await store.getUser(idp.id, first.value);
          if (u) candidates.set(u.id, u);
        } else if (first?.attribute === 'userName') {
          const found = await store.findUserByUserName(idp.id, first.value);
          const u = found ? await store.getUser(idp.id, found) : undefined;
          if (u) candidates.set(u.id, u);
        } else if (first) {
          let subject: string | undefined;
          try {
            subject = subjectOf(idp, first.value);
          } catch {
            subject = undefined;
          }
          const u = subject ? await store.getUserBySubject(idp.id, subject) : undefined;
          if (u) candidates.set(u.id, u);
        }
        const all = [...candidates.values()].filter((u) =>
          comparisons.every((c) =>
            c.attribute === 'id'
              ? u.id === c.value
              : c.attribute === 'externalId'
                ? u.externalId === c.value
                : u.userName.toLowerCase() === c.value.toLowerCase(),
          ),
        );
        total = all.length;
        users = all.slice(startIndex - 1, startIndex - 1 + count);
      } else {
        const page = await store.listUsers(idp.id, startIndex, count);
        total = page.total;
        users = (await Promise.all(page.ids.map((id) => store.getUser(idp.id, id)))).filter(
          (u): u is DirectoryUser => u !== undefined,
        );
      }
      return {
        status: 200,
        body: listResponse(
          users.map((u) => project(renderUser(baseUrl, idp, u), q)),
          total,
          startIndex,
        ),
      };
    },

    /** `POST /Groups`, with members (users or groups) that must exist in this directory. */
    async createGroup(baseUrl: string, idp: IdpConfig, body: unknown): Promise<ScimResult> {
      const resource = coerceResource(GROUP_SCHEMA, body);
      const group = groupFrom(resource, undefined, newId());
      const members = await resolveNewMembers(idp, memberIdsOf(resource));
      await store.createGroup(idp.id, group);
      if (members.length > 0) await store.addMembers(idp.id, group.id, members);
      deps.log.info('directory group created', {
        idp: idp.id,
        group: group.id,
        members: members.length,
      });
      const rendered = renderGroup(baseUrl, idp, group, members);
      return {
        status: 201,
        body: rendered,
        location: (rendered.meta as ScimObject).location as string,
      };
    },

    async getGroup(baseUrl: string, idp: IdpConfig, id: string, q: ListQuery = {}) {
      const group = await requireGroup(idp, id);
      let members: Member[] | undefined;
      if (wants(q, 'members')) {
        members = await store.listMembers(idp.id, id, MAX_LISTED_MEMBERS);
        if (members === undefined) {
          throw scimBadRequest(
            'tooMany',
            `the group has more than ${MAX_LISTED_MEMBERS} members: ask with excludedAttributes=members`,
          );
        }
      }
      return { status: 200, body: project(renderGroup(baseUrl, idp, group, members), q) };
    },

    /** `PUT /Groups/{id}`: name, externalId and the whole member list (absent: none). */
    async replaceGroup(baseUrl: string, idp: IdpConfig, id: string, body: unknown) {
      const current = await requireGroup(idp, id);
      const resource = coerceResource(GROUP_SCHEMA, body);
      const group = groupFrom(resource, current, id);
      await store.replaceGroup(idp.id, group, current);
      await setMembers(idp, group, {
        base: 'empty',
        add: new Set(memberIdsOf(resource)),
        remove: new Set(),
      });
      return this.getGroup(baseUrl, idp, id);
    },

    /** `PATCH /Groups/{id}`: members added and removed in batches, renames. */
    async patchGroup(baseUrl: string, idp: IdpConfig, id: string, body: unknown, q: ListQuery) {
      const ops = parsePatchRequest(body);
      const current = await requireGroup(idp, id);
      const resource: ScimObject = {
        displayName: current.displayName,
        ...(current.externalId ? { externalId: current.externalId } : {}),
      };
      const change = applyGroupPatch(GROUP_SCHEMA, resource, ops);
      const next = groupFrom(coerceResource(GROUP_SCHEMA, resource), current, id);
      if (next.displayName !== current.displayName || next.externalId !== current.externalId) {
        await store.replaceGroup(idp.id, next, current);
      }
      await setMembers(idp, next, change);
      // Entra ID and Okta read nothing back from a group PATCH: 204 unless members are asked for.
      if (q.attributes === undefined) return { status: 204 };
      return this.getGroup(baseUrl, idp, id, q);
    },

    /**
     * `DELETE /Groups/{id}`: the group leaves the group list, then its member items go; a retry
     * of a deletion cut short finishes the member items.
     */
    async deleteGroup(idp: IdpConfig, id: string): Promise<ScimResult> {
      requireIssuable('Group', id);
      const group = await store.getGroup(idp.id, id);
      if (!group) {
        // A deletion cut short (a large group past the function's time): the retry finishes it.
        if (await store.finishGroupDeletion(idp.id, id)) {
          deps.log.info('directory group deleted', { idp: idp.id, group: id, finished: true });
          return { status: 204 };
        }
        throw notFound('Group', id);
      }
      await store.deleteGroup(idp.id, group);
      deps.log.info('directory group deleted', { idp: idp.id, group: id });
      return { status: 204 };
    },

    /** `GET /Groups`: `displayName eq`, `externalId eq`, `id eq`, or pages of all. */
    async listGroups(baseUrl: string, idp: IdpConfig, q: ListQuery): Promise<ScimResult> {
      if (q.sortBy !== undefined) throw scimBadRequest('invalidValue', 'sorting is not supported');
      const startIndex = parseCount(q.startIndex, 1, 1, 'startIndex');
      const count = Math.min(parseCount(q.count, 100, 0, 'count'), MAX_PAGE_SIZE);
      let ids: string[];
      let total: number;
      if (q.filter !== undefined) {
        const comparisons = parseFilter(q.filter, ['displayName', 'externalId', 'id']);
        let candidates: string[] = [];
        const first = comparisons[0];
        if (first?.attribute === 'id') candidates = [first.value];
        else if (first?.attribute === 'displayName') {
          candidates = await store.findGroupsByDisplayName(idp.id, first.value);
        } else if (first) candidates = await store.findGroupsByExternalId(idp.id, first.value);
        const groups = (
          await Promise.all(candidates.map((id) => store.getGroup(idp.id, id)))
        ).filter(
          (g): g is GroupEntry =>
            g !== undefined &&
            comparisons.every((c) =>
              c.attribute === 'id'
                ? g.id === c.value
                : c.attribute === 'externalId'
                  ? g.externalId === c.value
                  : g.displayName.toLowerCase() === c.value.toLowerCase(),
            ),
        );
        total = groups.length;
        ids = groups.map((g) => g.id).slice(startIndex - 1, startIndex - 1 + count);
      } else {
        const page = await store.listGroups(idp.id, startIndex, count);
        total = page.total;
        ids = page.ids;
      }
      // Only a group deleted since the page was read is left out; any other failure (DynamoDB,
      // too many members to list) fails the page: a page silently missing a group would make a
      // client create it again or think it gone.
      const resources = await Promise.all(
        ids.map(async (id) => {
          try {
            return (await this.getGroup(baseUrl, idp, id, q)).body;
          } catch (err) {
            if (err instanceof ScimNotFoundError) return undefined;
            throw err;
          }
        }),
      );
      return {
        status: 200,
        body: listResponse(resources.filter(Boolean), total, startIndex),
      };
    },
  };
};

export type ScimService = ReturnType<typeof createScimService>;
