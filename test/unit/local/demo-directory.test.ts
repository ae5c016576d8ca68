import { describe, expect, it } from 'vitest';
import { DEMO_DIRECTORIES } from '../../../infra/local/demo/demo-directory.js';
import { DEMO_USERS } from '../../../infra/local/demo/demo-users.js';

/**
 * The demo provisioning run keys each person by the immutable id their demo IdP sends as the
 * subject (demo-config.yaml's subjectClaim): if the two drift apart, every demo person with
 * `requireProvisioned` is refused as not provisioned.
 */
const SUBJECT_CLAIM = {
  'demo-okta': 'oktaUserId',
  'demo-entra': 'http://schemas.microsoft.com/identity/claims/objectidentifier',
} as const;

describe('the demo directory', () => {
  it.each(['demo-okta', 'demo-entra'] as const)(
    '%s provisions each person under the subject its sign-in page sends',
    (idp) => {
      const signIn = new Map(DEMO_USERS[idp].map((u) => [u.id, u]));
      expect(DEMO_DIRECTORIES[idp].users.length).toBeGreaterThan(0);
      for (const person of DEMO_DIRECTORIES[idp].users) {
        const sent = signIn.get(person.id)?.attributes[SUBJECT_CLAIM[idp]];
        // Entra's are GUIDs compared in lower case (demo-config.yaml: subject.lowercase).
        expect([person.id, sent]).toEqual([person.id, [person.externalId]]);
      }
    },
  );

  it('does not describe a provisioned person whose groups come as an overage as refused', () => {
    // The demo sign-in page shows each person's story: with the demo directory, an overage is
    // resolved from it, so such a person signs in (test/integration/scim/directory-signin.test.ts).
    const provisioned = new Set(DEMO_DIRECTORIES['demo-entra'].users.map((p) => p.id));
    const overage = DEMO_USERS['demo-entra'].filter((u) =>
      Object.keys(u.attributes).some((name) => name.endsWith('/claims/groups.link')),
    );
    expect(overage.length).toBeGreaterThan(0);
    for (const u of overage) {
      expect(provisioned.has(u.id), u.id).toBe(true);
      expect(u.story, u.id).not.toMatch(/refused/);
    }
  });

  it('gives Entra people real GUIDs, as fedgate refuses any other object id', () => {
    for (const person of DEMO_DIRECTORIES['demo-entra'].users) {
      expect(person.externalId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    }
  });
});
