import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { GatewayConfig } from '../../shared/config/index.js';
import { buildEnvironment } from '../../shared/config/schema.js';
import { revocationWriterRoleArn } from '../admin/kill-switch.js';
import {
  dynamoStatementsOf,
  FUNCTION_TIMEOUT_SECONDS,
  FUNCTIONS,
  type FunctionName,
  MANIFEST,
  ROUTES,
  type TableStatement,
} from '../manifest.js';
import {
  FUNCTION_MEMORY_MB,
  NODE_WRAPPER_ENVIRONMENT,
  NODE_WRAPPER_FILE,
} from '../runtime/index.js';
import { ConfigAsCode } from './config-as-code/config-as-code.js';
import type { SigningKey } from './data-stack.js';
import {
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  functionBundling,
  REPO_ROOT,
} from './function-bundling.js';
import {
  acknowledgeOidcSecretWildcards,
  oidcSecretStatements,
  paramsAndSecretsLayer,
  scimTokenStatements,
} from './oidc-secrets.js';
import type { StageConfig } from './stage-config.js';

export interface GatewayStackProps extends StackProps {
  stage: StageConfig;
  /** The validated gateway config, applied to the attribute table on deploy. */
  gatewayConfig: GatewayConfig;
  attributeTable: dynamodb.ITable;
  stateTable: dynamodb.ITable;
  /** The stage's signing keys; the active one first (it signs), all are published. */
  signingKeys: readonly SigningKey[];
}

/** What the KMS signer does (shared/issuer/kms-signing-keys.ts). */
export const SIGNING_KEY_ACTIONS = ['kms:Sign', 'kms:GetPublicKey'] as const;

/**
 * Access log line (JSON). No `$context.path` and no query string: `GET /oidc/callback?code=…&state=…`
 * carries an authorization code, so only the route key (`GET /oidc/callback`) is logged, for every
 * route alike. No headers, no cookies, no request ids of upstream IdPs.
 */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

/**
 * Code, runtime and bundling of the function in `functions/<fn>.ts`: the same for every function,
 * so a test that bundles one for real covers them all. Each bundle also carries fedgate's Lambda
 * exec wrapper (infra/runtime/fedgate-node: V8's young generation capped at 4 MB semi-spaces,
 * see the file), which `AWS_LAMBDA_EXEC_WRAPPER` in the function's environment switches on.
 */
export const functionCodeProps = (fn: FunctionName) =>
  ({
    entry: join(REPO_ROOT, 'functions', `${fn}.ts`),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memorySize: FUNCTION_MEMORY_MB,
    bundling: {
      ...functionBundling(fn),
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (_inputDir: string, outputDir: string) => [
          `cp '${NODE_WRAPPER_FILE}' '${outputDir}/fedgate-node'`,
          `chmod 755 '${outputDir}/fedgate-node'`,
        ],
      },
    },
  }) satisfies NodejsFunctionProps;

/** IAM: role names are at most 64 characters. */
const MAX_ROLE_NAME_LENGTH = 64;

/**
 * The IAM role name of function `fn` in a stage: `fedgate-<stage>-<fn>`. Deterministic, so the
 * data stack's KMS key policy can name the roles that sign (by `aws:PrincipalArn`) without a
 * reference to the gateway stack, which itself depends on the data stack.
 * @throws Error when the name would exceed IAM's 64 characters.
 */
export const functionRoleName = (stageName: string, fn: string): string => {
  const name = `fedgate-${stageName}-${fn}`;
  if (name.length > MAX_ROLE_NAME_LENGTH) {
    throw new Error(`function role name ${name} exceeds ${MAX_ROLE_NAME_LENGTH} characters`);
  }
  return name;
};

/** The codes of STS refusals (shared/sts/errors.ts): each means an IAM setting needs fixing. */
const STS_REFUSAL_CODES = [
  'sts_assume_role_failed',
  'sts_idp_rejected_claim',
  'sts_invalid_identity_token',
  'sts_expired_token',
  'sts_malformed_policy',
  'sts_packed_policy_too_large',
  'sts_region_disabled',
  'sts_access_denied',
  'sts_validation_error',
] as const;

