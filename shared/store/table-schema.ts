import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one definition of fedgate's two tables (ARCHITECTURE.md §3), read by the adapters, the local
 * runner, the tests and the CDK app, so none of them can drift from the others.
 */

/** Names of the two tables of one deployment. */
export interface TableNames {
  attributeTableName: string;
  stateTableName: string;
}

/** The attribute table: long-lived, edited by ops as code (`pk` + `sk`, on-demand, PITR). */
export const ATTRIBUTE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  billingMode: 'PAY_PER_REQUEST',
  pointInTimeRecovery: true,
} as const;

/** The state table: short-lived single-use items (`pk` only, on-demand, TTL on `expiresAt`). */
export const STATE_TABLE = {
  partitionKey: 'pk',
  /** Epoch seconds (N). TTL deletes late (up to days), so every read also compares it with now. */
  timeToLiveAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
  pointInTimeRecovery: false,
} as const;

/**
 * CreateTable inputs for both tables, for the local runner and the tests (the CDK app builds its
 * own constructs from {@link ATTRIBUTE_TABLE} and {@link STATE_TABLE}). TTL and PITR are not part
 * of CreateTable: the caller enables them with their own calls where the engine supports them.
 */
export const createTableInputs = (names: TableNames): CreateTableCommandInput[] => [
  {
    TableName: names.attributeTableName,
    BillingMode: ATTRIBUTE_TABLE.billingMode,
    KeySchema: [
      { AttributeName: ATTRIBUTE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: ATTRIBUTE_TABLE.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: ATTRIBUTE_TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: ATTRIBUTE_TABLE.sortKey, AttributeType: 'S' },
    ],
  },
  {
    TableName: names.stateTableName,
    BillingMode: STATE_TABLE.billingMode,
    KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
  },
];

/** The primary key of an attribute-table item. */
export interface AttributeItemKey {
  pk: string;
  sk: string;
}

/**
 * Partition keys of the attribute table that config-as-code owns: every item under `IDP#…` and
 * `ACCOUNT#…`, and every item in the one `GATEWAY` partition (matched whole, not as a prefix).
 * Use {@link isManagedAttributeKey} rather than matching these by hand.
 */
export const ATTRIBUTE_KEY_PREFIXES = {
  idp: 'IDP#',
  account: 'ACCOUNT#',
  gateway: 'GATEWAY',
  /**
   * Directory data (SCIM provisioning, operator-set attributes): `DIR#<idp>#…`, written by the
   * SCIM function and the admin CLI, never by config-as-code (shared/store/directory-store.ts).
   */
  directory: 'DIR#',
} as const;

/** Sort key of an IdP's settings item. */
export const IDP_CONFIG_SK = 'CONFIG';
/** Sort-key prefix of an IdP's rule items. */
export const RULE_SK_PREFIX = 'RULE#';
/** Sort key of an account profile item. */
export const ACCOUNT_PROFILE_SK = 'PROFILE';
/** Sort key of the gateway-wide defaults item. */
export const GATEWAY_DEFAULTS_SK = 'DEFAULTS';

/** Width of the zero-padded priority in a rule's sort key: priorities are 0..999999. */
const PRIORITY_WIDTH = 6;

/** The key of an IdP's settings item: `IDP#<id>` / `CONFIG`. */
export const idpConfigKey = (idpId: string): AttributeItemKey => ({
  pk: `${ATTRIBUTE_KEY_PREFIXES.idp}${idpId}`,
  sk: IDP_CONFIG_SK,
});

/**
 * The key of a rule item: `IDP#<id>` / `RULE#<priority, 6 digits>#<ruleId>`, so that a Query on
 * the IdP returns its settings first (`CONFIG` < `RULE#`) and then its rules in priority order.
 * @throws RangeError when the priority is not an integer in 0..999999 (it would sort wrongly).
 */
export const ruleKey = (idpId: string, priority: number, ruleId: string): AttributeItemKey => {
  if (!Number.isInteger(priority) || priority < 0 || priority >= 10 ** PRIORITY_WIDTH) {
    throw new RangeError(`rule priority must be an integer in 0..999999, got ${priority}`);
  }
  return {
    pk: `${ATTRIBUTE_KEY_PREFIXES.idp}${idpId}`,
    sk: `${RULE_SK_PREFIX}${String(priority).padStart(PRIORITY_WIDTH, '0')}#${ruleId}`,
  };
};

/** The key of an account profile item: `ACCOUNT#<id>` / `PROFILE`. */
export const accountKey = (accountId: string): AttributeItemKey => ({
  pk: `${ATTRIBUTE_KEY_PREFIXES.account}${accountId}`,
  sk: ACCOUNT_PROFILE_SK,
});

