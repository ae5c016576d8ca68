import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ATTRIBUTE_TABLE, STATE_TABLE } from '../../shared/store/table-schema.js';
import { signingKeyFunctions } from '../manifest.js';
import { functionRoleName, SIGNING_KEY_ACTIONS } from './gateway-stack.js';
import { signingKeyAliasPrefix } from './oidc-secrets.js';
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
 * What the account's key administrators may do on a signing key: everything the rotation runbook
 * (README.md) and CloudFormation need to create, describe, tag, alias, enable/disable, re-policy
 * and delete it, and nothing cryptographic: no Sign, Verify, GetPublicKey, and no CreateGrant
 * (a grant could hand Sign to anyone without a visible key policy change).
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:EnableKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/**
 * A signing key's policy. Key administration goes to the account (so IAM decides who
 * administers it, and the key can never become unmanageable: KMS's own advice), without any
 * cryptographic action. Sign and GetPublicKey go to exactly the roles of the functions that sign
 * (`kms.fedgateKeys` in infra/manifest.ts, the same declaration their IAM grant comes from),
 * named by `aws:PrincipalArn` (deterministic role names: naming them as principals would need
 * the roles to exist before the key, and a reference would make the data stack depend on the
 * gateway stack, which depends on it). The function roles also need their IAM grant
 * (gateway-stack.ts): both must allow.
 */
export const signingKeyPolicy = (stack: Stack, stage: StageConfig): iam.PolicyDocument =>
  new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'KeyAdministrationWithoutCryptography',
        principals: [new iam.AccountRootPrincipal()],
        actions: [...KEY_ADMIN_ACTIONS],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'SignByFedgateFunctionsOnly',
        principals: [new iam.AccountRootPrincipal()],
        actions: [...SIGNING_KEY_ACTIONS],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'aws:PrincipalArn': signingKeyFunctions().map(
              (fn) =>
                `arn:${stack.partition}:iam::${stack.account}:role/${functionRoleName(stage.name, fn)}`,
            ),
          },
        },
      }),
    ],
  });

/**
 * The stateful half of fedgate: the attribute table (what ops edit, PITR, RETAIN, deletion
 * protection), the state table (single-use items, TTL on `expiresAt`) and the KMS signing keys
 * (asymmetric RSA_2048, SIGN_VERIFY, RETAIN, a key policy letting only the signing functions
 * sign: {@link signingKeyPolicy}). Key names and types come from
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
        alias: `${signingKeyAliasPrefix(stage)}${name}`,
        keySpec: kms.KeySpec.RSA_2048,
        keyUsage: kms.KeyUsage.SIGN_VERIFY,
        // Asymmetric keys cannot rotate automatically: rotation is the runbook in README.md.
        enableKeyRotation: false,
        removalPolicy: RemovalPolicy.RETAIN,
        // Instead of the default (the account decides everything, Sign included).
        policy: signingKeyPolicy(this, stage),
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
