import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import {
  buildDirectoryFacts,
  createDirectoryJoin,
  createDirectoryReader,
  MAX_TRANSITIVE_GROUPS,
  transitiveGroups,
} from '../../../shared/directory/index.js';
import type { GroupEntry, PersonRecord } from '../../../shared/directory/types.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const group = (
  id: string,
  parents: string[] = [],
  attributes: Record<string, string[]> = {},
  externalId?: string,
): GroupEntry => ({
  id,
  displayName: `Group ${id}`,
  ...(externalId ? { externalId } : {}),
  created: '',
  lastModified: '',
  parents,
  attributes,
});
const catalog = (...gs: GroupEntry[]) => new Map(gs.map((g) => [g.id, g]));
const user = (active = true): PersonRecord['user'] => ({
  id: 'u1',
  subject: 's1',
  externalId: 's1',
  userName: 'pat@example.com',
  active,
  resource: {
    userName: 'pat@example.com',
    emails: [
      { value: 'home@x', type: 'home' },
      { value: 'pat@example.com', primary: true },
    ],
    name: { givenName: 'Pat' },
    [ENTERPRISE]: { costCenter: 'cc-1', manager: { value: 'boss' } },
  },
  created: '',
  lastModified: '',
  revision: 1,
});

describe('transitiveGroups', () => {
  it('follows nesting once per group, through cycles, ignoring groups no longer listed', () => {
    const groups = catalog(
      group('a', ['b']),
      group('b', ['c', 'a']),
      group('c', ['a']),
      group('d'),
    );
    expect(transitiveGroups(['a', 'gone'], groups)?.map((g) => g.id)).toEqual(['a', 'b', 'c']);
  });
  it('refuses (undefined) past the limit rather than cutting the list', () => {
    const groups = catalog(...Array.from({ length: 5 }, (_, i) => group(`g${i}`)));
    expect(transitiveGroups(['g0', 'g1', 'g2', 'g3', 'g4'], groups, 4)).toBeUndefined();
    expect(MAX_TRANSITIVE_GROUPS).toBe(10_000);
  });
});

describe('buildDirectoryFacts', () => {
  it('flattens SCIM attributes, groups (ids as the IdP knows them, names, group attributes) and lets operators win', () => {
    const facts = buildDirectoryFacts(
      {
        user: user(),
        attributes: {
          costCenter: ['cc-ops'],
          clearance: ['secret'],
          groups: ['forged'],
          'group.x': ['forged'],
        },
        groupIds: ['team'],
      },
      catalog(
        group('team', ['dept'], { shortName: ['t'], dataClass: ['internal'] }, 'ext-team'),
        group('dept', [], { dataClass: ['confidential'] }),
      ),
    );
    expect(facts?.values).toMatchObject({
      'directory.userName': ['pat@example.com'],
      'directory.email': ['pat@example.com'],
      'directory.emails': ['home@x', 'pat@example.com'],
      'directory.givenName': ['Pat'],
      'directory.manager': ['boss'],
      'directory.costCenter': ['cc-ops'],
      'directory.clearance': ['secret'],
      'directory.groups': ['ext-team', 'dept'],
      'directory.groupIds': ['team', 'dept'],
      'directory.groupNames': ['Group team', 'Group dept'],
      'directory.group.dataClass': ['internal', 'confidential'],
      'directory.group.shortName': ['t'],
    });
    expect(facts?.sources['directory.costCenter']).toBe('directory:operator');
    expect(facts?.sources['directory.givenName']).toBe('directory:scim');
    expect(facts?.sources['directory.groups']).toBe('directory:groups');
    expect(facts?.shortNames.get('Group team')).toBe('t');
    expect(facts?.shortNames.get('ext-team')).toBe('t');
  });
});

describe('createDirectoryJoin', () => {
  const config = parseGatewayConfig({
    version: 1,
    idps: [
      {
        id: 'strict',
        displayName: 'S',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example', clientId: 'c' },
        directory: {},
      },
      {
        id: 'lenient',
        displayName: 'L',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example', clientId: 'c' },
        directory: {
          requireProvisioned: false,
          claims: { groups: { from: 'directory.groups', prefer: 'union' } },
        },
      },
      {
        id: 'none',
        displayName: 'N',
        protocol: 'oidc',
        oidc: { issuer: 'https://idp.example', clientId: 'c' },
      },
    ],
  });
  const [strict, lenient, none] = config.idps as [
    (typeof config.idps)[0],
    (typeof config.idps)[0],
    (typeof config.idps)[0],
  ];
  const identity = (extra = {}) => ({
    idp: 'x',
    issuer: 'i',
    subject: 's1',
    claims: { groups: ['tok'] },
    ...extra,
  });
  const joinWith = (person: PersonRecord, groups: GroupEntry[] = []) => {
    let reads = 0;
    const join = createDirectoryJoin(
      createDirectoryReader({
        store: {
          readPerson: async () => {
            reads += 1;
            return person;
          },
          readGroups: async () => groups,
        },
      }),
    );
    return { join, reads: () => reads };
  };

  it('leaves an IdP without a directory alone (no read)', async () => {
    const { join, reads } = joinWith({ user: user(), attributes: undefined, groupIds: [] });
    expect(await join(none, identity())).toEqual(identity());
    expect(reads()).toBe(0);
  });

  it('refuses a person not in the directory when provisioning is required, or when the groups came as an overage', async () => {
    const absent = { user: undefined, attributes: undefined, groupIds: [] };
    await expect(joinWith(absent).join(strict, identity())).rejects.toMatchObject({
      code: 'directory_user_not_provisioned',
      status: 403,
    });
    await expect(
      joinWith(absent).join(lenient, identity({ groupsOverage: ['groups'] })),
    ).rejects.toMatchObject({
      code: 'directory_user_not_provisioned',
    });
    expect((await joinWith(absent).join(lenient, identity())).claims.groups).toEqual(['tok']);
  });

  it('refuses an inactive person', async () => {
    await expect(
      joinWith({ user: user(false), attributes: undefined, groupIds: [] }).join(strict, identity()),
    ).rejects.toMatchObject({
      code: 'directory_user_inactive',
      status: 403,
    });
  });

  it('merges the groups per the IdP and reads the person at every call', async () => {
    const { join, reads } = joinWith({ user: user(), attributes: undefined, groupIds: ['g'] }, [
      group('g', [], {}, 'ext-g'),
    ]);
    const joined = await join(lenient, identity());
    expect(joined.claims.groups).toEqual(['tok', 'ext-g']);
    await join(lenient, identity());
    expect(reads()).toBe(2);
  });

  it('fails closed past the transitive group limit', async () => {
    const many = Array.from({ length: MAX_TRANSITIVE_GROUPS + 1 }, (_, i) => group(`g${i}`));
    const { join } = joinWith(
      { user: user(), attributes: undefined, groupIds: many.map((g) => g.id) },
      many,
    );
    await expect(join(strict, identity())).rejects.toMatchObject({
      code: 'server_error',
      status: 500,
    });
  });
});
