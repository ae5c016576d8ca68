import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_CLIENT_DEFAULTS } from '../../../shared/store/index.js';
import { createConfigApplyHandler, SHIPPED_CONFIG_FILE } from './apply-config-event.js';

// The validated config is copied next to this bundle at synth time (config-as-code.ts).
const shipped = new URL(`./${SHIPPED_CONFIG_FILE}`, import.meta.url);

/** Provider framework onEvent: applies the shipped gateway config to the attribute table. */
export const handler = createConfigApplyHandler({
  dynamo: new DynamoDBClient({ ...DYNAMODB_CLIENT_DEFAULTS }),
  readShippedConfig: () => readFile(shipped, 'utf8'),
});