/**
 * A declared table statement as IAM: the table's ARN, and on the state table the key prefixes as
 * `ForAllValues:StringLike` on `dynamodb:LeadingKeys`, so every key of a call (each of a
 * BatchGetItem's) must be one the function declared.
 */
export const tablePolicyStatement = (
  statement: TableStatement,
  tables: { attributeTable: dynamodb.ITable; stateTable: dynamodb.ITable },
): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: statement.sid,
    actions: [...statement.actions],
    resources: [
      (statement.table === 'attributes' ? tables.attributeTable : tables.stateTable).tableArn,
    ],
    ...(statement.leadingKeys
      ? {
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...statement.leadingKeys] },
          },
        }
      : {}),
  });

/**
 * The kill switch's writer roles a deprovisioning may assume: `fedgate-revocation-writer` in
 * every account of every IdP's `directory.deprovisioning.awsKillSwitch`, sorted, each once.
 */
export const killSwitchWriterRoles = (config: GatewayConfig): string[] =>
  [
    ...new Set(
      config.idps.flatMap((idp) => {
        const k = idp.directory?.deprovisioning.awsKillSwitch;
        return k ? k.accounts.map((account) => revocationWriterRoleArn(k.partition, account)) : [];
      }),
    ),
  ].sort();

/** A CDK construct id from a function file name: `saml-acs` → `SamlAcs`. */
const pascal = (name: string) =>
  name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * The stateless half of fedgate: one NodejsFunction per function of infra/manifest.ts, with a role
 * derived from its declaration, the HTTP API with one route per declared route,
 * stage and route throttling, JSON access logs, an optional custom domain, config as code, and
 * alarms on 5xx, function errors and throttles.
 */
export class GatewayStack extends Stack {
  readonly api: apigw.HttpApi;
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  /** The URL fedgate publishes and AWS trusts (custom domain, or the API's own endpoint). */
  readonly publicBaseUrl: string;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly configAsCode: ConfigAsCode;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const retention = stage.logRetentionDays as logs.RetentionDays;

    const routeKeys = new Set(ROUTES.map((r) => r.routeKey as string));
    for (const key of Object.keys(stage.throttle.routes)) {
      if (!routeKeys.has(key)) throw new Error(`stage ${stage.name}: no route ${key} to throttle`);
    }