/** The key of the gateway-wide defaults item (the config's `defaults`): `GATEWAY` / `DEFAULTS`. */
export const gatewayDefaultsKey = (): AttributeItemKey => ({
  pk: ATTRIBUTE_KEY_PREFIXES.gateway,
  sk: GATEWAY_DEFAULTS_SK,
});

/** Sort key of the gateway-wide settings item (support contact, portal regions). */
export const GATEWAY_SETTINGS_SK = 'SETTINGS';

/** The key of the gateway-wide settings item: `GATEWAY` / `SETTINGS`. */
export const gatewaySettingsKey = (): AttributeItemKey => ({
  pk: ATTRIBUTE_KEY_PREFIXES.gateway,
  sk: GATEWAY_SETTINGS_SK,
});

/**
 * The key of a gateway-wide deny rule item: `GATEWAY` / `RULE#<priority, 6 digits>#<ruleId>`, so
 * that a Query on the partition with `begins_with(sk, "RULE#")` returns them in priority order.
 * @throws RangeError when the priority is not an integer in 0..999999.
 */
export const gatewayRuleKey = (priority: number, ruleId: string): AttributeItemKey => ({
  pk: ATTRIBUTE_KEY_PREFIXES.gateway,
  sk: ruleKey('-', priority, ruleId).sk,
});

/** The key of an SPA client item (the config's `spaClients`): `GATEWAY` / `SPA#<id>`. */
export const spaClientKey = (clientId: string): AttributeItemKey => ({
  pk: ATTRIBUTE_KEY_PREFIXES.gateway,
  sk: `SPA#${clientId}`,
});

/**
 * Whether config-as-code owns an attribute item, i.e. may overwrite or delete it: `IDP#…`,
 * `ACCOUNT#…` and `GATEWAY` exactly. Anything else (`GATEWAYS`, `META#…`) belongs to someone else.
 */
export const isManagedAttributeKey = (key: AttributeItemKey): boolean =>
  key.pk.startsWith(ATTRIBUTE_KEY_PREFIXES.idp) ||
  key.pk.startsWith(ATTRIBUTE_KEY_PREFIXES.account) ||
  key.pk === ATTRIBUTE_KEY_PREFIXES.gateway;

/** Partition-key prefixes of the state table, one per kind of single-use item. */
export const STATE_KEY_PREFIXES = {
  /** Assertion IDs / `jti` already accepted. */
  replay: 'REPLAY#',
  /** OIDC transactions: state, nonce, PKCE verifier, return_to. */
  transaction: 'TXN#',
  /** SP-initiated SAML AuthnRequest IDs awaiting their response. */
  authnRequest: 'AUTHNREQ#',
  /** One-time codes. */
  code: 'CODE#',
  /** Sessions (browser portal, SPA, CLI), keyed by a hash of the session secret. */
  session: 'SESSION#',
  /** "Revoked before T" marks per scope (everyone, one IdP, one subject of one IdP). */
  revoked: 'REVOKED#',
  /** IdP-initiated sign-ins waiting for the person to confirm them (login-CSRF defence). */
  confirm: 'CONFIRM#',
  /** The CLI's one-time authorization codes (loopback sign-in), by hash of the code. */
  cliCode: 'CLICODE#',
  /** The CLI's device authorizations (by hash of the device code) and their decisions. */
  device: 'DEVICE#',
  /** Device authorizations by hash of their user code (what the person types in). */
  userCode: 'USERCODE#',
  /** Counters of failed attempts per source and window (user code guessing). */
  attempts: 'ATTEMPTS#',
  /**
   * Per person (`PERSON#<idp>#<subject ref>`): the sessions started recently, so that a
   * deprovisioning can say how many it ended without a scan.
   */
  person: 'PERSON#',
} as const;

/** One of {@link STATE_KEY_PREFIXES}. */
export type StateKeyPrefix = (typeof STATE_KEY_PREFIXES)[keyof typeof STATE_KEY_PREFIXES];

/** A state-table partition key: a known prefix followed by an id. */
export type StateKey = `${StateKeyPrefix}${string}`;

// DynamoDB allows 2048 bytes in a partition key; keep well clear of it.
const MAX_STATE_ID_BYTES = 1024;

/**
 * The state-table key of one item, e.g. `stateKey(STATE_KEY_PREFIXES.transaction, state)`.
 * @throws RangeError when the id is empty or longer than 1024 bytes (hash such ids first).
 */
export const stateKey = (prefix: StateKeyPrefix, id: string): StateKey => {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes === 0 || bytes > MAX_STATE_ID_BYTES) {
    throw new RangeError(`a state item id must be 1-${MAX_STATE_ID_BYTES} bytes, got ${bytes}`);
  }
  return `${prefix}${id}`;
};

/** The kind prefix of a state key, for logs that must not carry the id (it may be a secret). */
export const stateKeyKind = (key: string): string => {
  const hash = key.indexOf('#');
  return hash < 0 ? '(unknown)' : key.slice(0, hash + 1);
};
