import { describe, expect, it } from 'vitest';
import { coerceResource, USER_SCHEMA } from '../../../shared/scim/schema.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('coerceResource (User)', () => {
  it("accepts a schema named without attributes (Entra ID's ADSCIM group schema) and a bare manager id", () => {
    expect(
      coerceResource(USER_SCHEMA, {
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:User',
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/User',
        ],
        userName: 'a',
        [ENTERPRISE]: { manager: 'boss-id' },
      }),
    ).toEqual({ userName: 'a', [ENTERPRISE]: { manager: { value: 'boss-id' } } });
  });

  it('keeps known attributes under their canonical names, drops password and read-only ones', () => {
    const out = coerceResource(USER_SCHEMA, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      USERNAME: 'alice@example.com',
      externalId: '00u1alice',
      password: 'hunter2-never-stored',
      id: 'client-chosen-id',
      meta: { resourceType: 'User' },
      groups: [{ value: 'g1' }],
      name: { GivenName: 'Alice' },
      [ENTERPRISE.toUpperCase()]: { costCenter: 'cc-1' },
    });
    expect(out).toEqual({
      userName: 'alice@example.com',
      externalId: '00u1alice',
      name: { givenName: 'Alice' },
      [ENTERPRISE]: { costCenter: 'cc-1' },
    });
    expect(JSON.stringify(out)).not.toContain('hunter2');
  });

  it.each([
    ['a body that is not an object', [], 'scim_invalid_syntax'],
    ['no userName', { externalId: 'x' }, 'scim_invalid_value'],
    ['an unknown attribute', { userName: 'a', favouriteColour: 'red' }, 'scim_invalid_syntax'],
    ['an unknown sub-attribute', { userName: 'a', name: { nickname: 'x' } }, 'scim_invalid_syntax'],
    [
      'attributes under an unknown schema',
      { userName: 'a', schemas: ['urn:example:custom'], 'urn:example:custom': { x: 'y' } },
      'scim_invalid_syntax',
    ],
    ['a userName over 256 characters', { userName: 'a'.repeat(257) }, 'scim_invalid_value'],
    [
      'two primary emails',
      {
        userName: 'a',
        emails: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      },
      'scim_invalid_value',
    ],
    [
      'too many emails',
      { userName: 'a', emails: Array.from({ length: 21 }, (_, i) => ({ value: `${i}` })) },
      'scim_too_many',
    ],
    ['a number for a string', { userName: 42 }, 'scim_invalid_value'],
  ])('refuses %s', (_what, body, code) => {
    expect(() => coerceResource(USER_SCHEMA, body)).toThrow(
      expect.objectContaining({ code, status: 400 }),
    );
  });
});
