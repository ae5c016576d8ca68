import { demoEntraObjectId } from './demo-users.js';

/**
 * What the demo IdPs provision into fedgate's directory at start (the demo "provisioning run",
 * ./provisioning.ts): the same people as their sign-in pages (./demo-users.ts), keyed by the
 * immutable ids those pages send, with directory-only attributes (enterprise extension), groups
 * with nesting, and Grace, whom Entra ID cannot list in a token: she is in 300 groups.
 */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const OKTA_ORG = '00o1demo';

/** One demo person as a SCIM client would send them. */
export interface DemoScimUser {
  /** The demo person's id on the IdP's sign-in page (./demo-users.ts). */
  id: string;
  externalId: string;
  userName: string;
  displayName: string;
  department: string;
  costCenter: string;
  division: string;
}

/** One demo group: its members are people (by demo id) and groups (by displayName). */
export interface DemoScimGroup {
  displayName: string;
  externalId?: string;
  people: readonly string[];
  groups?: readonly string[];
}

export interface DemoDirectory {
  users: readonly DemoScimUser[];
  groups: readonly DemoScimGroup[];
}

/** The Entra ID object id the demo SAML IdP sends for a demo person (./demo-users.ts). */
export { demoEntraObjectId };

/** The read-only group of the demo Entra directory (a rule grants on its object id). */
export const DEMO_ENTRA_READONLY_GROUP = '7c1d2e3f-0000-4000-8000-00000000a0a0';
/** How many groups Grace is in: more than Entra ID puts in a SAML token (150) or a JWT (200). */
export const GRACE_GROUPS = 300;

const okta = (id: string, name: string, dept: string, cc: string): DemoScimUser => ({
  id,
  externalId: `00u${id}${OKTA_ORG}`,
  userName: `${id}@example.com`,
  displayName: name,
  department: dept,
  costCenter: cc,
  division: 'demo-okta',
});

const entra = (id: string, name: string, cc: string): DemoScimUser => ({
  id,
  externalId: demoEntraObjectId(id),
  userName: `${id}@contoso.example`,
  displayName: name,
  department: 'platform',
  costCenter: cc,
  division: 'demo-entra',
});

const team = (i: number) => `team-${String(i).padStart(3, '0')}`;

export const DEMO_DIRECTORIES: Readonly<Record<'demo-okta' | 'demo-entra', DemoDirectory>> = {
  'demo-okta': {
    users: [
      okta('alice', 'Alice Admin', 'engineering', 'cc-1001'),
      okta('carol', 'Carol Contractor', 'web', 'cc-2002'),
      okta('dave', 'Dave Partner', 'sales', 'cc-3003'),
    ],
    groups: [
      { displayName: 'Everyone', people: ['alice', 'carol', 'dave'] },
      { displayName: 'aws-platform-admins', people: ['alice'] },
      { displayName: 'aws-dev-payments', people: ['alice'] },
      { displayName: 'aws-dev-web', people: ['carol'] },
      // Nesting: members of either team are developers (directory.groupNames has all three).
      { displayName: 'aws-developers', people: [], groups: ['aws-dev-payments', 'aws-dev-web'] },
    ],
  },
  'demo-entra': {
    users: [entra('erin', 'Erin Engineer', 'cc-4004'), entra('grace', 'Grace Groups', 'cc-5005')],
    groups: [
      {
        displayName: 'AWS Cloud Admins',
        externalId: '5f2c8a3e-1b4d-4c6a-8e9f-0a1b2c3d4e5f',
        people: ['erin'],
      },
      {
        displayName: 'Platform team',
        externalId: '9a8b7c6d-0000-4000-8000-000000000001',
        people: ['erin'],
      },
      { displayName: 'AWS Read-only', externalId: DEMO_ENTRA_READONLY_GROUP, people: ['grace'] },
      ...Array.from({ length: GRACE_GROUPS - 1 }, (_, i) => ({
        displayName: team(i + 1),
        externalId: `7c1d2e3f-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
        people: ['grace'],
      })),
    ],
  },
};

/** A demo person's SCIM User resource (Okta and Entra send the enterprise extension alike). */
export const scimUserOf = (u: DemoScimUser) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  externalId: u.externalId,
  userName: u.userName,
  active: true,
  displayName: u.displayName,
  name: { givenName: u.displayName.split(' ')[0], familyName: u.displayName.split(' ')[1] },
  emails: [{ value: u.userName, type: 'work', primary: true }],
  [ENTERPRISE]: { department: u.department, costCenter: u.costCenter, division: u.division },
});
