import { createHash } from 'node:crypto';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { applyConfig, type DynamoPort } from '../../../shared/store/index.js';

/** The custom resource's properties (CloudFormation passes every value as a string). */
export interface ConfigResourceProperties {
  /** The attribute table the config is applied to. */
  TableName: string;
  /** SHA-256 (hex) of the shipped config JSON: a new config changes it, so CloudFormation sends an Update. */
  ConfigSha256: string;
}

/** What the custom resource returns (readable with `getAtt`, and in the stack events). */
export interface ConfigApplyResult {
  Puts: number;
  Deletes: number;
}

/** The file name of the validated config JSON inside the handler's bundle. */
export const SHIPPED_CONFIG_FILE = 'gateway-config.json';

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The config-as-code custom resource's onEvent handler (Provider framework), on injected I/O:
 * - Create / Update: checks the shipped config is the one this deploy synthesized (hash), validates
 *   it again and brings the attribute table to it with `applyConfig` (puts what changed, deletes
 *   what was removed; items outside `IDP#`/`ACCOUNT#`/`GATEWAY` and the state table are never
 *   touched);
 * - Delete: nothing. The table is RETAIN, a replaced resource must not wipe what its successor just
 *   wrote, and an empty table would lock everyone out rather than free anything.
 * The physical id is the table name, stable across config changes.
 * @throws Error when the shipped config does not match the hash or fails validation (the deploy
 * then fails and rolls back), and whatever `applyConfig` throws (DynamoDB errors).
 */
export const createConfigApplyHandler =
  ({
    dynamo,
    readShippedConfig,
  }: {
    dynamo: DynamoPort;
    readShippedConfig: () => Promise<string>;
  }) =>
  async (
    event: CdkCustomResourceEvent<ConfigResourceProperties>,
  ): Promise<CdkCustomResourceResponse<ConfigApplyResult>> => {
    const { TableName: tableName, ConfigSha256: expectedSha } = event.ResourceProperties;
    const physicalResourceId = `fedgate-config:${tableName}`;
    if (event.RequestType === 'Delete') {
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { Puts: 0, Deletes: 0 } };
    }
    const text = await readShippedConfig();
    const actualSha = sha256Hex(text);
    if (actualSha !== expectedSha) {
      throw new Error(
        `the shipped gateway config has SHA-256 ${actualSha}, the deploy expects ${expectedSha}`,
      );
    }
    const config = parseGatewayConfig(JSON.parse(text));
    const diff = await applyConfig(dynamo, tableName, config);
    return {
      PhysicalResourceId: physicalResourceId,
      Data: { Puts: diff.puts.length, Deletes: diff.deletes.length },
    };
  };
