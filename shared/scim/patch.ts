import { scimBadRequest } from './errors.js';
import { type FilterComparison, parseFilter } from './filter.js';
import {
  type AttributeDef,
  coerceValue,
  findAttribute,
  type ResourceSchema,
  SCIM_SCHEMAS,
  type ScimObject,
} from './schema.js';

/** One PATCH operation (RFC 7644 §3.5.2), its `op` lower-cased (Entra ID sends `Add`, `Replace`). */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** The most operations one PATCH request may carry. */
export const MAX_PATCH_OPERATIONS = 1000;

const isObject = (v: unknown): v is ScimObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The operations of a PatchOp body: `schemas` must name PatchOp, `Operations` (any case) a
 * non-empty list of at most {@link MAX_PATCH_OPERATIONS} objects with `op` add/replace/remove (any
 * case), an optional string `path` and, except for remove, a `value`.
 * @throws scim_invalid_syntax (400), scim_too_many (400).
 */
export const parsePatchRequest = (body: unknown): PatchOperation[] => {
  if (!isObject(body)) throw scimBadRequest('invalidSyntax', 'the body must be a JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SCIM_SCHEMAS.patchOp)) {
    throw scimBadRequest('invalidSyntax', `schemas must include ${SCIM_SCHEMAS.patchOp}`);
  }
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const raw = key === undefined ? undefined : body[key];
  if (!Array.isArray(raw) || raw.length === 0) {
    throw scimBadRequest('invalidSyntax', 'Operations must be a non-empty list');
  }
  if (raw.length > MAX_PATCH_OPERATIONS) {
    throw scimBadRequest('tooMany', `more than ${MAX_PATCH_OPERATIONS} operations`);
  }
  return raw.map((item, i): PatchOperation => {
    if (!isObject(item)) throw scimBadRequest('invalidSyntax', `Operations[${i}] is not an object`);
    const fields = new Map(Object.entries(item).map(([k, v]) => [k.toLowerCase(), v]));
    for (const k of fields.keys()) {
      if (k !== 'op' && k !== 'path' && k !== 'value') {
        throw scimBadRequest(
          'invalidSyntax',
          `Operations[${i}] has an unknown member ${k.slice(0, 32)}`,
        );
      }
    }
    const op = fields.get('op');
    const lower = typeof op === 'string' ? op.toLowerCase() : '';
    if (lower !== 'add' && lower !== 'replace' && lower !== 'remove') {
      throw scimBadRequest('invalidSyntax', `Operations[${i}].op must be add, replace or remove`);
    }
    const path = fields.get('path');
    if (path !== undefined && (typeof path !== 'string' || path === '' || path.length > 512)) {
      throw scimBadRequest('invalidPath', `Operations[${i}].path must be a non-empty string`);
    }
    if (lower === 'remove' && path === undefined) {
      throw scimBadRequest('noTarget', `Operations[${i}]: remove needs a path`);
    }
    if (lower !== 'remove' && !fields.has('value')) {
      throw scimBadRequest('invalidValue', `Operations[${i}]: ${lower} needs a value`);
    }
    return {
      op: lower,
      ...(path !== undefined ? { path: path as string } : {}),
      ...(fields.has('value') ? { value: fields.get('value') } : {}),
    };
  });
};

/** A parsed attribute path: which attribute (and schema), an optional value filter and sub-attribute. */
interface ParsedPath {
  /** The schema URN for extension attributes; undefined for core ones. */
  extension: string | undefined;
  def: AttributeDef;
  filter: FilterComparison[] | undefined;
  sub: AttributeDef | undefined;
}

/**
 * Parses `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub`, each optionally behind a
 * schema URN (`urn:…:enterprise:2.0:User:department`), against the resource's schema.
 * @throws scim_invalid_path (400) for anything else or an attribute the schema does not have.
 */