    let domainName: apigw.DomainName | undefined;
    if (stage.customDomain) {
      domainName = new apigw.DomainName(this, 'DomainName', {
        domainName: stage.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(
          this,
          'Certificate',
          stage.customDomain.certificateArn,
        ),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
    }

    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `fedgate-${stage.name}`,
      description: `fedgate ${stage.name}: SAML/OIDC federation gateway for AWS`,
      createDefaultStage: false,
      // One public URL: with a custom domain the execute-api URL is switched off, so the issuer
      // AWS trusts and the URLs fedgate builds cannot be reached under a second name.
      disableExecuteApiEndpoint: domainName !== undefined,
    });
    this.publicBaseUrl = stage.customDomain
      ? `https://${stage.customDomain.domainName}`
      : this.api.apiEndpoint;

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention });
    const apiStage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: stage.throttle.default,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
      ...(domainName ? { domainMapping: { domainName } } : {}),
    });
    const cfnStage = apiStage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      Object.entries(stage.throttle.routes).map(([key, t]) => [
        key,
        // routeSettings is raw CloudFormation (no L2 support): PascalCase keys.
        { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit },
      ]),
    );

    const environment = buildEnvironment({
      attributeTableName: props.attributeTable.tableName,
      stateTableName: props.stateTable.tableName,
      publicBaseUrl: this.publicBaseUrl,
      signingKeyRefs: props.signingKeys.map((k) => `kms:${k.key.keyId}`),
      samlProviderName: stage.samlProviderName,
      webIdentityAudience: stage.webIdentityAudience,
    });

    const functions = new Map<string, NodejsFunction>();
    for (const fn of FUNCTIONS) {
      const cid = pascal(fn);
      const logGroup = new logs.LogGroup(this, `${cid}Logs`, { retention });
      // An own role per function instead of the managed AWSLambdaBasicExecutionRole: it may
      // write to its own log group only.
      const role = new iam.Role(this, `${cid}Role`, {
        // Named: the signing keys' policy admits these roles by name (data-stack.ts).
        roleName: functionRoleName(stage.name, fn),
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `fedgate ${stage.name} function ${fn}`,
      });
      logGroup.grantWrite(role);
      // Everything else from the function's declaration (infra/manifest.ts), nothing inferred.
      const declared = MANIFEST[fn];
      for (const statement of dynamoStatementsOf(declared)) {
        role.addToPolicy(tablePolicyStatement(statement, props));
      }
      if (declared.kms.fedgateKeys) {
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'SignWithFedgateKeys',
            actions: [...SIGNING_KEY_ACTIONS],
            resources: props.signingKeys.map((k) => k.key.keyArn),
          }),
        );
      }
      // OIDC client secrets (Secrets Manager / SSM through the extension layer) and
      // private_key_jwt keys; SCIM bearer tokens, each kind only where declared.
      const secretStatements = [
        ...oidcSecretStatements(props.gatewayConfig, stage, {
          secrets: declared.secrets.oidcClients,
          signs: declared.kms.clientKeys,
        }),
        ...(declared.secrets.scimTokens ? scimTokenStatements(props.gatewayConfig, stage) : []),
      ];
      for (const statement of secretStatements) role.addToPolicy(statement);
      acknowledgeOidcSecretWildcards(role, secretStatements);
      const killSwitchRoles = declared.killSwitch ? killSwitchWriterRoles(props.gatewayConfig) : [];
      if (killSwitchRoles.length > 0) {
        // Each writer role must also trust this role: name it in the stage's revocationWriters.
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'AssumeRevocationWriters',
            actions: ['sts:AssumeRole'],
            resources: killSwitchRoles,
          }),
        );
      }
      const handler = new NodejsFunction(this, cid, {
        ...functionCodeProps(fn),
        // API Gateway HTTP APIs wait 30 s at most. Each dependency is bounded (~9 s worst case
        // for DynamoDB, STS or KMS with the SDK's retries, 5 s for the federation endpoint), but
        // two degraded at once could pass 15 s and end in API Gateway's bare 500 instead of
        // fedgate's 503 page (test/integration/resilience/README.md: the open time budget).
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
        role,
        logGroup,
        environment: { ...environment, ...NODE_WRAPPER_ENVIRONMENT },
        ...(declared.secrets.oidcClients || declared.secrets.scimTokens
          ? { paramsAndSecrets: paramsAndSecretsLayer() }
          : {}),
        description: `fedgate ${stage.name}: ${fn}`,
        ...(stage.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: stage.reservedConcurrency }
          : {}),
      });
      functions.set(fn, handler);
    }
    this.functions = functions;

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      const handler = functions.get(route.fn);
      if (!handler) throw new Error(`route ${route.routeKey}: no function ${route.fn}`);
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(route.fn)}Integration`, handler);
        integrations.set(route.fn, integration);
      }
      const [method, path] = route.routeKey.split(' ') as [string, string];
      const httpRoute = new apigw.HttpRoute(this, `Route ${route.routeKey}`, {
        httpApi: this.api,
        routeKey: apigw.HttpRouteKey.with(path, method as apigw.HttpMethod),
        integration,
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A public federation endpoint: people arrive unauthenticated by design; each route ' +
          'authenticates the request itself (signed SAML response, OIDC state + PKCE, CSRF token, ' +
          'PKCE-bound one-time code) or serves public documents (metadata, JWKS).',
      });
    }

    this.configAsCode = new ConfigAsCode(this, 'Config', {
      config: props.gatewayConfig,
      attributeTable: props.attributeTable,
      logRetention: retention,
    });

    this.alarms = this.createAlarms(stage);

    new CfnOutput(this, 'PublicBaseUrl', { value: this.publicBaseUrl });
    new CfnOutput(this, 'IdpMetadataUrl', { value: `${this.publicBaseUrl}/aws/saml-metadata.xml` });
    if (domainName) {
      new CfnOutput(this, 'DomainTarget', {
        value: domainName.regionalDomainName,
        description: `CNAME/alias target for ${stage.customDomain?.domainName}`,
      });
    }

    for (const handler of functions.values()) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is pinned on purpose: the bundles target Node 22 (infra/cdk/function-bundling.ts).',
      });
    }
    Validations.of(this.configAsCode.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the bundles target Node 22 (infra/cdk/function-bundling.ts).',
    });
  }

  private createAlarms(stage: StageConfig): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const alarms: cloudwatch.Alarm[] = [];
    const add = (id: string, metric: cloudwatch.IMetric, threshold: number, what: string) => {
      alarms.push(
        new cloudwatch.Alarm(this, id, {
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `fedgate ${stage.name}: ${what}`,
        }),
      );
    };
    // 5xx rate over all routes: a failing dependency (503) or a bug (500).
    add(
      'Api5xxRate',
      new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: this.api.metricServerError({ period, statistic: 'Sum' }),
          requests: this.api.metricCount({ period, statistic: 'Sum' }),
        },
        period,
        label: 'API 5xx %',
      }),
      5,
      'more than 5 % of requests answered 5xx in 5 minutes',
    );
    for (const [fn, handler] of this.functions) {
      const cid = pascal(fn);
      add(
        `${cid}Errors`,
        handler.metricErrors({ period, statistic: 'Sum' }),
        5,
        `${fn} failed (unhandled errors) 5 or more times in 5 minutes`,
      );
      add(
        `${cid}Throttles`,
        handler.metricThrottles({ period, statistic: 'Sum' }),
        1,
        `${fn} was throttled (concurrency limit reached)`,
      );
    }
    // fedgate's own metrics (EMF, shared/http/outcome.ts). Its error middleware answers every
    // failure, so Lambda's Errors metric stays at 0 for bugs: these count what the client saw.
    const failures = (code: string) =>
      new cloudwatch.Metric({
        namespace: 'fedgate',
        metricName: 'Failures',
        dimensionsMap: { service: 'fedgate', code },
        period,
        statistic: 'Sum',
      });
    add(
      'UnexpectedErrors',
      failures('server_error'),
      1,
      'a request failed with an unexpected error (server_error): look for "request failed" in the logs',
    );
    add(
      'DependencyUnavailable',
      failures('temporarily_unavailable'),
      5,
      'DynamoDB, KMS, STS, the federation endpoint or an upstream IdP failed 5 or more requests in 5 minutes (503)',
    );
    add(
      'StsRefusals',
      new cloudwatch.MathExpression({
        expression: STS_REFUSAL_CODES.map((_c, i) => `m${i}`).join(' + '),
        usingMetrics: Object.fromEntries(STS_REFUSAL_CODES.map((c, i) => [`m${i}`, failures(c)])),
        period,
        label: 'STS refusals',
      }),
      1,
      'STS refused a role assumption (a trust policy, provider or role setting needs fixing: the log line names the sts_* code)',
    );
    add(
      'ConfigApplyErrors',
      this.configAsCode.handler.metricErrors({ period, statistic: 'Sum' }),
      1,
      'applying the gateway config failed',
    );

    if (stage.alarmEmail) {
      const topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `fedgate ${stage.name} alarms`,
        enforceSSL: true,
      });
      topic.addSubscription(new subscriptions.EmailSubscription(stage.alarmEmail));
      for (const alarm of alarms) alarm.addAlarmAction(new cwActions.SnsAction(topic));
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names and states only; CloudWatch cannot publish to a ' +
          'topic encrypted with the AWS-managed SNS key, and a CMK for this adds cost, not secrecy.',
      });
    }
    return alarms;
  }
}
