import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readBody } from './capped-body.js';
import { InvalidRequestError, MethodNotAllowedError } from './errors.js';

/**
 * Refuses any method but the allowed ones (API Gateway routes by method already; this keeps the
 * handlers strict when invoked otherwise, e.g. through a `$default` route or the local runner).
 * @throws MethodNotAllowedError (405 method_not_allowed)
 */
export const requireMethod = (event: APIGatewayProxyEventV2, ...allowed: string[]): void => {
  if (!allowed.includes(event.requestContext.http.method)) throw new MethodNotAllowedError(allowed);
};

/** The media type of a header value, lowercased, without parameters. */
export const mediaType = (value: string | undefined): string =>
  (value ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

/**
 * Parses an `application/x-www-form-urlencoded` body into single-valued fields: a field sent
 * twice is refused (which one counts would be a parser differential), as is any other media type.
 * @throws InvalidRequestError (400 invalid_request)
 */
export const parseForm = (event: APIGatewayProxyEventV2, maxBytes: number): Map<string, string> => {
  const type = mediaType(event.headers?.['content-type']);
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequestError(`expected a form post, got content type "${type.slice(0, 64)}"`);
  }
  const text = readBody(event, maxBytes).toString('utf8');
  const fields = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) {
    if (fields.has(k))
      throw new InvalidRequestError(`form field "${k.slice(0, 64)}" sent more than once`);
    fields.set(k, v);
  }
  return fields;
};

/** One query parameter; a parameter sent twice (API Gateway joins them with ",") is refused. */
export const queryParam = (event: APIGatewayProxyEventV2, name: string): string | undefined => {
  const raw = event.rawQueryString ? new URLSearchParams(event.rawQueryString).getAll(name) : [];
  if (raw.length > 1)
    throw new InvalidRequestError(`query parameter "${name}" sent more than once`);
  return raw[0];
};
