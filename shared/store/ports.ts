import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  AccountProfile,
  DenyRule,
  GatewayDefaults,
  GatewaySettings,
  IdpConfig,
  SpaClient,
} from '../config/index.js';
import type { Identity } from '../mapping/index.js';
import type { StateKey } from './table-schema.js';

/** The DynamoDB client as the store uses it: built once per container by the caller, injected. */
export type DynamoPort = Pick<DynamoDBClient, 'send'>;

/** What the home page shows of an IdP. */
export type IdpSummary = Pick<IdpConfig, 'id' | 'displayName' | 'protocol' | 'listed'>;

/**
 * Read access to the attribute table: the IdPs, their rules, the account profiles and the
 * gateway-wide defaults.
 */
export interface AttributeStore {
  /**
   * The IdP's settings with its rules in priority order, or `undefined` if there is no such IdP.
   * @throws server_error (GatewayMisconfiguredError) when a stored item fails validation.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  getIdp(idpId: string): Promise<IdpConfig | undefined>;
  /**
   * Every IdP (listed or not), sorted by id, without rules.
   * @throws server_error (GatewayMisconfiguredError) when a stored item fails validation.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  listIdps(): Promise<IdpSummary[]>;
  /**
   * The profiles of those accounts that have one, in the order asked for.
   * @throws server_error (GatewayMisconfiguredError) when a stored item fails validation.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  getAccounts(accountIds: readonly string[]): Promise<AccountProfile[]>;
  /**
   * The gateway-wide defaults for grants that set none (session duration, session name); the
   * schema's defaults when the table holds none (a table seeded before defaults were stored).
   * @throws server_error (GatewayMisconfiguredError) when the stored item fails validation.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  getDefaults(): Promise<GatewayDefaults>;
  /**
   * The gateway-wide settings (portal regions, support contact); the schema's defaults when the
   * table holds none.
   * @throws server_error (GatewayMisconfiguredError) when the stored item fails validation.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  getSettings(): Promise<GatewaySettings>;
  /**
   * The gateway-wide deny rules (`GATEWAY` / `RULE#…`), in priority order; none when the table
   * holds none.
   * @throws server_error (GatewayMisconfiguredError) when a stored rule fails validation (an old
   * deny form included: a deny that cannot be read must not silently stop applying).
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  getGatewayRules(): Promise<readonly DenyRule[]>;
  /**
   * Joins the IdP's directory (`DIR#<idp>#…`) to a verified identity for the rules
   * (shared/directory/join.ts): one Query of the person's partition, and the IdP's group list
   * (cached per container for the IdP's `directory.cacheSeconds`).
   * @throws directory_user_not_provisioned, directory_user_inactive, server_error,
   * temporarily_unavailable.
   */
  joinDirectory?(idp: IdpConfig, identity: Identity): Promise<Identity>;
}

/**
 * Short-lived items of the state table, each `{ pk, expiresAt, data }`. An item whose `expiresAt`
 * is at or before now does not exist for any method, whether or not TTL has deleted it yet.
 * `data` is stored as JSON: callers validate what they read back (it crossed a process boundary).
 */
export interface StateStore {
  /**
   * Creates the item unless a live one exists under the key (an expired one is overwritten).
   * @throws state_conflict (StateItemExistsError) when a live item exists.
   * @throws RangeError when `expiresAt` is not in the future.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  put(key: StateKey, data: unknown, expiresAt: number): Promise<void>;
  /**
   * Deletes the item and returns its data, atomically: of any number of concurrent calls at most
   * one gets the data; the others, and calls for absent or expired items, get `undefined`.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  consume(key: StateKey): Promise<unknown>;
  /**
   * The item's data (strongly consistent read), or `undefined` when absent or expired.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  get(key: StateKey): Promise<unknown>;
  /**
   * Replaces a live item's data and expiry; `false` when it is absent or expired.
   * @throws RangeError when `expiresAt` is not in the future.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  update(key: StateKey, data: unknown, expiresAt: number): Promise<boolean>;
  /**
   * Deletes the item if present.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  delete(key: StateKey): Promise<void>;
}

/** Remembers single-use sign-in artefacts (SAML assertion IDs, ID token `jti`) while valid. */
export interface ReplayCache {
  /**
   * Records a first use of `id` in `namespace` until `notOnOrAfter` (epoch seconds).
   * @throws replay_detected (ReplayDetectedError) when it was already used and is still valid.
   * @throws temporarily_unavailable (DependencyUnavailableError) when DynamoDB cannot answer.
   */
  remember(namespace: string, id: string, notOnOrAfter: number): Promise<void>;
}

/** Where SPA clients are looked up by `client_id`. */
export interface SpaClientRegistry {
  /**
   * The client, or `undefined` for an unknown id.
   * @throws server_error for a stored client that fails validation; temporarily_unavailable.
   */
  get(clientId: string): Promise<SpaClient | undefined>;
}
