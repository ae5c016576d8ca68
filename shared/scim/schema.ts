import { scimBadRequest } from './errors.js';

/** Schema URNs of RFC 7643 and RFC 7644 that fedgate speaks. */
export const SCIM_SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** One attribute of a schema (RFC 7643 §7), as the Schemas endpoint publishes it and validation reads it. */
export interface AttributeDef {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference' | 'binary';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: readonly AttributeDef[];
  /** fedgate's bounds: characters per string, items per multi-valued attribute. */
  maxLength?: number;
  maxItems?: number;
}

type Opts = Partial<Omit<AttributeDef, 'name' | 'type' | 'description'>>;
const attr = (
  name: string,
  type: AttributeDef['type'],
  description: string,
  opts: Opts = {},
): AttributeDef => ({
  name,
  type,
  description,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...opts,
});
const str = (name: string, description: string, opts: Opts = {}) =>
  attr(name, 'string', description, opts);

const multi = (name: string, description: string, value: AttributeDef, maxItems = 20) =>
  attr(name, 'complex', description, {
    multiValued: true,
    maxItems,
    subAttributes: [
      value,
      str('display', 'A human-readable name.'),
      str('type', 'A label, e.g. "work".'),
      attr('primary', 'boolean', 'The primary value of the attribute.'),
    ],
  });

/** The core User schema (RFC 7643 §4.1), with fedgate's size bounds. */
export const USER_ATTRIBUTES: readonly AttributeDef[] = [
  str('userName', 'Unique identifier for the user, typically used to sign in.', {
    required: true,
    uniqueness: 'server',
    maxLength: 256,
  }),
  attr('name', 'complex', "The components of the user's name.", {
    subAttributes: [
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ].map((n) => str(n, `The ${n} part of the name.`)),
  }),
  ...[
    'displayName',
    'nickName',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
  ].map((n) => str(n, `The user's ${n}.`)),
  attr('profileUrl', 'reference', "A URI of the user's online profile."),
  attr('active', 'boolean', "The user's administrative status: false ends fedgate access."),
  str('password', 'Never stored by fedgate (write-only).', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  multi('emails', 'Email addresses.', str('value', 'The email address.')),
  multi('phoneNumbers', 'Phone numbers.', str('value', 'The phone number.')),
  multi('ims', 'Instant messaging addresses.', str('value', 'The address.')),
  multi('photos', 'URLs of photos.', attr('value', 'reference', 'The URL.')),
  attr('addresses', 'complex', 'Physical mailing addresses.', {
    multiValued: true,
    maxItems: 10,
    subAttributes: [
      ...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map(
        (n) => str(n, `The ${n} part of the address.`),
      ),
      attr('primary', 'boolean', 'The primary address.'),
    ],
  }),
  attr('groups', 'complex', 'The groups the user belongs to (read-only: set through Groups).', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      str('value', 'The group id.', { mutability: 'readOnly' }),
      attr('$ref', 'reference', 'The group URI.', { mutability: 'readOnly' }),
      str('display', 'The group name.', { mutability: 'readOnly' }),
      str('type', 'direct or indirect.', { mutability: 'readOnly' }),
    ],
  }),
  multi('entitlements', 'Entitlements.', str('value', 'The entitlement.'), 100),
  multi('roles', 'Roles.', str('value', 'The role.'), 100),
  multi('x509Certificates', 'Certificates.', attr('value', 'binary', 'DER, base64.'), 5),
];

/** The enterprise User extension (RFC 7643 §4.3). */
export const ENTERPRISE_USER_ATTRIBUTES: readonly AttributeDef[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) =>
    str(n, `The user's ${n}.`),
  ),
  attr('manager', 'complex', "The user's manager.", {
    subAttributes: [
      str('value', "The manager's id.", { caseExact: true }),
      attr('$ref', 'reference', "The manager's URI."),
      str('displayName', "The manager's name.", { mutability: 'readOnly' }),
    ],
  }),
];

