/**
 * The demo people of the demo SAML IdPs. Each exercises a path of the demo config: several roles
 * (the role picker), one role (straight to the console), a deny rule, nothing granted, and for
 * Entra a foreign tenant (refused) and group overage (resolved from the demo directory, which the
 * runner provisions through its SCIM endpoint at start).
 */
export interface DemoUser {
  id: string;
  name: string;
  /** What this user shows in the demo. */
  story: string;
  nameId: string;
  attributes: Record<string, string[]>;
}

const OKTA_ORG = '00o1demo';
export const DEMO_TENANT = '0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS = 'http://schemas.microsoft.com';

const okta = (
  id: string,
  name: string,
  story: string,
  attrs: Record<string, string[]>,
): DemoUser => ({
  id,
  name,
  story,
  nameId: attrs.email?.[0] ?? `${id}@example.com`,
  attributes: {
    oktaUserId: [`00u${id}${OKTA_ORG}`],
    firstName: [name.split(' ')[0] ?? name],
    ...attrs,
  },
});

/**
 * The Entra ID object id the demo Entra IdP sends for a demo person, and its demo SCIM client
 * provisions as `externalId` (./demo-directory.ts): a GUID, as Entra sends (fedgate refuses any
 * other object id), from the id's first bytes in hex.
 */
export const demoEntraObjectId = (id: string): string =>
  `${Buffer.from(id).toString('hex').padEnd(8, '0').slice(0, 8)}-1111-4222-8333-444455556666`;

const entra = (
  id: string,
  name: string,
  story: string,
  tenant: string,
  attrs: Record<string, string[]>,
): DemoUser => {
  const email = `${id}@contoso.example`;
  return {
    id,
    name,
    story,
    nameId: email, // Entra's default NameID is the UPN: mutable, never the subject
    attributes: {
      [`${MS}/identity/claims/objectidentifier`]: [demoEntraObjectId(id)],
      [`${MS}/identity/claims/tenantid`]: [tenant],
      [`${CLAIMS}/emailaddress`]: [email],
      [`${CLAIMS}/name`]: [email],
      [`${CLAIMS}/givenname`]: [name.split(' ')[0] ?? name],
      // A claim the app registration adds from user.employeetype: the gateway-wide contractor
      // deny of demo-config.yaml reads it from every IdP (missing, it would hold: fail closed).
      employeeType: ['employee'],
      ...attrs,
    },
  };
};

export const DEMO_USERS: Readonly<Record<'demo-okta' | 'demo-entra', readonly DemoUser[]>> = {
  'demo-okta': [
    okta('alice', 'Alice Admin', 'platform admin and developer: several roles, the role picker', {
      email: ['alice@example.com'],
      groups: ['Everyone', 'aws-platform-admins', 'aws-dev-payments'],
      department: ['engineering'],
      costCenter: ['cc-1001'],
      employeeType: ['employee'],
    }),
    okta(
      'carol',
      'Carol Contractor',
      'a contractor: production roles denied, one role left, straight to the console',
      {
        email: ['carol@example.com'],
        groups: ['Everyone', 'aws-dev-web'],
        department: ['web'],
        employeeType: ['contractor'],
      },
    ),
    okta('dave', 'Dave Partner', 'no AWS groups and a partner email: nothing granted', {
      email: ['dave@partner.example'],
      groups: ['Everyone'],
      department: ['sales'],
      employeeType: ['partner'],
    }),
  ],
  'demo-entra': [
    entra(
      'erin',
      'Erin Engineer',
      'admin group and developer app role: the role picker',
      DEMO_TENANT,
      {
        [`${MS}/ws/2008/06/identity/claims/groups`]: [
          '5f2c8a3e-1b4d-4c6a-8e9f-0a1b2c3d4e5f',
          '9a8b7c6d-0000-4000-8000-000000000001',
        ],
        [`${MS}/ws/2008/06/identity/claims/role`]: ['AWS.Developer'],
        [`${CLAIMS}/department`]: ['platform'],
      },
    ),
    entra(
      'frank',
      'Frank Foreign',
      'a user of another tenant: refused',
      '99999999-9999-4999-8999-999999999999',
      {
        [`${MS}/ws/2008/06/identity/claims/role`]: ['AWS.Developer'],
        [`${CLAIMS}/department`]: ['platform'],
      },
    ),
    entra(
      'grace',
      'Grace Groups',
      'in 300 groups: Entra sends a link instead (overage); fedgate reads them from its directory',
      DEMO_TENANT,
      {
        [`${MS}/claims/groups.link`]: [
          `https://graph.windows.net/${DEMO_TENANT}/users/grace/getMemberObjects`,
        ],
        [`${CLAIMS}/department`]: ['platform'],
      },
    ),
  ],
};
