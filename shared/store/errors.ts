import { sdkErrorName, transientSdkFailure } from '../aws-sdk-errors.js';
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

// A missing table or a missing IAM grant: the deployment is wrong and an operator must act.
const MISCONFIGURED = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
]);

/** Whether a DynamoDB call failed its ConditionExpression (the caller gives it a domain meaning). */
export const isConditionalCheckFailed = (err: unknown): boolean =>
  sdkErrorName(err) === 'ConditionalCheckFailedException';

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
  const opts = { cause: err };
  const transient = transientSdkFailure(err);
  if (transient) {
    return new DependencyUnavailableError('dynamodb', `${operation} ${transient}`, opts);
  }
  const name = sdkErrorName(err);
  if (MISCONFIGURED.has(name)) {
    return new GatewayMisconfiguredError(`dynamodb ${operation} refused (${name})`, opts);
  }
  // Only the name: a ValidationException's message may quote key or attribute values.
  return new StoreOperationFailedError(`dynamodb ${operation} failed (${name})`, opts);
};