/** The core Group schema (RFC 7643 §4.2). */
export const GROUP_ATTRIBUTES: readonly AttributeDef[] = [
  str('displayName', 'A human-readable name for the group.', { required: true, maxLength: 256 }),
  attr('members', 'complex', 'Members of the group: users or groups (nesting).', {
    multiValued: true,
    maxItems: 10_000,
    subAttributes: [
      str('value', 'The id of the member.', { mutability: 'immutable', caseExact: true }),
      attr('$ref', 'reference', 'The URI of the member.', { mutability: 'immutable' }),
      str('display', 'A human-readable name of the member.', { mutability: 'readOnly' }),
      str('type', 'User or Group.', { mutability: 'immutable' }),
    ],
  }),
];

/** Characters a provisioned string never holds: controls, format characters, lone surrogates. */
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const DEFAULT_MAX_LENGTH = 1024;

/** A JSON object as SCIM bodies hold them. */
export type ScimObject = Record<string, unknown>;

const isObject = (v: unknown): v is ScimObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Finds an attribute definition by name, case-insensitively (RFC 7643 §2.1). */
export const findAttribute = (
  defs: readonly AttributeDef[],
  name: string,
): AttributeDef | undefined => {
  const lower = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
};

/**
 * A value checked against its definition and turned into its canonical form: names spelled as
 * the schema spells them, booleans as booleans (Entra ID sends `"False"` in PATCH values, a
 * documented quirk: the strings `true`/`false` in any case are read as booleans), strings without
 * control characters and within bounds, `null` as absent. Unknown sub-attributes are refused.
 * @throws scim_invalid_syntax / scim_invalid_value (400).
 */
export const coerceValue = (def: AttributeDef, value: unknown, path: string): unknown => {
  if (value === null) return undefined;
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    const max = def.maxItems ?? 20;
    if (items.length > max) {
      throw scimBadRequest('tooMany', `${path} has ${items.length} values, at most ${max}`);
    }
    const single = { ...def, multiValued: false };
    const out = items
      .map((item, i) => coerceValue(single, item, `${path}[${i}]`))
      .filter((v) => v !== undefined);
    if (def.subAttributes?.some((s) => s.name === 'primary')) {
      const primaries = out.filter((v) => isObject(v) && v.primary === true).length;
      if (primaries > 1) throw scimBadRequest('invalidValue', `${path} has more than one primary`);
    }
    return out;
  }
  switch (def.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
        return value.toLowerCase() === 'true';
      }
      throw scimBadRequest('invalidValue', `${path} must be a boolean`);
    }
    case 'complex': {
      // Entra ID sets the manager with the manager's id alone: `{ value: id }`.
      if (typeof value === 'string' && def.subAttributes?.some((s) => s.name === 'value')) {
        return coerceValue(def, { value }, path);
      }
      if (!isObject(value)) throw scimBadRequest('invalidValue', `${path} must be an object`);
      const out: ScimObject = {};
      for (const [key, v] of Object.entries(value)) {
        const sub = findAttribute(def.subAttributes ?? [], key);
        if (!sub)
          throw scimBadRequest('invalidSyntax', `${path}.${key.slice(0, 64)} is not an attribute`);
        const coerced = coerceValue(sub, v, `${path}.${sub.name}`);
        if (coerced !== undefined) out[sub.name] = coerced;
      }
      return out;
    }
    default: {
      if (typeof value !== 'string') {
        throw scimBadRequest('invalidValue', `${path} must be a string`);
      }
      const max = def.maxLength ?? DEFAULT_MAX_LENGTH;
      if (value.length > max) {
        throw scimBadRequest('invalidValue', `${path} is longer than ${max} characters`);
      }
      if (CONTROL.test(value)) {
        throw scimBadRequest('invalidValue', `${path} holds control or format characters`);
      }
      return value;
    }
  }
};

/** The definitions of a resource type: its core attributes and its extensions by URN. */
export interface ResourceSchema {
  core: string;
  attributes: readonly AttributeDef[];
  extensions: Readonly<Record<string, readonly AttributeDef[]>>;
}

