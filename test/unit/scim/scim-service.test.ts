import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import type { DirectoryStore } from '../../../shared/directory/index.js';
import type { GroupEntry } from '../../../shared/directory/types.js';
import { DependencyUnavailableError } from '../../../shared/http/errors.js';
import { createScimService, MAX_LISTED_MEMBERS } from '../../../shared/scim/index.js';
import { captureLogger } from '../../support/events.js';

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['A'.repeat(80)] },
      directory: { scim: { tokenRef: 'env:OKTA_SCIM_TOKEN' } },
    },
  ],
});
const idp = config.idps[0] as (typeof config.idps)[number];

const group = (id: string): GroupEntry => ({
  id,
  displayName: `group ${id}`,
  created: '2026-01-01T00:00:00Z',
  lastModified: '2026-01-01T00:00:00Z',
  parents: [],
  attributes: {},
});

/**
 * A directory of three groups for the list's reads: `big` has more members than a GET lists,
 * `gone` was deleted between the page and its read, `flaky` cannot be read right now.
 */
const storeWith = (fail: 'none' | 'flaky'): DirectoryStore =>
  ({
    listGroups: async () => ({ ids: ['a', 'big', 'gone', 'flaky'], total: 4 }),
    getGroup: async (_idp: string, id: string) => {
      if (id === 'gone') return undefined;
      if (id === 'flaky' && fail === 'flaky') {
        throw new DependencyUnavailableError('dynamodb', 'GetItem timed out');
      }
      return group(id);
    },
    listMembers: async (_idp: string, id: string, limit: number) =>
      id === 'big' && limit >= MAX_LISTED_MEMBERS ? undefined : [],
  }) as unknown as DirectoryStore;

const serviceOf = (store: DirectoryStore) =>
  createScimService({ store, deprovision: async () => undefined, log: captureLogger() });

describe('GET /Groups pages', () => {
  it('refuses a page holding a group with too many members to list, as GET /Groups/{id} does', async () => {
    await expect(
      serviceOf(storeWith('none')).listGroups('https://sso.example.com', idp, {}),
    ).rejects.toMatchObject({ code: 'scim_too_many', scimType: 'tooMany', status: 400 });
  });

  it('lists it without members when asked with excludedAttributes=members; skips a group deleted meanwhile', async () => {
    const res = await serviceOf(storeWith('none')).listGroups('https://sso.example.com', idp, {
      excludedAttributes: 'members',
    });
    const body = res.body as { Resources: { id: string }[] };
    expect(body.Resources.map((r) => r.id)).toEqual(['a', 'big', 'flaky']);
  });

  it('fails the page when a group cannot be read, never answers a page without it', async () => {
    await expect(
      serviceOf(storeWith('flaky')).listGroups('https://sso.example.com', idp, {
        excludedAttributes: 'members',
      }),
    ).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });
});

describe('list paging parameters (RFC 7644 §3.4.2.4)', () => {
  const users: DirectoryStore = {
    listUsers: async (_idp: string, startIndex: number, count: number) => ({
      ids: ['u1', 'u2', 'u3'].slice(startIndex - 1, startIndex - 1 + count),
      total: 3,
    }),
    getUser: async () => undefined,
  } as unknown as DirectoryStore;

  it('reads a negative count as 0 and a startIndex below 1 as 1', async () => {
    const res = await serviceOf(users).listUsers('https://sso.example.com', idp, {
      count: '-5',
      startIndex: '-2',
    });
    expect(res.body).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 0 });
  });

  it('refuses a count or startIndex that is not an integer', async () => {
    for (const q of [{ count: '1.5' }, { startIndex: 'abc' }, { count: '--1' }]) {
      await expect(
        serviceOf(users).listUsers('https://sso.example.com', idp, q),
      ).rejects.toMatchObject({ code: 'scim_invalid_value' });
    }
  });
});

describe("replacing a group's members", () => {
  it('removes the members that go before adding the new ones (cut short: fewer, never both sets)', async () => {
    const calls: string[] = [];
    const store = {
      getGroup: async (_idp: string, id: string) => group(id),
      listMembers: async () => [{ type: 'User', id: 'old', subject: 's-old' }],
      resolveMembers: async (_idp: string, ids: readonly string[]) =>
        new Map(ids.map((id) => [id, { type: 'User', id, subject: `s-${id}` }])),
      addMembers: async () => {
        calls.push('add');
      },
      removeMembers: async () => {
        calls.push('remove');
      },
    } as unknown as DirectoryStore;
    const res = await serviceOf(store).patchGroup(
      'https://sso.example.com',
      idp,
      'g1',
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'members', value: [{ value: 'new' }] }],
      },
      {},
    );
    expect(res.status).toBe(204);
    expect(calls).toEqual(['remove', 'add']);
  });
});
