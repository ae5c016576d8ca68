/**
 * How an AWS SDK v3 call failed, read from the error's shape alone (no SDK import): the same
 * throttling, timeout, network and server-fault rules for every service fedgate calls, so that
 * each domain's translator (`shared/store`, `shared/sts`) only adds what its service means.
 */

// Names the services and the SDK give throttling (DynamoDB's and STS's); all are retried by the
// SDK's standard strategy first, so seeing one here means its retries ran out.
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'Throttling',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
]);
// The SDK's names for its own timeouts (connection, request with throwOnRequestTimeout, socket
// inactivity).
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
// How far down `cause` / `AggregateError.errors` a network code is looked for.
const MAX_NETWORK_DEPTH = 3;

/** The fields of a thrown SDK (or Node) error that fedgate reads; any of them may be missing. */
export interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

/**
 * Views anything thrown as an {@link SdkErrorShape}, without trusting it: a non-object gives `{}`.
 * @example sdkErrorShape(err).$metadata?.requestId
 */
export const sdkErrorShape = (err: unknown): SdkErrorShape =>
  typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};

/** The error's `name` (the SDK's service error code), or `'unknown error'` when it has none. */
export const sdkErrorName = (err: unknown): string => {
  const { name } = sdkErrorShape(err);
  return typeof name === 'string' ? name : 'unknown error';
};

/** `ECONNREFUSED` may sit on the error, its cause, or inside an AggregateError (happy eyeballs). */
const networkCodeOf = (err: unknown, depth = 0): string | undefined => {
  const e = sdkErrorShape(err);
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (depth >= MAX_NETWORK_DEPTH) return undefined;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = networkCodeOf(inner, depth + 1);
      if (code) return code;
    }
  }
  return e.cause === undefined ? undefined : networkCodeOf(e.cause, depth + 1);
};

/**
 * What kind of transient failure an SDK call ended in: `throttled` and `server_fault` are
 * answers from the service (they carry its request id), `timed_out` and `unreachable` are not.
 */
export type TransientSdkFailureKind = 'throttled' | 'timed_out' | 'unreachable' | 'server_fault';

/** A transient SDK failure: its kind and the short reason a detail line quotes. */
export interface TransientSdkFailure {
  kind: TransientSdkFailureKind;
  /** E.g. `throttled (ThrottlingException)`, `unreachable (ECONNREFUSED)`. */
  reason: string;
}

/**
 * Classifies a failed SDK call as transient (worth a retry by the person: throttling, a timeout,
 * an unreachable endpoint, a 5xx or server fault), checked in that order; `undefined` otherwise.
 * @example
 * classifyTransientSdkFailure(err) // { kind: 'throttled', reason: 'throttled (Throttling)' }
 */
export const classifyTransientSdkFailure = (err: unknown): TransientSdkFailure | undefined => {
  const name = sdkErrorName(err);
  if (THROTTLING.has(name)) return { kind: 'throttled', reason: `throttled (${name})` };
  if (TIMEOUTS.has(name)) return { kind: 'timed_out', reason: `timed out (${name})` };
  const networkCode = networkCodeOf(err);
  if (networkCode) return { kind: 'unreachable', reason: `unreachable (${networkCode})` };
  const e = sdkErrorShape(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : 0;
  if (e.$fault === 'server' || status >= 500) {
    const shown = status ? ` ${status}` : '';
    return { kind: 'server_fault', reason: `failed on the server (${name}${shown})` };
  }
  return undefined;
};

/**
 * The short reason a failed SDK call is transient, for a `temporarily_unavailable` detail, or
 * `undefined` when it is not (a refusal the caller maps itself).
 * @example
 * transientSdkFailure(err) // 'unreachable (ECONNREFUSED)', 'failed on the server (InternalServerError 500)'
 */
export const transientSdkFailure = (err: unknown): string | undefined =>
  classifyTransientSdkFailure(err)?.reason;
