import { describe, expect, it } from 'vitest';
import { applyGroupPatch, applyUserPatch, parsePatchRequest } from '../../../shared/scim/patch.js';
import { coerceResource, GROUP_SCHEMA, USER_SCHEMA } from '../../../shared/scim/schema.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = coerceResource(USER_SCHEMA, {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: 'erin@contoso.example',
  externalId: 'erin0000-1111-4222-8333-444455556666',
  active: true,
  emails: [{ value: 'erin@contoso.example', type: 'work', primary: true }],
  [ENTERPRISE]: { department: 'platform' },
});

const patch = (...Operations: unknown[]) =>
  applyUserPatch(USER_SCHEMA, user, parsePatchRequest({ schemas: [PATCH], Operations }));

describe('user PATCH: the shapes Entra ID sends', () => {
  it('reads capitalised ops and "False" for a boolean (Entra deactivation)', () => {
    expect(patch({ op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
  });

  it('adds through a value filter, creating the value when none matches', () => {
    const next = patch({ op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555' });
    expect(next.phoneNumbers).toEqual([{ type: 'work', value: '+1 555' }]);
  });

  it('replaces a value through a filter on the existing element', () => {
    const next = patch({
      op: 'Replace',
      path: 'emails[type eq "work"].value',
      value: 'e@x.example',
    });
    expect(next.emails).toEqual([{ value: 'e@x.example', type: 'work', primary: true }]);
  });

  it('sets enterprise attributes by their qualified path, the manager from a bare id', () => {
    const next = patch(
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'finance' },
      { op: 'Add', path: `${ENTERPRISE}:manager`, value: { value: 'boss-id' } },
    );
    expect(next[ENTERPRISE]).toEqual({ department: 'finance', manager: { value: 'boss-id' } });
  });

  it('sets a sub-attribute of a complex attribute', () => {
    expect(patch({ op: 'Add', path: 'name.givenName', value: 'Erin' }).name).toEqual({
      givenName: 'Erin',
    });
  });

  it('removes the elements a filter selects', () => {
    expect(patch({ op: 'Remove', path: 'emails[type eq "work"]' }).emails).toEqual([]);
  });
});

describe("user PATCH: Okta's path-less replace", () => {
  it('applies each attribute of the value object', () => {
    const next = patch({ op: 'replace', value: { active: false, displayName: 'Erin E.' } });
    expect(next).toMatchObject({ active: false, displayName: 'Erin E.' });
  });

  it('reads an extension object under its URN', () => {
    const next = patch({ op: 'replace', value: { [ENTERPRISE]: { costCenter: 'cc-9' } } });
    expect(next[ENTERPRISE]).toEqual({ department: 'platform', costCenter: 'cc-9' });
  });
});

describe('PATCH refusals (each with its scimType)', () => {
  it.each([
    [
      'no PatchOp schema',
      { Operations: [{ op: 'add', path: 'title', value: 'x' }] },
      'scim_invalid_syntax',
    ],
    ['no operations', { schemas: [PATCH], Operations: [] }, 'scim_invalid_syntax'],
    [
      'an unknown op',
      { schemas: [PATCH], Operations: [{ op: 'move', path: 'title' }] },
      'scim_invalid_syntax',
    ],
    [
      'remove without a path',
      { schemas: [PATCH], Operations: [{ op: 'remove' }] },
      'scim_no_target',
    ],
    [
      'add without a value',
      { schemas: [PATCH], Operations: [{ op: 'add', path: 'title' }] },
      'scim_invalid_value',
    ],
    [
      'an unknown member',
      { schemas: [PATCH], Operations: [{ op: 'add', path: 'title', value: 'x', from: 'y' }] },
      'scim_invalid_syntax',
    ],
  ])('%s', (_what, body, code) => {
    expect(() => parsePatchRequest(body)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    [
      'an unknown attribute path',
      { op: 'replace', path: 'favouriteColour', value: 'red' },
      'scim_invalid_path',
    ],
    [
      'an unknown schema',
      { op: 'replace', path: 'urn:example:custom:2.0:User:x', value: 'red' },
      'scim_invalid_path',
    ],
    [
      'a read-only attribute',
      { op: 'add', path: 'groups', value: [{ value: 'g' }] },
      'scim_mutability',
    ],
    [
      'a string where a boolean goes',
      { op: 'replace', path: 'active', value: 'maybe' },
      'scim_invalid_value',
    ],
    [
      'an unsupported value filter',
      { op: 'replace', path: 'emails[type co "w"].value', value: 'x' },
      'scim_invalid_path',
    ],
    [
      'control characters',
      { op: 'replace', path: 'displayName', value: 'a\u0000b' },
      'scim_invalid_value',
    ],
  ])('%s', (_what, op, code) => {
    expect(() => patch(op)).toThrow(expect.objectContaining({ code, status: 400 }));
  });
});

describe('group PATCH', () => {
  const group = () => coerceResource(GROUP_SCHEMA, { displayName: 'aws-admins' });
  const run = (...Operations: unknown[]) => {
    const resource = group();
    const change = applyGroupPatch(
      GROUP_SCHEMA,
      resource,
      parsePatchRequest({ schemas: [PATCH], Operations }),
    );
    return {
      resource,
      change: { base: change.base, add: [...change.add], remove: [...change.remove] },
    };
  };

  it("Entra's member batches: Add and Remove with value lists", () => {
    expect(
      run(
        { op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] },
        { op: 'Remove', path: 'members', value: [{ value: 'u2' }, { value: 'u3' }] },
      ).change,
    ).toEqual({ base: 'current', add: ['u1'], remove: ['u2', 'u3'] });
  });

  it("Okta's remove by value filter, and a rename without a path", () => {
    const { resource, change } = run(
      { op: 'remove', path: 'members[value eq "u9"]' },
      { op: 'replace', value: { id: 'ignored', displayName: 'aws-admins-2' } },
    );
    expect(change).toEqual({ base: 'current', add: [], remove: ['u9'] });
    expect(resource.displayName).toBe('aws-admins-2');
  });

  it('replace of members starts from none; remove of members without a value removes all', () => {
    expect(run({ op: 'replace', path: 'members', value: [{ value: 'u1' }] }).change).toEqual({
      base: 'empty',
      add: ['u1'],
      remove: [],
    });
    expect(run({ op: 'remove', path: 'members' }).change).toEqual({
      base: 'empty',
      add: [],
      remove: [],
    });
  });

  it('refuses a member without an id and other member filters', () => {
    expect(() => run({ op: 'add', path: 'members', value: [{ display: 'x' }] })).toThrow(
      expect.objectContaining({ code: 'scim_invalid_value' }),
    );
    expect(() => run({ op: 'remove', path: 'members[type eq "User"]' })).toThrow(
      expect.objectContaining({ code: 'scim_invalid_path' }),
    );
  });
});
