import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_LIMITS,
  MAX_FILTER_COMPARISONS,
  MAX_FILTER_LENGTH,
  MAX_PATCH_OPERATIONS,
  SCIM_MAX_BODY_BYTES,
} from '../../../shared/scim/index.js';
import { directoryKeys } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import {
  createScimRig,
  SCIM_TOKENS,
  type ScimRig,
  scimTestConfig,
} from '../../support/scim-rig.js';

/**
 * The SCIM protocol's error cases (RFC 7644 §3.12 bodies): each refusal asserts its status, its
 * scimType and the stable code the gateway logs, and that nothing was written.
 */
const db = useDynamoDb();
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const OKTA = SCIM_TOKENS.OKTA_SCIM_TOKEN;

const user = (userName: string, externalId: string, extra: object = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  externalId,
  active: true,
  ...extra,
});

describe('SCIM error cases', () => {
  let rig: ScimRig;
  beforeAll(() => {
    rig = createScimRig({ client: db.createClient(), names: db.names });
  });

  const refusedWith = (
    res: { status: number; body?: Record<string, unknown>; headers: Record<string, string> },
    status: number,
    scimType?: string,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.body).toMatchObject({ schemas: [ERROR], status: String(status) });
    if (scimType) expect(res.body?.scimType).toBe(scimType);
    else expect(res.body?.scimType).toBeUndefined();
  };

  it.each([
    ['no bearer token', null],
    ['a wrong token', 'x'.repeat(48)],
    ["another IdP's token", SCIM_TOKENS.ENTRA_SCIM_TOKEN],
    ['a token one character short', OKTA.slice(0, -1)],
    ['a token with a suffix', `${OKTA}x`],
  ])('refuses %s with 401 and WWW-Authenticate, whatever the route', async (_what, token) => {
    for (const [method, path] of [
      ['GET', '/scim/v2/okta/Users'],
      ['GET', '/scim/v2/okta/ServiceProviderConfig'],
      ['POST', '/scim/v2/okta/Users'],
    ] as const) {
      const res = await rig.request(method, path, {
        token,
        ...(method === 'POST' ? { body: user('u@x', 'x-1') } : {}),
      });
      refusedWith(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="fedgate-scim"');
    }
    expect((await rig.store.listUsers('okta', 1, 10)).total).toBe(0);
  });

  it('answers an unknown IdP and an IdP without provisioning as it answers a wrong token', async () => {
    refusedWith(await rig.request('GET', '/scim/v2/nope/Users', { token: OKTA }), 401);
    refusedWith(await rig.request('GET', '/scim/v2/plain/Users', { token: OKTA }), 401);
  });

  it('refuses a malformed or unsupported filter with invalidFilter', async () => {
    for (const filter of [
      'userName co "a"',
      'userName eq',
      'title eq "x"',
      'userName eq "a" or id eq "b"',
    ]) {
      const res = await rig.request(
        'GET',
        `/scim/v2/okta/Users?filter=${encodeURIComponent(filter)}`,
        {
          token: OKTA,
        },
      );
      refusedWith(res, 400, 'invalidFilter');
    }
  });

  it('refuses an unknown attribute (body: invalidSyntax; PATCH path: invalidPath) and writes nothing', async () => {
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user('a@x', 'ext-a', { shoeSize: '42' }),
      }),
      400,
      'invalidSyntax',
    );
    expect(await rig.store.findUserByUserName('okta', 'a@x')).toBeUndefined();
    const created = await rig.request('POST', '/scim/v2/okta/Users', {
      token: OKTA,
      body: user('b@x', 'ext-b'),
    });
    expect(created.status).toBe(201);
    refusedWith(
      await rig.request('PATCH', `/scim/v2/okta/Users/${created.body?.id}`, {
        token: OKTA,
        body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'shoeSize', value: '42' }] },
      }),
      400,
      'invalidPath',
    );
  });

  it('refuses an oversized body (413) and an overdeep one (400) before reading it', async () => {
    const big = JSON.stringify(
      user('c@x', 'ext-c', { displayName: 'x'.repeat(SCIM_MAX_BODY_BYTES) }),
    );
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', { token: OKTA, rawBody: big }),
      413,
    );
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = [deep];
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: { ...user('c@x', 'ext-c'), nickName: deep },
      }),
      400,
      'invalidSyntax',
    );
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        rawBody: '{"userName":',
        contentType: 'application/json',
      }),
      400,
      'invalidSyntax',
    );
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        rawBody: '{}',
        contentType: 'text/plain',
      }),
      400,
      'invalidSyntax',
    );
    expect(await rig.store.findUserByUserName('okta', 'c@x')).toBeUndefined();
  });

  // Every bound of the SCIM service, each at one past it: its status, its scimType, an RFC 7644
  // body (refusedWith) and nothing written. The user bodies name `limit@x`, checked afterwards.
  const patchOf = (operations: unknown[]) => ({ schemas: [PATCH], Operations: operations });
  const replaceName = { op: 'replace', path: 'displayName', value: 'x' };
  it.each([
    [
      `more than ${JSON_LIMITS.nodes} JSON values`,
      'POST',
      user('limit@x', 'ext-limit', {
        roles: Array.from({ length: JSON_LIMITS.nodes }, () => ({})),
      }),
      400,
      'invalidSyntax',
    ],
    [
      // In a path-less PATCH value an unknown name is invalidPath: invalidSyntax is the bound.
      `an object with more than ${JSON_LIMITS.keysPerObject} members`,
      'PATCH',
      patchOf([
        {
          op: 'replace',
          value: Object.fromEntries(
            Array.from({ length: JSON_LIMITS.keysPerObject + 1 }, (_, i) => [`k${i}`, 'v']),
          ),
        },
      ]),
      400,
      'invalidSyntax',
    ],
    [
      `a string over ${JSON_LIMITS.stringLength} characters`,
      'POST',
      user('limit@x', 'ext-limit', { title: 'x'.repeat(JSON_LIMITS.stringLength + 1) }),
      400,
      'invalidSyntax',
    ],
    [
      'a member name over 512 characters',
      'PATCH',
      patchOf([{ op: 'replace', value: { ['n'.repeat(513)]: 'v' } }]),
      400,
      'invalidSyntax',
    ],
    [
      "a string over its attribute's length (userName: 256)",
      'POST',
      user(`${'u'.repeat(255)}@x`, 'ext-limit'),
      400,
      'invalidValue',
    ],
    [
      'a string with a control character',
      'POST',
      user('limit@x', 'ext-limit', { displayName: 'a\u0000b' }),
      400,
      'invalidValue',
    ],
    [
      'more values than a multi-valued attribute takes (emails: 20)',
      'POST',
      user('limit@x', 'ext-limit', {
        emails: Array.from({ length: 21 }, (_, i) => ({ value: `e${i}@x` })),
      }),
      400,
      'tooMany',
    ],
    [
      `more than ${MAX_PATCH_OPERATIONS} PATCH operations`,
      'PATCH',
      patchOf(Array.from({ length: MAX_PATCH_OPERATIONS + 1 }, () => replaceName)),
      400,
      'tooMany',
    ],
    ['a PATCH without operations', 'PATCH', patchOf([]), 400, 'invalidSyntax'],
    [
      'a PATCH without the PatchOp schema',
      'PATCH',
      { Operations: [replaceName] },
      400,
      'invalidSyntax',
    ],
    ['a remove without a path', 'PATCH', patchOf([{ op: 'remove' }]), 400, 'noTarget'],
    [
      'a PATCH of a read-only attribute',
      'PATCH',
      patchOf([{ op: 'add', path: 'groups', value: [{ value: 'g' }] }]),
      400,
      'mutability',
    ],
  ] as const)(
    'refuses %s with its SCIM error body',
    async (_what, method, body, status, scimType) => {
      const target = await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user(
          `target-${method}-${status}-${scimType}-${_what.length}@x`,
          `ext-t-${_what.length}-${scimType}`,
        ),
      });
      const res =
        method === 'POST'
          ? await rig.request('POST', '/scim/v2/okta/Users', { token: OKTA, body })
          : await rig.request('PATCH', `/scim/v2/okta/Users/${target.body?.id}`, {
              token: OKTA,
              body,
            });
      refusedWith(res, status, scimType);
      expect(await rig.store.findUserByUserName('okta', 'limit@x')).toBeUndefined();
      if (method === 'PATCH') {
        expect(
          (await rig.store.getUser('okta', target.body?.id as string))?.resource.displayName,
        ).toBeUndefined();
      }
    },
  );

  it('refuses a group externalId too long for its index key (in bytes) and creates nothing', async () => {
    const externalId = '\u20ac'.repeat(1000); // 3,000 bytes of UTF-8 in 1,000 characters
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Groups', {
        token: OKTA,
        body: { displayName: 'euro', externalId },
      }),
      400,
      'invalidValue',
    );
    expect(await rig.store.findGroupsByDisplayName('okta', 'euro')).toEqual([]);
    const listed = await rig.request('GET', '/scim/v2/okta/Groups?excludedAttributes=members', {
      token: OKTA,
    });
    expect(
      ((listed.body?.Resources ?? []) as { displayName: string }[]).map((g) => g.displayName),
    ).not.toContain('euro');
  });

  it('refuses a userName or group name whose case-folded form is too long for its index key, writing nothing', async () => {
    // U+FDFA is one character that NFKC folds into eighteen (33 bytes): 256 of them fit the
    // attribute's length but not a DynamoDB key.
    const wide = '\ufdfa'.repeat(256);
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user(wide, 'ext-wide'),
      }),
      400,
      'invalidValue',
    );
    expect(await rig.store.getUserBySubject('okta', 'ext-wide')).toBeUndefined();
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Groups', {
        token: OKTA,
        body: { displayName: wide },
      }),
      400,
      'invalidValue',
    );
    const listed = await rig.request('GET', '/scim/v2/okta/Groups?excludedAttributes=members', {
      token: OKTA,
    });
    expect(
      ((listed.body?.Resources ?? []) as { displayName: string }[]).map((g) => g.displayName),
    ).not.toContain(wide);
    // Filtering on such a name finds nothing (nothing can be stored under it), not a 500.
    for (const [resource, attribute] of [
      ['Users', 'userName'],
      ['Groups', 'displayName'],
    ] as const) {
      const filter = encodeURIComponent(`${attribute} eq "${'\ufdfa'.repeat(300)}"`);
      const found = await rig.request('GET', `/scim/v2/okta/${resource}?filter=${filter}`, {
        token: OKTA,
      });
      expect(found.status, resource).toBe(200);
      expect(found.body?.totalResults, resource).toBe(0);
    }
  });

  it('refuses a filter over its length or its number of comparisons with invalidFilter', async () => {
    for (const filter of [
      `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`,
      Array.from({ length: MAX_FILTER_COMPARISONS + 1 }, () => 'userName eq "a"').join(' and '),
    ]) {
      refusedWith(
        await rig.request('GET', `/scim/v2/okta/Users?filter=${encodeURIComponent(filter)}`, {
          token: OKTA,
        }),
        400,
        'invalidFilter',
      );
    }
  });

  it('refuses a conflicting userName (case-insensitive) and a reused externalId with 409 uniqueness', async () => {
    expect(
      (
        await rig.request('POST', '/scim/v2/okta/Users', {
          token: OKTA,
          body: user('dup@x', 'ext-d1'),
        })
      ).status,
    ).toBe(201);
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user('DUP@x', 'ext-d2'),
      }),
      409,
      'uniqueness',
    );
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user('other@x', 'ext-d1'),
      }),
      409,
      'uniqueness',
    );
    // The losers left nothing behind: the second userName is free, the externalId still the first's.
    expect(await rig.store.findUserByUserName('okta', 'other@x')).toBeUndefined();
    const second = await rig.request('POST', '/scim/v2/okta/Users', {
      token: OKTA,
      body: user('e@x', 'ext-e'),
    });
    refusedWith(
      await rig.request('PATCH', `/scim/v2/okta/Users/${second.body?.id}`, {
        token: OKTA,
        body: {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'userName', value: 'Dup@X' }],
        },
      }),
      409,
      'uniqueness',
    );
    expect(await rig.store.findUserByUserName('okta', 'e@x')).toBe(second.body?.id);
  });

  it('refuses changing externalId (it keys the sign-in subject) with mutability', async () => {
    const u = await rig.request('POST', '/scim/v2/okta/Users', {
      token: OKTA,
      body: user('f@x', 'ext-f'),
    });
    refusedWith(
      await rig.request('PUT', `/scim/v2/okta/Users/${u.body?.id}`, {
        token: OKTA,
        body: user('f@x', 'ext-other'),
      }),
      400,
      'mutability',
    );
  });

  it('answers 404 for ids of nothing, and members that name nothing with invalidValue', async () => {
    refusedWith(await rig.request('GET', '/scim/v2/okta/Users/nope', { token: OKTA }), 404);
    // An id no key can hold (DynamoDB keys stop at 2 KB) is nothing too, not a server error.
    const long = 'x'.repeat(3000);
    refusedWith(await rig.request('GET', `/scim/v2/okta/Users/${long}`, { token: OKTA }), 404);
    refusedWith(await rig.request('DELETE', `/scim/v2/okta/Groups/${long}`, { token: OKTA }), 404);
    refusedWith(await rig.request('DELETE', '/scim/v2/okta/Groups/nope', { token: OKTA }), 404);
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Groups', {
        token: OKTA,
        body: { displayName: 'g', members: [{ value: 'no-such-user' }] },
      }),
      400,
      'invalidValue',
    );
    expect(await rig.store.findGroupsByDisplayName('okta', 'g')).toEqual([]);
  });

  it("scopes a token to its IdP's directory: another IdP's ids are not found, not member material, not listed", async () => {
    const ENTRA = SCIM_TOKENS.ENTRA_SCIM_TOKEN;
    const theirs = await rig.request('POST', '/scim/v2/entra/Users', {
      token: ENTRA,
      body: user('scoped@x', 'aaaaaaaa-0000-4000-8000-00000000000a'),
    });
    expect(theirs.status).toBe(201);
    const id = theirs.body?.id as string;
    refusedWith(await rig.request('GET', `/scim/v2/entra/Users/${id}`, { token: OKTA }), 401);
    for (const method of ['GET', 'DELETE'] as const) {
      refusedWith(await rig.request(method, `/scim/v2/okta/Users/${id}`, { token: OKTA }), 404);
    }
    refusedWith(
      await rig.request('PATCH', `/scim/v2/okta/Users/${id}`, {
        token: OKTA,
        body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
      }),
      404,
    );
    refusedWith(
      await rig.request('POST', '/scim/v2/okta/Groups', {
        token: OKTA,
        body: { displayName: 'scoped', members: [{ value: id }] },
      }),
      400,
      'invalidValue',
    );
    const filter = encodeURIComponent('userName eq "scoped@x"');
    const listed = await rig.request('GET', `/scim/v2/okta/Users?filter=${filter}`, {
      token: OKTA,
    });
    expect(listed.body?.totalResults).toBe(0);
    // Untouched in its own directory.
    expect((await rig.store.getUser('entra', id))?.active).toBe(true);
  });

  it('a group deletion cut short (past the time of a large group) is finished by the retry', async () => {
    const member = await rig.request('POST', '/scim/v2/okta/Users', {
      token: OKTA,
      body: user('cut@x', 'ext-cut'),
    });
    const child = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: OKTA,
      body: { displayName: 'cut-child' },
    });
    const group = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: OKTA,
      body: {
        displayName: 'cut-short',
        members: [{ value: member.body?.id }, { value: child.body?.id }],
      },
    });
    const gid = group.body?.id as string;
    const childId = child.body?.id as string;
    // The function's time ran out once the group had left the group list: its member items,
    // the person's membership and the child's parent link are left behind.
    await db.createClient().send(
      new DeleteItemCommand({
        TableName: db.names.attributeTableName,
        Key: { pk: { S: directoryKeys.groups('okta') }, sk: { S: gid } },
      }),
    );
    expect((await rig.store.readPerson('okta', 'ext-cut')).groupIds).toEqual([gid]);
    // The IdP retries the DELETE: the clean-up is finished, then the group is simply gone.
    const retry = await rig.request('DELETE', `/scim/v2/okta/Groups/${gid}`, { token: OKTA });
    expect(retry.status).toBe(204);
    expect((await rig.store.readPerson('okta', 'ext-cut')).groupIds).toEqual([]);
    expect(await rig.store.listMembers('okta', gid, 10)).toEqual([]);
    expect((await rig.store.getGroup('okta', childId))?.parents).toEqual([]);
    refusedWith(await rig.request('DELETE', `/scim/v2/okta/Groups/${gid}`, { token: OKTA }), 404);
  });

  describe('a user deletion cut short after the profile went (DynamoDB throttling, the time)', () => {
    const cutShort = async (name: string) => {
      const member = await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user(`${name}@x`, `ext-${name}`),
      });
      const group = await rig.request('POST', '/scim/v2/okta/Groups', {
        token: OKTA,
        body: { displayName: `${name}-team`, members: [{ value: member.body?.id }] },
      });
      await db.createClient().send(
        new DeleteItemCommand({
          TableName: db.names.attributeTableName,
          Key: {
            pk: { S: directoryKeys.person('okta', `ext-${name}`) },
            sk: { S: 'A#PROFILE' },
          },
        }),
      );
      return { id: member.body?.id as string, gid: group.body?.id as string };
    };

    it('is finished by the retry: memberships, the catalog and the userName go (204, then 404)', async () => {
      const { id, gid } = await cutShort('cut1');
      const retry = await rig.request('DELETE', `/scim/v2/okta/Users/${id}`, { token: OKTA });
      expect(retry.status).toBe(204);
      expect((await rig.store.readPerson('okta', 'ext-cut1')).groupIds).toEqual([]);
      expect(await rig.store.listMembers('okta', gid, 10)).toEqual([]);
      refusedWith(await rig.request('DELETE', `/scim/v2/okta/Users/${id}`, { token: OKTA }), 404);
      const again = await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user('cut1@x', 'ext-cut1'),
      });
      expect(again.status).toBe(201);
    });

    it('never hands the old memberships to the person created again before any retry', async () => {
      await cutShort('cut2');
      const again = await rig.request('POST', '/scim/v2/okta/Users', {
        token: OKTA,
        body: user('cut2-again@x', 'ext-cut2'),
      });
      expect(again.status).toBe(201);
      expect((await rig.store.readPerson('okta', 'ext-cut2')).groupIds).toEqual([]);
    });
  });

  it('refuses a group nesting that makes a cycle', async () => {
    const a = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: OKTA,
      body: { displayName: 'cycle-a' },
    });
    const b = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: OKTA,
      body: { displayName: 'cycle-b', members: [{ value: a.body?.id, type: 'Group' }] },
    });
    refusedWith(
      await rig.request('PATCH', `/scim/v2/okta/Groups/${a.body?.id}`, {
        token: OKTA,
        body: {
          schemas: [PATCH],
          Operations: [{ op: 'add', path: 'members', value: [{ value: b.body?.id }] }],
        },
      }),
      400,
      'invalidValue',
    );
  });

  it('throttles an IdP past its requests per second with 429 and Retry-After', async () => {
    let now = 1_000_000;
    const slow = createScimRig({
      client: db.createClient(),
      names: db.names,
      config: scimTestConfig({ rps: 1 }),
      clock: () => now,
    });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push(
        (await slow.request('GET', '/scim/v2/okta/ServiceProviderConfig', { token: OKTA })).status,
      );
    expect(codes).toEqual([200, 200, 429, 429]);
    const res = await slow.request('GET', '/scim/v2/okta/ServiceProviderConfig', { token: OKTA });
    expect(res.headers['retry-after']).toBe('1');
    now += 1000;
    expect(
      (await slow.request('GET', '/scim/v2/okta/ServiceProviderConfig', { token: OKTA })).status,
    ).toBe(200);
  });

  it('concurrent PATCHes of one group lose no member', async () => {
    const users = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await rig.request('POST', '/scim/v2/okta/Users', {
          token: OKTA,
          body: user(`c${i}@x`, `ext-c${i}`),
        });
        return res.body?.id as string;
      }),
    );
    const group = await rig.request('POST', '/scim/v2/okta/Groups', {
      token: OKTA,
      body: { displayName: 'busy' },
    });
    const gid = group.body?.id as string;
    // 40 PATCHes at once, each adding one member (Entra and Okta both send batches in parallel),
    // and a rename racing them.
    const results = await Promise.all([
      ...users.map((id) =>
        rig.request('PATCH', `/scim/v2/okta/Groups/${gid}`, {
          token: OKTA,
          body: {
            schemas: [PATCH],
            Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }],
          },
        }),
      ),
      rig.request('PATCH', `/scim/v2/okta/Groups/${gid}`, {
        token: OKTA,
        body: {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'displayName', value: 'busy-2' }],
        },
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 204));
    const members = (await rig.store.listMembers('okta', gid, 100)) ?? [];
    expect(members.map((m) => m.id).sort()).toEqual([...users].sort());
    for (const [i, id] of users.entries()) {
      expect((await rig.store.readPerson('okta', `ext-c${i}`)).groupIds, id).toEqual([gid]);
    }
    // Concurrent removals of half of them, re-adding the other half: each member ends as its last op says.
    await Promise.all(
      users.map((id, i) =>
        rig.request('PATCH', `/scim/v2/okta/Groups/${gid}`, {
          token: OKTA,
          body: {
            schemas: [PATCH],
            Operations: [
              i % 2
                ? { op: 'remove', path: `members[value eq "${id}"]` }
                : { op: 'add', path: 'members', value: [{ value: id }] },
            ],
          },
        }),
      ),
    );
    const left = ((await rig.store.listMembers('okta', gid, 100)) ?? []).map((m) => m.id).sort();
    expect(left).toEqual(users.filter((_, i) => i % 2 === 0).sort());
    expect((await rig.store.getGroup('okta', gid))?.displayName).toBe('busy-2');
  });

  it('concurrent PATCHes of one user keep every change (revision check and retry)', async () => {
    const u = await rig.request('POST', '/scim/v2/okta/Users', {
      token: OKTA,
      body: user('race@x', 'ext-race'),
    });
    const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const attrs = ['department', 'costCenter', 'division', 'organization', 'employeeNumber'];
    const results = await Promise.all(
      attrs.map((a) =>
        rig.request('PATCH', `/scim/v2/okta/Users/${u.body?.id}`, {
          token: OKTA,
          body: {
            schemas: [PATCH],
            Operations: [{ op: 'add', path: `${ENTERPRISE}:${a}`, value: `${a}-1` }],
          },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(attrs.map(() => 200));
    const stored = await rig.store.getUser('okta', u.body?.id as string);
    expect(stored?.resource[ENTERPRISE]).toEqual(
      Object.fromEntries(attrs.map((a) => [a, `${a}-1`])),
    );
  });
});
