export { type AttemptCounter, createDynamoAttemptCounter } from './attempt-counter.js';
export {
  type AttributeItem,
  type AttributeItemKind,
  canonicalJson,
  describeKey,
  type StoredAttributeItem,
} from './attribute-item.js';
export { createDynamoAttributeStore } from './attribute-store.js';
export { createCachedAttributeStore } from './cached-attribute-store.js';
export { DYNAMODB_CLIENT_DEFAULTS } from './client-config.js';
export {
  type AttributeItemDiff,
  applyConfig,
  diffItems,
  settingsOf,
  toItems,
} from './config-items.js';
export {
  createDynamoDirectoryStore,
  DIRECTORY_SK,
  directoryKeys,
  foldName,
} from './directory-store.js';
export {
  isConditionalCheckFailed,
  ReplayDetectedError,
  StateItemExistsError,
  StoreOperationFailedError,
  translateDynamoError,
} from './errors.js';
export type {
  AttributeStore,
  DynamoPort,
  IdpSummary,
  ReplayCache,
  SpaClientRegistry,
  StateStore,
} from './ports.js';
export { createReplayCache } from './replay-cache.js';
export {
  createDynamoSessionStore,
  type ListedSession,
  personIndexKey,
  type RevocationScope,
  revocationKey,
  SESSION_SHORT_ID_LENGTH,
  type SessionRead,
  type SessionStore,
  type StoredSession,
} from './session-store.js';
export { createDynamoSpaClients } from './spa-clients.js';
export { createDynamoStateStore } from './state-store.js';
export {
  ACCOUNT_PROFILE_SK,
  ATTRIBUTE_KEY_PREFIXES,
  ATTRIBUTE_TABLE,
  type AttributeItemKey,
  accountKey,
  createTableInputs,
  GATEWAY_DEFAULTS_SK,
  GATEWAY_SETTINGS_SK,
  gatewayDefaultsKey,
  gatewayRuleKey,
  gatewaySettingsKey,
  IDP_CONFIG_SK,
  idpConfigKey,
  RULE_SK_PREFIX,
  ruleKey,
  STATE_KEY_PREFIXES,
  STATE_TABLE,
  type StateKey,
  type StateKeyPrefix,
  spaClientKey,
  stateKey,
  stateKeyKind,
  type TableNames,
} from './table-schema.js';
