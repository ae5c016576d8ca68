import { readFileSync } from 'node:fs';
import SCIMMY from 'scimmy';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../../shared/scim/filter.js';
import { applyUserPatch, parsePatchRequest } from '../../../shared/scim/patch.js';
import { coerceResource, USER_SCHEMA } from '../../../shared/scim/schema.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { createScimRig, SCIM_TOKENS, type ScimRig } from '../../support/scim-rig.js';

/**
 * A differential check against an independent SCIM implementation: SCIMMY (npm `scimmy`, MIT, a
 * SCIM 2.0 library with its own RFC 7643 schema definitions, filter parser and PatchOp). It is not
 * fedgate's code and shares none of it:
 * - every resource fedgate's endpoint returns (users and groups after the Okta and Entra replays,
 *   the discovery documents) coerces cleanly through SCIMMY's RFC 7643 schemas (types, required
 *   attributes, sub-attributes, canonical values), and comes back unchanged;
 * - every filter fedgate accepts, SCIMMY parses to the same comparisons (fedgate accepts a strict
 *   subset: what SCIMMY accepts and fedgate refuses is listed);
 * - RFC-shaped PATCH operations (Okta's) give the same resource through both implementations.
 * (Entra's non-RFC shapes — "False" strings, value filters that create the value — SCIMMY refuses,
 * which is why fedgate has its own PATCH code.)
 */
const db = useDynamoDb();
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// biome-ignore lint/suspicious/noExplicitAny: SCIMMY's typings do not describe declare(definition).
(SCIMMY.Schemas.declare as (d: any) => void)(SCIMMY.Schemas.EnterpriseUser.definition);
SCIMMY.Schemas.User.extend(SCIMMY.Schemas.EnterpriseUser as never);

/** SCIMMY's view of a resource: coerced through its schema definition, as JSON. */
const throughScimmy = (resource: Record<string, unknown>) => {
  const Schema =
    resource.schemas &&
    (resource.schemas as string[]).includes('urn:ietf:params:scim:schemas:core:2.0:Group')
      ? SCIMMY.Schemas.Group
      : SCIMMY.Schemas.User;
  return JSON.parse(JSON.stringify(new Schema(resource, 'out')));
};
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, sortKeys(x)]),
        )
      : v;

