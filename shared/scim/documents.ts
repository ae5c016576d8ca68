import {
  type AttributeDef,
  ENTERPRISE_USER_ATTRIBUTES,
  GROUP_ATTRIBUTES,
  SCIM_SCHEMAS,
  USER_ATTRIBUTES,
} from './schema.js';

/** The most resources one list page returns (`count` is capped to it). */
export const MAX_PAGE_SIZE = 200;

const publish = (a: AttributeDef): Record<string, unknown> => ({
  name: a.name,
  type: a.type,
  multiValued: a.multiValued,
  description: a.description,
  required: a.required,
  caseExact: a.caseExact,
  mutability: a.mutability,
  returned: a.returned,
  uniqueness: a.uniqueness,
  ...(a.subAttributes ? { subAttributes: a.subAttributes.map(publish) } : {}),
  ...(a.type === 'reference' ? { referenceTypes: ['external'] } : {}),
});

const meta = (base: string, resourceType: string, path: string) => ({
  resourceType,
  location: `${base}/${path}`,
});

/** RFC 7643 §5: what this service provider supports (no bulk, sort, ETags, password change). */
export const serviceProviderConfig = (base: string) => ({
  schemas: [SCIM_SCHEMAS.serviceProviderConfig],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_PAGE_SIZE },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description:
        "A long random token per IdP, kept in the IdP's SCIM settings and in fedgate's secret store.",
      primary: true,
    },
  ],
  meta: meta(base, 'ServiceProviderConfig', 'ServiceProviderConfig'),
});

/** RFC 7643 §6: the User and Group resource types. */
export const resourceTypes = (base: string) => [
  {
    schemas: [SCIM_SCHEMAS.resourceType],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: "People of this IdP: keyed by externalId (the IdP's immutable user id).",
    schema: SCIM_SCHEMAS.user,
    schemaExtensions: [{ schema: SCIM_SCHEMAS.enterpriseUser, required: false }],
    meta: meta(base, 'ResourceType', 'ResourceTypes/User'),
  },
  {
    schemas: [SCIM_SCHEMAS.resourceType],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'Groups of this IdP; members are users or groups (nesting).',
    schema: SCIM_SCHEMAS.group,
    meta: meta(base, 'ResourceType', 'ResourceTypes/Group'),
  },
];

/** RFC 7643 §7: the schemas, generated from the definitions validation reads. */
export const schemas = (base: string) =>
  (
    [
      [SCIM_SCHEMAS.user, 'User', 'User Account', USER_ATTRIBUTES],
      [
        SCIM_SCHEMAS.enterpriseUser,
        'EnterpriseUser',
        'Enterprise User',
        ENTERPRISE_USER_ATTRIBUTES,
      ],
      [SCIM_SCHEMAS.group, 'Group', 'Group', GROUP_ATTRIBUTES],
    ] as const
  ).map(([id, name, description, attributes]) => ({
    schemas: [SCIM_SCHEMAS.schema],
    id,
    name,
    description,
    attributes: attributes.map(publish),
    meta: meta(base, 'Schema', `Schemas/${id}`),
  }));

/** A ListResponse (RFC 7644 §3.4.2). */
export const listResponse = (resources: readonly unknown[], total: number, startIndex: number) => ({
  schemas: [SCIM_SCHEMAS.listResponse],
  totalResults: total,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});