export const USER_SCHEMA: ResourceSchema = {
  core: SCIM_SCHEMAS.user,
  attributes: USER_ATTRIBUTES,
  extensions: { [SCIM_SCHEMAS.enterpriseUser]: ENTERPRISE_USER_ATTRIBUTES },
};

export const GROUP_SCHEMA: ResourceSchema = {
  core: SCIM_SCHEMAS.group,
  attributes: GROUP_ATTRIBUTES,
  extensions: {},
};

/** Attributes every resource has (RFC 7643 §3.1): read-only ones are ignored on input. */
const COMMON = new Set(['id', 'meta', 'schemas', 'externalid']);

/**
 * A resource body (POST, PUT, or the result of a PATCH) as fedgate stores it: each attribute
 * canonically named and coerced; extension attributes under their schema URN; `externalId` kept;
 * `id`, `meta` and read-only attributes (`groups`) ignored, as RFC 7643 §2.2 asks; `password`
 * dropped (fedgate never stores one). Unknown attributes and schemas are refused: fedgate keeps
 * only what it can publish in its Schemas endpoint.
 * @throws scim_invalid_syntax, scim_invalid_value, scim_too_many (400).
 */
export const coerceResource = (schema: ResourceSchema, body: unknown): ScimObject => {
  if (!isObject(body)) throw scimBadRequest('invalidSyntax', 'the body must be a JSON object');
  const out: ScimObject = {};
  const extensions = new Map(
    Object.entries(schema.extensions).map(([urn, defs]) => [urn.toLowerCase(), { urn, defs }]),
  );
  if (body.schemas !== undefined) {
    if (!Array.isArray(body.schemas) || !body.schemas.every((s) => typeof s === 'string')) {
      throw scimBadRequest('invalidSyntax', 'schemas must be a list of schema URNs');
    }
    // The list only names schemas; what counts is the attributes. Entra ID names a schema of its
    // own on groups (…/ADSCIM/Group) and sends nothing under it: accepted. Any attribute under
    // an unknown schema is refused below as an unknown attribute.
    const keys = new Set(Object.keys(body).map((k) => k.toLowerCase()));
    for (const urn of body.schemas as string[]) {
      const lower = urn.toLowerCase();
      if (lower !== schema.core.toLowerCase() && !extensions.has(lower) && keys.has(lower)) {
        throw scimBadRequest('invalidSyntax', `schema ${urn.slice(0, 128)} is not supported`);
      }
    }
  }
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower === 'externalid') {
      if (value === null) continue;
      out.externalId = coerceValue(str('externalId', '', { caseExact: true }), value, 'externalId');
      continue;
    }
    if (COMMON.has(lower)) continue;
    const extension = extensions.get(lower);
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) {
        throw scimBadRequest('invalidSyntax', `${extension.urn} must be an object`);
      }
      const ext: ScimObject = {};
      for (const [k, v] of Object.entries(value)) {
        const def = findAttribute(extension.defs, k);
        if (!def) {
          throw scimBadRequest(
            'invalidSyntax',
            `${extension.urn}:${k.slice(0, 64)} is not an attribute`,
          );
        }
        if (def.mutability === 'readOnly') continue;
        const coerced = coerceValue(def, v, `${extension.urn}:${def.name}`);
        if (coerced !== undefined) ext[def.name] = coerced;
      }
      if (Object.keys(ext).length > 0) out[extension.urn] = ext;
      continue;
    }
    const def = findAttribute(schema.attributes, key);
    if (!def) throw scimBadRequest('invalidSyntax', `${key.slice(0, 64)} is not an attribute`);
    if (def.mutability === 'readOnly' || def.name === 'password') continue;
    const coerced = coerceValue(def, value, def.name);
    if (coerced !== undefined) out[def.name] = coerced;
  }
  for (const def of schema.attributes) {
    if (def.required && (out[def.name] === undefined || out[def.name] === '')) {
      throw scimBadRequest('invalidValue', `${def.name} is required`);
    }
  }
  return out;
};
