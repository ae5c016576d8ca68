import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ATTRIBUTE_TABLE, STATE_TABLE } from '../../shared/store/table-schema.js';
import type { StageConfig } from './stage-config.js';

export interface DataStackProps extends StackProps {
  stage: StageConfig;
}

/** A named signing key of the stage (see `StageConfig.signingKeys`). */
export interface SigningKey {
  name: string;
  key: kms.IKey;
}

// table-schema.ts names the billing mode; this maps it to the CDK enum.
const BILLING = { PAY_PER_REQUEST: dynamodb.BillingMode.PAY_PER_REQUEST } as const;

/**
 * The stateful half of fedgate: the attribute table (what ops edit, PITR, RETAIN, deletion
 * protection), the state table (single-use items, TTL on `expiresAt`) and the KMS signing keys
 * (asymmetric RSA_2048, SIGN_VERIFY, RETAIN). Key names and types come from
 * shared/store/table-schema.ts, as for the adapters and the local runner. Termination protection
 * is on: deleting this stack is a decision, not an accident.
 */
export class DataStack extends Stack {
  readonly attributeTable: dynamodb.Table;
  readonly stateTable: dynamodb.Table;
  /** The stage's signing keys in `StageConfig.signingKeys.keys` order. */
  readonly signingKeys: readonly SigningKey[];

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    const { stage } = props;

    this.attributeTable = new dynamodb.Table(this, 'AttributeTable', {
      partitionKey: { name: ATTRIBUTE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTRIBUTE_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: BILLING[ATTRIBUTE_TABLE.billingMode],
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: ATTRIBUTE_TABLE.pointInTimeRecovery,
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });

    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: STATE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: BILLING[STATE_TABLE.billingMode],
      timeToLiveAttribute: STATE_TABLE.timeToLiveAttribute,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: STATE_TABLE.pointInTimeRecovery,
      },
      // Short-lived items only (minutes): nothing to keep when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
    });
    Validations.of(this.stateTable).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The state table holds single-use items that expire within minutes (replay cache, ' +
        'transactions, tickets); a point-in-time restore would bring back consumed one-time items.',
    });

    this.signingKeys = stage.signingKeys.keys.map((name) => {
      const key = new kms.Key(this, `SigningKey-${name}`, {
        description: `fedgate ${stage.name} signing key ${name} (SAML assertions and web identity tokens)`,
        alias: `alias/fedgate/${stage.name}/${name}`,
        keySpec: kms.KeySpec.RSA_2048,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // Asymmetric keys cannot rotate automatically: rotation is the runbook in README.md.
        enableKeyRotation: false,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return { name, key };
    });
  }

  /** The key that signs (`signingKeys.activeKey`). */
  activeSigningKey(stage: StageConfig): SigningKey {
    const active = this.signingKeys.find((k) => k.name === stage.signingKeys.activeKey);
    if (!active) throw new Error(`no signing key named ${stage.signingKeys.activeKey}`);
    return active;
  }
}
