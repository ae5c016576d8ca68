import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CustomResource, Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { GatewayConfig } from '../../../shared/config/index.js';
import {
  ESM_FUNCTION_BUNDLING,
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  REPO_ROOT,
} from '../function-bundling.js';
import {
  type ConfigResourceProperties,
  SHIPPED_CONFIG_FILE,
  sha256Hex,
} from './apply-config-event.js';

export interface ConfigAsCodeProps {
  /** The validated gateway config (infra/config-file.ts already refused an invalid one). */
  config: GatewayConfig;
  attributeTable: dynamodb.ITable;
  logRetention: logs.RetentionDays;
}

/** The actions `applyConfig` performs on the attribute table (a consistent Scan, BatchWriteItem). */
export const CONFIG_APPLY_ACTIONS = ['dynamodb:Scan', 'dynamodb:BatchWriteItem'] as const;

/**
 * Config as code: on every deploy the gateway config file is applied to the attribute table by a
 * custom resource (Provider framework). The validated config travels as a file inside the
 * handler's own bundle, not as resource properties: a config with SAML metadata easily passes
 * the sizes CloudFormation is comfortable with, and the bundle needs no S3 read grant. The
 * properties carry the table name and the config's SHA-256, so a changed config is an Update.
 */
export class ConfigAsCode extends Construct {
  readonly handler: NodejsFunction;
  readonly resource: CustomResource;
  readonly configSha256: string;

  constructor(scope: Construct, id: string, props: ConfigAsCodeProps) {
    super(scope, id);
    const json = JSON.stringify(props.config);
    this.configSha256 = sha256Hex(json);
    // Staged by content hash, so concurrent synths of different configs do not collide.
    const stagedDir = join(tmpdir(), 'fedgate-config-as-code', this.configSha256);
    mkdirSync(stagedDir, { recursive: true });
    const staged = join(stagedDir, SHIPPED_CONFIG_FILE);
    writeFileSync(staged, json);

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: props.logRetention });
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'fedgate config-as-code: applies the gateway config to the attribute table',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...CONFIG_APPLY_ACTIONS],
        resources: [props.attributeTable.tableArn],
      }),
    );
    logGroup.grantWrite(role);

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: join(REPO_ROOT, 'infra/cdk/config-as-code/handler.ts'),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      memorySize: 512,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      description: `fedgate config as code (config ${this.configSha256.slice(0, 12)})`,
      bundling: {
        ...ESM_FUNCTION_BUNDLING,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp '${staged}' '${outputDir}/${SHIPPED_CONFIG_FILE}'`,
          ],
        },
      },
    });

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention }),
    });
    const properties: ConfigResourceProperties = {
      TableName: props.attributeTable.tableName,
      ConfigSha256: this.configSha256,
    };
    this.resource = new CustomResource(this, 'Applied', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::FedgateGatewayConfig',
      properties: { ...properties },
    });

    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The CDK Provider framework's own function role: it only invokes the handler and writes its log.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::<ConfigHandler5ED9EDA9.Arn>:*]',
        reason: 'The Provider framework may invoke any version of the one handler function.',
      },
      {
        id: 'AwsSolutions-L1',
        reason: "The Provider framework's function runtime is chosen by aws-cdk-lib.",
      },
    );
  }
}
