import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/**
 * Client settings for whoever builds the DynamoDB client (functions/, infra/): fail fast instead
 * of holding a sign-in open. The SDK's own defaults have no socket timeout, and its
 * `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set, so a DynamoDB that
 * accepts a connection and never answers would hang the function until Lambda kills it instead of
 * giving the person a 503 (temporarily_unavailable) to retry.
 * @example
 * const client = new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS });
 */
export const DYNAMODB_CLIENT_DEFAULTS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const satisfies DynamoDBClientConfig;