describe('differential check against SCIMMY', () => {
  let rig: ScimRig;
  beforeAll(async () => {
    rig = createScimRig({ client: db.createClient(), names: db.names });
    for (const [idp, token] of [
      ['okta', SCIM_TOKENS.OKTA_SCIM_TOKEN],
      ['entra', SCIM_TOKENS.ENTRA_SCIM_TOKEN],
    ] as const) {
      const { steps } = JSON.parse(readFileSync(`test/fixtures/scim/${idp}-sequence.json`, 'utf8'));
      const vars = new Map<string, string>();
      for (const raw of steps) {
        const step = JSON.parse(
          JSON.stringify(raw).replace(
            /\{\{(\w+)\}\}/g,
            (_: string, n: string) => vars.get(n) ?? '',
          ),
        );
        const res = await rig.request(step.method, step.path, {
          token,
          ...(step.body ? { body: step.body } : {}),
        });
        for (const [v, f] of Object.entries(step.save ?? {}))
          vars.set(v, String(res.body?.[f as string]));
      }
      // A group with members of both kinds, for the Group schema.
      const users = (await rig.request('GET', `/scim/v2/${idp}/Users`, { token })).body
        ?.Resources as { id: string }[];
      const child = await rig.request('POST', `/scim/v2/${idp}/Groups`, {
        token,
        body: { displayName: 'child' },
      });
      await rig.request('POST', `/scim/v2/${idp}/Groups`, {
        token,
        body: {
          displayName: 'parent',
          members: [{ value: users[0]?.id }, { value: child.body?.id }],
        },
      });
    }
  });

  it('every user and group fedgate returns is a valid RFC 7643 resource to SCIMMY, unchanged by it', async () => {
    let checked = 0;
    for (const [idp, token] of [
      ['okta', SCIM_TOKENS.OKTA_SCIM_TOKEN],
      ['entra', SCIM_TOKENS.ENTRA_SCIM_TOKEN],
    ] as const) {
      for (const kind of ['Users', 'Groups']) {
        const list = await rig.request('GET', `/scim/v2/${idp}/${kind}`, { token });
        expect(list.body?.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
        const resources = list.body?.Resources as Record<string, unknown>[];
        expect(resources.length).toBeGreaterThan(0);
        for (const resource of resources) {
          const scimmy = throughScimmy(resource);
          // SCIMMY drops what its schema does not define and re-types what it coerces: equal
          // output means fedgate sent only defined attributes, correctly typed.
          expect(sortKeys(scimmy)).toEqual(sortKeys(resource));
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("the discovery documents validate against SCIMMY's own schemas for them", async () => {
    const token = SCIM_TOKENS.OKTA_SCIM_TOKEN;
    const spc = (await rig.request('GET', '/scim/v2/okta/ServiceProviderConfig', { token })).body;
    expect(() => new SCIMMY.Schemas.ServiceProviderConfig(spc, 'out')).not.toThrow();
    const types = (await rig.request('GET', '/scim/v2/okta/ResourceTypes', { token })).body
      ?.Resources as object[];
    for (const t of types) expect(() => new SCIMMY.Schemas.ResourceType(t, 'out')).not.toThrow();
    // SCIMMY has no schema for Schema documents: the attribute names against its own definitions.
    const schemas = (await rig.request('GET', '/scim/v2/okta/Schemas', { token })).body
      ?.Resources as { id: string; attributes: { name: string }[] }[];
    const names = (d: { attributes: { name: string }[] }) =>
      d.attributes
        .map((a) => a.name)
        .filter(
          (n) =>
            !['id', 'externalId', 'meta', 'schemas', 'EnterpriseUser'].includes(n) &&
            !n.startsWith('urn:'),
        )
        .sort();
    const definitionOf = (d: unknown) => d as { attributes: { name: string }[] };
    expect(names(definitionOf(schemas[0]))).toEqual(
      names(definitionOf(SCIMMY.Schemas.User.definition)),
    );
    expect(names(definitionOf(schemas[2]))).toEqual(
      names(definitionOf(SCIMMY.Schemas.Group.definition)),
    );
    expect(schemas.map((s) => (s as { id: string }).id)).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENTERPRISE,
      'urn:ietf:params:scim:schemas:core:2.0:Group',
    ]);
  });

  it('every filter fedgate accepts, SCIMMY parses to the same comparisons', () => {
    const accepted = [
      'userName eq "alice@example.com"',
      'externalId eq "00u1"',
      'userName eq "a" and externalId eq "b"',
      'id eq "x" and userName eq "y"',
      'USERNAME EQ "a"',
    ];
    for (const f of accepted) {
      const ours = parseFilter(f, ['userName', 'externalId', 'id']);
      const [theirs] = JSON.parse(JSON.stringify(new SCIMMY.Types.Filter(f))) as Record<
        string,
        [string, unknown]
      >[];
      expect(
        Object.entries(theirs ?? {}).map(([attribute, [op, value]]) => ({
          attribute: attribute.toLowerCase(),
          op,
          value,
        })),
        f,
      ).toEqual(
        ours.map((c) => ({ attribute: c.attribute.toLowerCase(), op: 'eq', value: c.value })),
      );
    }
    // What fedgate accepts and SCIMMY refuses: JSON escapes inside a value (RFC 7644 §3.4.2.2
    // makes compValue a JSON string; SCIMMY's tokenizer ends the value at the escaped quote).
    expect(parseFilter('userName eq "y\\"z"', ['userName'])).toEqual([
      { attribute: 'userName', value: 'y"z' },
    ]);
    expect(() => new SCIMMY.Types.Filter('userName eq "y\\"z"')).toThrow();
    // What SCIMMY accepts and fedgate refuses (stricter on purpose: no operator or grouping
    // fedgate does not evaluate exactly).
    for (const f of [
      'userName co "a"',
      'userName sw "a"',
      'userName eq "a" or userName eq "b"',
      'userName pr',
    ]) {
      expect(() => new SCIMMY.Types.Filter(f)).not.toThrow();
      expect(() => parseFilter(f, ['userName'])).toThrow(
        expect.objectContaining({ code: 'scim_invalid_filter' }),
      );
    }
  });

  it('RFC-shaped PATCH operations give the same user through both implementations', async () => {
    const base = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: 'pat@example.com',
      externalId: '00u1pat',
      active: true,
      displayName: 'Pat',
      name: { givenName: 'Pat', familyName: 'Smith' },
      emails: [
        { value: 'pat@example.com', type: 'work', primary: true },
        { value: 'pat@home.example', type: 'home' },
      ],
      [ENTERPRISE]: { department: 'eng' },
    };
    const cases: unknown[][] = [
      [{ op: 'replace', path: 'active', value: false }],
      [{ op: 'replace', value: { displayName: 'Patricia', active: false } }],
      [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'p@example.com' }],
      [{ op: 'remove', path: 'emails[type eq "home"]' }],
      [{ op: 'add', path: `${ENTERPRISE}:costCenter`, value: 'cc-1' }],
      [{ op: 'replace', path: 'name.familyName', value: 'Jones' }],
      [{ op: 'remove', path: 'displayName' }],
      [
        { op: 'add', path: 'title', value: 'Engineer' },
        { op: 'replace', path: `${ENTERPRISE}:department`, value: 'ops' },
      ],
    ];
    for (const ops of cases) {
      const body = { schemas: [PATCH], Operations: ops };
      const ours = coerceResource(
        USER_SCHEMA,
        applyUserPatch(USER_SCHEMA, coerceResource(USER_SCHEMA, base), parsePatchRequest(body)),
      );
      const theirs = JSON.parse(
        JSON.stringify(
          await new SCIMMY.Messages.PatchOp(body as never).apply(
            new SCIMMY.Schemas.User({ ...base, id: 'x' }, 'out'),
          ),
        ),
      );
      delete theirs.id;
      delete theirs.meta;
      delete theirs.schemas;
      expect(sortKeys(ours), JSON.stringify(ops)).toEqual(sortKeys(theirs));
    }
  });
});