export const parsePath = (schema: ResourceSchema, path: string): ParsedPath => {
  let rest = path;
  let extension: string | undefined;
  let defs = schema.attributes;
  if (rest.toLowerCase().startsWith('urn:')) {
    const candidates = [schema.core, ...Object.keys(schema.extensions)].sort(
      (a, b) => b.length - a.length,
    );
    const urn = candidates.find((u) => rest.toLowerCase().startsWith(`${u.toLowerCase()}:`));
    if (!urn)
      throw scimBadRequest(
        'invalidPath',
        `the schema of path ${path.slice(0, 128)} is not supported`,
      );
    rest = rest.slice(urn.length + 1);
    if (urn !== schema.core) {
      extension = urn;
      defs = schema.extensions[urn] ?? [];
    }
  }
  const bracket = rest.indexOf('[');
  const dot = rest.indexOf('.');
  const end = bracket >= 0 && (dot < 0 || bracket < dot) ? bracket : dot >= 0 ? dot : rest.length;
  const name = rest.slice(0, end);
  const def = findAttribute(defs, name);
  if (!def) throw scimBadRequest('invalidPath', `${path.slice(0, 128)} is not an attribute path`);
  let filter: FilterComparison[] | undefined;
  let tail = rest.slice(end);
  if (tail.startsWith('[')) {
    const close = tail.indexOf(']');
    if (close < 0 || !def.multiValued || !def.subAttributes) {
      throw scimBadRequest('invalidPath', `${path.slice(0, 128)} has an invalid value filter`);
    }
    try {
      filter = parseFilter(
        tail.slice(1, close),
        def.subAttributes.map((s) => s.name),
      );
    } catch {
      throw scimBadRequest('invalidPath', `${path.slice(0, 128)} has an unsupported value filter`);
    }
    tail = tail.slice(close + 1);
  }
  let sub: AttributeDef | undefined;
  if (tail.startsWith('.')) {
    sub = findAttribute(def.subAttributes ?? [], tail.slice(1));
    if (!sub) throw scimBadRequest('invalidPath', `${path.slice(0, 128)} names no sub-attribute`);
  } else if (tail !== '') {
    throw scimBadRequest('invalidPath', `${path.slice(0, 128)} is not an attribute path`);
  }
  return { extension, def, filter, sub };
};

const matches = (def: AttributeDef, item: unknown, filter: FilterComparison[]): boolean =>
  isObject(item) &&
  filter.every(({ attribute, value }) => {
    const sub = findAttribute(def.subAttributes ?? [], attribute);
    const actual = item[attribute];
    if (typeof actual !== 'string') return false;
    return sub?.caseExact ? actual === value : actual.toLowerCase() === value.toLowerCase();
  });

/**
 * Applies one operation with a path to a resource object in its canonical form (as
 * `coerceResource` returns it), in place. The caller re-validates the whole result.
 * - add: sets a single value, appends to a multi-valued attribute (values already there are not
 *   repeated), merges into a complex one;
 * - replace: sets (a multi-valued attribute is replaced whole);
 * - remove: deletes the attribute, the matching values, or a sub-attribute of them;
 * - a value filter (`emails[type eq "work"].value`) that matches nothing creates the value for add
 *   and replace, as Entra ID expects (`{ type: "work", value: … }`); remove then does nothing.
 * @throws scim_invalid_path, scim_invalid_value, scim_mutability (400).
 */
