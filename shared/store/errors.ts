import {
  DependencyUnavailableError,
  GatewayError,
  GatewayMisconfiguredError,
} from '../http/errors.js';

/** A single-use sign-in artefact (assertion ID, `jti`) was presented a second time. */
export class ReplayDetectedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(400, 'replay_detected', 'This sign-in response has already been used.', {
      ...opts,
      detail,
    });
  }
}

/** A state item that must be created once already exists and has not expired. */
export class StateItemExistsError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(409, 'state_conflict', 'This request is already in progress.', { ...opts, detail });
  }
}

/** DynamoDB refused a request for a reason that is neither transient nor configuration: a bug. */
export class StoreOperationFailedError extends GatewayError {
  constructor(detail: string, opts?: ErrorOptions) {
    super(500, 'server_error', 'fedgate could not complete the request.', { ...opts, detail });
  }
}

// Names DynamoDB and the SDK give throttling; all are retried by the SDK first, so seeing one
// here means its retries ran out.
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
// The SDK's names for its own timeouts (connection, request, socket inactivity).
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
// Node's system error codes for a peer that cannot be reached or hung up.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// A missing table or a missing IAM grant: the deployment is wrong and an operator must act.
const MISCONFIGURED = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const shapeOf = (err: unknown): SdkErrorShape =>
  typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};

/** `ECONNREFUSED` may sit on the error, its cause, or inside an AggregateError (happy eyeballs). */
const networkCodeOf = (err: unknown, depth = 0): string | undefined => {
  const e = shapeOf(err);
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (depth >= 3) return undefined;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = networkCodeOf(inner, depth + 1);
      if (code) return code;
    }
  }
  return e.cause === undefined ? undefined : networkCodeOf(e.cause, depth + 1);
};

/** Whether a DynamoDB call failed its ConditionExpression (the caller gives it a domain meaning). */
export const isConditionalCheckFailed = (err: unknown): boolean =>
  shapeOf(err).name === 'ConditionalCheckFailedException';

/**
 * Translates a failed DynamoDB call into the gateway's error model; the call site first handles
 * `ConditionalCheckFailedException` itself, since only it knows what the condition meant.
 * @returns `temporarily_unavailable` (503, DependencyUnavailableError) for throttling, 5xx,
 * timeouts and network failures; `server_error` (500, GatewayMisconfiguredError) for a missing
 * table or grant; `server_error` (500, StoreOperationFailedError) for anything else. A
 * GatewayError is returned unchanged.
 * @example
 * try { await client.send(command) } catch (err) { throw translateDynamoError(err, 'PutItem') }
 */
export const translateDynamoError = (err: unknown, operation: string): GatewayError => {
  if (err instanceof GatewayError) return err;
  const e = shapeOf(err);
  const name = typeof e.name === 'string' ? e.name : 'unknown error';
  const status = e.$metadata?.httpStatusCode;
  const opts = { cause: err };
  if (THROTTLING.has(name)) {
    return new DependencyUnavailableError('dynamodb', `${operation} throttled (${name})`, opts);
  }
  if (TIMEOUTS.has(name)) {
    return new DependencyUnavailableError('dynamodb', `${operation} timed out (${name})`, opts);
  }
  const networkCode = networkCodeOf(err);
  if (networkCode) {
    return new DependencyUnavailableError(
      'dynamodb',
      `${operation} unreachable (${networkCode})`,
      opts,
    );
  }
  if (e.$fault === 'server' || (typeof status === 'number' && status >= 500)) {
    return new DependencyUnavailableError(
      'dynamodb',
      `${operation} failed on the server (${name}${typeof status === 'number' ? ` ${status}` : ''})`,
      opts,
    );
  }
  if (MISCONFIGURED.has(name)) {
    return new GatewayMisconfiguredError(`dynamodb ${operation} refused (${name})`, opts);
  }
  // Only the name: a ValidationException's message may quote key or attribute values.
  return new StoreOperationFailedError(`dynamodb ${operation} failed (${name})`, opts);
};
