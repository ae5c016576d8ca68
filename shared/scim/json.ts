import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mediaType } from '../http/request.js';
import type { HttpResponse } from '../http/responses.js';
import { ScimPayloadTooLargeError, scimBadRequest } from './errors.js';

/**
 * The largest request body: a PATCH adding 10,000 members (`{"value":"<uuid>"}`, ~50 bytes each)
 * with room to spare. API Gateway itself stops at 10 MB.
 */
export const SCIM_MAX_BODY_BYTES = 1024 * 1024;

/** Bounds on the JSON's shape, checked before anything reads it. */
export const JSON_LIMITS = {
  depth: 8,
  nodes: 60_000,
  keysPerObject: 200,
  stringLength: 16_384,
} as const;

/** The SCIM media type (RFC 7644 §8.1). */
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/**
 * Checks a parsed JSON value's shape without recursion: at most {@link JSON_LIMITS} depth, nodes,
 * keys per object and string length, so that no request makes later code walk an unbounded tree.
 * @throws scim_invalid_syntax (400) naming the limit.
 */
export const checkJsonShape = (root: unknown): void => {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    nodes += 1;
    if (nodes > JSON_LIMITS.nodes) {
      throw scimBadRequest('invalidSyntax', `the body has more than ${JSON_LIMITS.nodes} values`);
    }
    if (typeof value === 'string') {
      if (value.length > JSON_LIMITS.stringLength) {
        throw scimBadRequest(
          'invalidSyntax',
          `a string is longer than ${JSON_LIMITS.stringLength} characters`,
        );
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > JSON_LIMITS.depth) {
      throw scimBadRequest(
        'invalidSyntax',
        `the body nests deeper than ${JSON_LIMITS.depth} levels`,
      );
    }
    const children = Array.isArray(value) ? value : Object.values(value as object);
    if (!Array.isArray(value)) {
      const keys = Object.keys(value as object);
      if (keys.length > JSON_LIMITS.keysPerObject) {
        throw scimBadRequest(
          'invalidSyntax',
          `an object has more than ${JSON_LIMITS.keysPerObject} members`,
        );
      }
      for (const k of keys) {
        if (k.length > 512) throw scimBadRequest('invalidSyntax', 'a member name is too long');
      }
    }
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
};

/**
 * The JSON body of a SCIM request: `application/scim+json` or `application/json`, at most
 * {@link SCIM_MAX_BODY_BYTES}, valid UTF-8 JSON within {@link JSON_LIMITS}.
 * @throws scim_payload_too_large (413), scim_invalid_syntax (400).
 */
export const parseScimBody = (event: APIGatewayProxyEventV2): unknown => {
  const type = mediaType(event.headers?.['content-type']);
  if (type !== 'application/scim+json' && type !== 'application/json') {
    throw scimBadRequest('invalidSyntax', 'the content type must be application/scim+json');
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded
    ? Math.floor((raw.length * 3) / 4)
    : Buffer.byteLength(raw, 'utf8');
  if (bytes > SCIM_MAX_BODY_BYTES) throw new ScimPayloadTooLargeError(SCIM_MAX_BODY_BYTES);
  let text = raw;
  if (event.isBase64Encoded) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) throw scimBadRequest('invalidSyntax', 'bad base64');
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(raw, 'base64'));
    } catch {
      throw scimBadRequest('invalidSyntax', 'the body is not UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw scimBadRequest('invalidSyntax', 'the body is not JSON');
  }
  checkJsonShape(value);
  return value;
};

/** A SCIM JSON response. */
export const scimJson = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});
