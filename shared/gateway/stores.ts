import type { RuntimeConfig } from '../config/index.js';
import {
  createCachedAttributeStore,
  createDynamoAttributeStore,
  createDynamoStateStore,
  createReplayCache,
  type DynamoPort,
} from '../store/index.js';

/**
 * The two tables as every function uses them: the attribute table behind the per-container cache,
 * the state table, and the replay cache on it. The DynamoDB client is built by the function.
 */
export const createStores = ({ config, dynamo }: { config: RuntimeConfig; dynamo: DynamoPort }) => {
  const state = createDynamoStateStore({ client: dynamo, tableName: config.stateTableName });
  return {
    attributes: createCachedAttributeStore(
      createDynamoAttributeStore({ client: dynamo, tableName: config.attributeTableName }),
      { ttlSeconds: config.configCacheSeconds },
    ),
    state,
    replay: createReplayCache({ state, clockSkewSeconds: config.clockSkewSeconds }),
  };
};

export type Stores = ReturnType<typeof createStores>;