export const applyPathOperation = (
  schema: ResourceSchema,
  resource: ScimObject,
  op: PatchOperation,
): void => {
  const { extension, def, filter, sub } = parsePath(schema, op.path as string);
  if (def.mutability === 'readOnly') {
    throw scimBadRequest('mutability', `${def.name} is read-only`);
  }
  let container: ScimObject = resource;
  if (extension) {
    const existing = resource[extension];
    container = isObject(existing) ? existing : {};
    resource[extension] = container;
  }
  const name = def.name;
  const path = op.path as string;

  if (filter === undefined && sub === undefined) {
    if (op.op === 'remove') {
      if (def.multiValued && op.value !== undefined && Array.isArray(op.value)) {
        // Entra ID: remove with the values to remove.
        const remove = coerceValue(def, op.value, path) as unknown[];
        const current = Array.isArray(container[name]) ? (container[name] as unknown[]) : [];
        container[name] = current.filter(
          (v) => !remove.some((r) => JSON.stringify(r) === JSON.stringify(v)),
        );
      } else {
        delete container[name];
      }
      return;
    }
    const value = coerceValue(def, op.value, path);
    if (op.op === 'add' && def.multiValued && Array.isArray(container[name])) {
      const current = container[name] as unknown[];
      const seen = new Set(current.map((v) => JSON.stringify(v)));
      container[name] = [
        ...current,
        ...(value as unknown[]).filter((v) => !seen.has(JSON.stringify(v))),
      ];
    } else if (op.op === 'add' && def.type === 'complex' && !def.multiValued) {
      container[name] = {
        ...(isObject(container[name]) ? container[name] : {}),
        ...(value as ScimObject),
      };
    } else {
      container[name] = value;
    }
    return;
  }

  if (filter === undefined && sub !== undefined) {
    // `name.givenName`: a sub-attribute of a single-valued complex attribute.
    if (def.multiValued) throw scimBadRequest('invalidPath', `${path} needs a value filter`);
    const current = isObject(container[name]) ? (container[name] as ScimObject) : {};
    if (op.op === 'remove') delete current[sub.name];
    else current[sub.name] = coerceValue(sub, op.value, path);
    container[name] = current;
    return;
  }

  const items = Array.isArray(container[name]) ? [...(container[name] as unknown[])] : [];
  const hit = items.map((item) => matches(def, item, filter as FilterComparison[]));
  if (op.op === 'remove') {
    container[name] = sub
      ? items.map((item, i) => {
          if (!hit[i] || !isObject(item)) return item;
          const { [sub.name]: _gone, ...rest } = item;
          return rest;
        })
      : items.filter((_, i) => !hit[i]);
    return;
  }
  const value = sub
    ? coerceValue(sub, op.value, path)
    : coerceValue({ ...def, multiValued: false }, op.value, path);
  if (!hit.some(Boolean)) {
    const created: ScimObject = Object.fromEntries(
      (filter as FilterComparison[]).map((f) => [f.attribute, f.value]),
    );
    items.push(sub ? { ...created, [sub.name]: value } : { ...created, ...(value as ScimObject) });
  } else {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!hit[i] || !isObject(item)) continue;
      items[i] = sub
        ? { ...item, [sub.name]: value }
        : op.op === 'add'
          ? { ...item, ...(value as ScimObject) }
          : (value as ScimObject);
    }
  }
  container[name] = items;
};

/**
 * Applies a path-less operation: `value` is an object of attributes (Okta's
 * `{ op: replace, value: { active: false } }`), each applied as if it had that attribute as its
 * path. Keys may be schema URNs (an object of that extension's attributes) or fully qualified
 * attribute names (`urn:…:enterprise:2.0:User:department`).
 * @throws scim_invalid_value, scim_invalid_path (400).
 */
export const applyValueOperation = (
  schema: ResourceSchema,
  resource: ScimObject,
  op: PatchOperation,
): void => {
  if (!isObject(op.value)) {
    throw scimBadRequest('invalidValue', 'an operation without a path needs an object value');
  }
  for (const [key, value] of Object.entries(op.value)) {
    const urn = Object.keys(schema.extensions).find((u) => u.toLowerCase() === key.toLowerCase());
    if (urn && isObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        applyPathOperation(schema, resource, { op: op.op, path: `${urn}:${k}`, value: v });
      }
    } else if (key.toLowerCase() === 'externalid') {
      resource.externalId = value;
    } else if (!['id', 'meta', 'schemas'].includes(key.toLowerCase())) {
      applyPathOperation(schema, resource, { op: op.op, path: key, value });
    }
  }
};

/** How a PATCH changes a group's members, folded over its operations in order. */
export interface MembersChange {
  /** `current`: start from the members the group has; `empty`: from none (a replace or remove all). */
  base: 'current' | 'empty';
  add: Set<string>;
  remove: Set<string>;
}

/** The member ids of a `members` value (`[{ value }]`, or Entra's single object). */
const memberIds = (value: unknown, path: string): string[] => {
  const items = Array.isArray(value) ? value : [value];
  if (items.length > 10_000) throw scimBadRequest('tooMany', `${path}: more than 10000 members`);
  return items.map((item, i) => {
    const v = isObject(item) ? item.value : undefined;
    if (typeof v !== 'string' || v === '' || v.length > 256) {
      throw scimBadRequest('invalidValue', `${path}[${i}].value must be a member id`);
    }
    return v;
  });
};

/**
 * Splits a group PATCH into changes of its attributes (applied to `resource`) and of its members
 * (returned): `add`/`replace` on `members`, `remove` of `members[value eq "…"]`, of `members` with
 * Entra ID's value list, or of every member, and path-less operations carrying `members`.
 * @throws scim_invalid_path, scim_invalid_value, scim_too_many (400).
 */
export const applyGroupPatch = (
  schema: ResourceSchema,
  resource: ScimObject,
  ops: readonly PatchOperation[],
): MembersChange => {
  const change: MembersChange = { base: 'current', add: new Set(), remove: new Set() };
  const addAll = (ids: string[]) => {
    for (const id of ids) {
      change.add.add(id);
      change.remove.delete(id);
    }
  };
  const removeAll = (ids: string[]) => {
    for (const id of ids) {
      change.remove.add(id);
      change.add.delete(id);
    }
  };
  const members = (op: PatchOperation, path: string, value: unknown) => {
    if (op.op === 'add') addAll(memberIds(value, path));
    else if (op.op === 'replace') {
      change.base = 'empty';
      change.add = new Set(memberIds(value, path));
      change.remove = new Set();
    } else if (value !== undefined) removeAll(memberIds(value, path));
    else {
      change.base = 'empty';
      change.add = new Set();
      change.remove = new Set();
    }
  };
  for (const op of ops) {
    const path = op.path;
    if (path === undefined) {
      if (!isObject(op.value)) {
        throw scimBadRequest('invalidValue', 'an operation without a path needs an object value');
      }
      const { members: m, ...rest } = Object.fromEntries(
        Object.entries(op.value).map(([k, v]) => [
          k.toLowerCase() === 'members' ? 'members' : k,
          v,
        ]),
      );
      if (m !== undefined) members(op, 'members', m);
      applyValueOperation(schema, resource, { ...op, value: rest });
      continue;
    }
    const lower = path.toLowerCase();
    if (lower === 'members') {
      members(op, 'members', op.value);
      continue;
    }
    if (lower.startsWith('members[')) {
      const parsed = parsePath(schema, path);
      const filter = parsed.filter ?? [];
      if (parsed.sub || filter.length !== 1 || filter[0]?.attribute !== 'value') {
        throw scimBadRequest('invalidPath', 'members filters are members[value eq "<id>"]');
      }
      const id = filter[0].value;
      if (op.op === 'remove') removeAll([id]);
      else addAll([id]);
      continue;
    }
    applyPathOperation(schema, resource, op);
  }
  return change;
};

/**
 * Applies a user PATCH's operations in order to a copy of the resource (canonical form). The
 * caller validates the result as a whole (`coerceResource`), as for a PUT.
 * @throws scim_invalid_path, scim_invalid_value, scim_mutability (400).
 */
export const applyUserPatch = (
  schema: ResourceSchema,
  resource: ScimObject,
  ops: readonly PatchOperation[],
): ScimObject => {
  const next = structuredClone(resource);
  for (const op of ops) {
    if (op.path === undefined) applyValueOperation(schema, next, op);
    else if (op.path.toLowerCase() === 'externalid') {
      if (op.op === 'remove') delete next.externalId;
      else next.externalId = op.value;
    } else applyPathOperation(schema, next, op);
  }
  return next;
};
