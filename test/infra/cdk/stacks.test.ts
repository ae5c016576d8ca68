import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FORMAT } from '../../../infra/cdk/gateway-stack.js';
import { parseStageConfig } from '../../../infra/cdk/stage-config.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { DEPARTMENT_TAG_VARIABLE } from '../../../infra/cdk/target-account.js';
import {
  dynamoStatementsOf,
  FUNCTIONS,
  type FunctionName,
  MANIFEST,
  ROUTES,
} from '../../../infra/manifest.js';
import { FUNCTION_MEMORY_MB } from '../../../infra/runtime/index.js';
import { DEPLOYED_ENV_NAMES } from '../../../shared/config/schema.js';
import { ATTRIBUTE_TABLE, STATE_TABLE } from '../../../shared/store/table-schema.js';
import { synthStage } from './example-app.js';

const stage = STAGES.example!;
/** What aws-cdk-lib's paramsAndSecrets adds to a function's environment. */
const SECRETS_EXTENSION_ENV_NAMES = [
  'PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED',
  'PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE',
  'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT',
  'PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL',
  'PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS',
  'SECRETS_MANAGER_TIMEOUT_MILLIS',
  'SECRETS_MANAGER_TTL',
  'SSM_PARAMETER_STORE_TIMEOUT_MILLIS',
  'SSM_PARAMETER_STORE_TTL',
];
// CloudFormation JSON: the tests walk it by shape.
// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON
type Props = Record<string, any>;
type Resource = {
  Type: string;
  Properties: Props;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

let data: Template;
let gateway: Template;
let trustWithSaml: Template;
let trustWithoutSaml: Template;
let gatewayResources: Record<string, Resource>;

beforeAll(async () => {
  const app = await synthStage(stage);
  data = Template.fromStack(app.data);
  gateway = Template.fromStack(app.gateway);
  gatewayResources = gateway.toJSON().Resources;
  trustWithSaml = Template.fromStack(app.targets[0]!);
  trustWithoutSaml = Template.fromStack(app.targets[1]!);
});

/** The gateway's resources of one type, by logical id. */
const ofType = (type: string) =>
  Object.entries(gatewayResources).filter(([, r]) => r.Type === type);

/** The one Lambda function of a file in functions/ (matched by its description). */
const functionOf = (fn: string): [string, Resource] => {
  const found = ofType('AWS::Lambda::Function').filter(
    ([, r]) => r.Properties.Description === `fedgate ${stage.name}: ${fn}`,
  );
  expect(found, fn).toHaveLength(1);
  return found[0]!;
};

describe('data stack (stateful)', () => {
  it('builds the attribute table from table-schema.ts: pk/sk, on-demand, PITR, deletion protection, RETAIN', () => {
    const tables = data.findResources('AWS::DynamoDB::Table', {
      Properties: { KeySchema: Match.arrayWith([Match.objectLike({ KeyType: 'RANGE' })]) },
    });
    const [attribute] = Object.values(tables) as Resource[];
    expect(Object.keys(tables)).toHaveLength(1);
    expect(attribute!.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: ATTRIBUTE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: ATTRIBUTE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: ATTRIBUTE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: ATTRIBUTE_TABLE.sortKey, AttributeType: 'S' },
      ],
      BillingMode: ATTRIBUTE_TABLE.billingMode,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(attribute!.DeletionPolicy).toBe('Retain');
    expect(attribute!.UpdateReplacePolicy).toBe('Retain');
  });

  it('builds the state table from table-schema.ts with TTL on expiresAt', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
      BillingMode: STATE_TABLE.billingMode,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    data.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  it('creates one asymmetric RSA_2048 SIGN_VERIFY key per configured name, retained, with an alias', () => {
    data.resourceCountIs('AWS::KMS::Key', stage.signingKeys.keys.length);
    const keys = data.findResources('AWS::KMS::Key') as Record<string, Resource>;
    for (const key of Object.values(keys)) {
      expect(key.Properties).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      expect(key.Properties.EnableKeyRotation).not.toBe(true);
      expect(key.DeletionPolicy).toBe('Retain');
    }
    data.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/fedgate/example/k1' });
  });

  it('is termination protected', async () => {
    const app = await synthStage(stage, { nag: false });
    expect(app.data.terminationProtection).toBe(true);
    expect(app.gateway.terminationProtection).toBe(false);
  });
});

describe('gateway stack (stateless)', () => {
  it('has one arm64 nodejs22.x function per entry of FUNCTIONS', () => {
    // +1: the config-as-code handler; the Provider framework's own function is the +2.
    expect(ofType('AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length + 2);
    for (const fn of FUNCTIONS) {
      const [, f] = functionOf(fn);
      expect(f.Properties.Runtime, fn).toBe('nodejs22.x');
      expect(f.Properties.Architectures, fn).toEqual(['arm64']);
      expect(f.Properties.Handler, fn).toBe('index.handler');
      expect(f.Properties.ReservedConcurrentExecutions, fn).toBe(stage.reservedConcurrency);
    }
  });

  it('gives every function exactly the environment names of DEPLOYED_ENV_NAMES, plus the exec wrapper', () => {
    for (const fn of FUNCTIONS) {
      const vars = functionOf(fn)[1].Properties.Environment.Variables;
      expect(Object.keys(vars).sort(), fn).toEqual(
        [
          ...DEPLOYED_ENV_NAMES,
          'AWS_LAMBDA_EXEC_WRAPPER',
          // The Parameters and Secrets extension's own settings, where its layer is attached.
          ...(MANIFEST[fn].secrets.oidcClients || MANIFEST[fn].secrets.scimTokens
            ? SECRETS_EXTENSION_ENV_NAMES
            : []),
        ].sort(),
      );
      expect(vars.AWS_LAMBDA_EXEC_WRAPPER).toBe('/var/task/fedgate-node');
      expect(functionOf(fn)[1].Properties.MemorySize, fn).toBe(FUNCTION_MEMORY_MB);
      // Under API Gateway's 30 s, so a slow dependency still ends in fedgate's own 503.
      expect(functionOf(fn)[1].Properties.Timeout, fn).toBe(29);
      expect(vars.PUBLIC_BASE_URL).toBe('https://sso.example.com');
      expect(vars.SAML_PROVIDER_NAME).toBe(stage.samlProviderName);
      // The audience the target accounts' OIDC providers list as client id.
      expect(vars.WEB_IDENTITY_AUDIENCE).toBe(stage.webIdentityAudience);
      expect(vars.SIGNING_KEY_REF).toEqual({
        'Fn::Join': ['', ['kms:', { 'Fn::ImportValue': expect.stringMatching(/RefSigningKeyk1/) }]],
      });
    }
  });

  const statementsOf = (fn: string) => {
    const [, f] = functionOf(fn);
    const roleId = f.Properties.Role['Fn::GetAtt'][0];
    const policies = ofType('AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    );
    expect(policies, fn).toHaveLength(1);
    // No managed policies (AWSLambdaBasicExecutionRole would allow every log group).
    expect(gatewayResources[roleId]!.Properties.ManagedPolicyArns, fn).toBeUndefined();
    return policies[0]![1].Properties.PolicyDocument.Statement as unknown[];
  };
  const logsOf = (fn: string) => ({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: { 'Fn::GetAtt': [functionOf(fn)[1].Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
  });
  const ATTRIBUTE_TABLE_ARN = {
    'Fn::ImportValue': expect.stringMatching(/AttributeTable\w*Arn/),
  };
  const STATE_TABLE_ARN = { 'Fn::ImportValue': expect.stringMatching(/StateTable\w*Arn/) };
  const readAttributes = {
    Sid: 'ReadAttributeTable',
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'],
    Resource: ATTRIBUTE_TABLE_ARN,
  };
  /** A state-table statement as CloudFormation shows it: one action alone is a plain string. */
  const stateStatement = (sid: string, action: string | string[], leadingKeys: string[]) => ({
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: STATE_TABLE_ARN,
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys } },
  });
  /** An attribute-table statement on the directory's items (`DIR#*`). */
  const itemStatement = (sid: string, action: string | string[]) => ({
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: ATTRIBUTE_TABLE_ARN,
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DIR#*'] } },
  });
  /** The directory join of a sign-in (shared/directory/join.ts): the person's partition. */
  const readDirectory = itemStatement('ReadAttributeItems', [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
  ]);
  const readState = (keys: string[]) =>
    stateStatement('ReadStateItems', ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], keys);
  const putState = (keys: string[]) => stateStatement('PutStateItems', 'dynamodb:PutItem', keys);
  const updateState = (keys: string[]) =>
    stateStatement('UpdateStateItems', 'dynamodb:UpdateItem', keys);
  const deleteState = (keys: string[]) =>
    stateStatement('DeleteStateItems', 'dynamodb:DeleteItem', keys);
  const signStatement = {
    Sid: 'SignWithFedgateKeys',
    Effect: 'Allow',
    Action: ['kms:Sign', 'kms:GetPublicKey'],
    Resource: { 'Fn::ImportValue': expect.stringMatching(/SigningKeyk1\w*Arn/) },
  };

  // Written out, not derived: what each role must be, read as a reviewer reads the template.
  const EXPECTED: Record<FunctionName, () => unknown[]> = {
    home: () => [readAttributes, readDirectory, readState(['REVOKED#*', 'SESSION#*'])],
    'saml-login': () => [readAttributes, putState(['AUTHNREQ#*'])],
    'saml-acs': () => [
      readAttributes,
      readDirectory,
      readState(['AUTHNREQ#*']),
      putState(['CONFIRM#*', 'REPLAY#*', 'SESSION#*']),
      updateState(['PERSON#*', 'SESSION#*']),
      deleteState(['AUTHNREQ#*']),
      signStatement,
    ],
    'oidc-login': () => [readAttributes, putState(['TXN#*']), ...secretStatements],
    'oidc-callback': () => [
      readAttributes,
      readDirectory,
      putState(['CODE#*', 'SESSION#*']),
      updateState(['PERSON#*', 'SESSION#*']),
      deleteState(['TXN#*']),
      signStatement,
      ...secretStatements,
    ],
    portal: () => [
      readAttributes,
      readDirectory,
      readState(['REVOKED#*', 'SESSION#*']),
      putState(['SESSION#*']),
      updateState(['PERSON#*', 'SESSION#*']),
      deleteState(['CONFIRM#*', 'SESSION#*']),
      signStatement,
    ],
    published: () => [readAttributes],
    'published-keys': () => [signStatement],
    credentials: () => [
      readAttributes,
      readDirectory,
      readState(['REVOKED#*', 'SESSION#*']),
      putState(['SESSION#*']),
      updateState(['PERSON#*', 'SESSION#*']),
      deleteState(['CODE#*', 'SESSION#*']),
      signStatement,
    ],
    'cli-pages': () => [
      readAttributes,
      readDirectory,
      readState(['DEVICE#*', 'REVOKED#*', 'SESSION#*', 'USERCODE#*']),
      putState(['CLICODE#*', 'DEVICE#*']),
      updateState(['ATTEMPTS#*']),
      deleteState(['USERCODE#*']),
    ],
    cli: () => [
      readAttributes,
      readDirectory,
      readState(['DEVICE#*', 'REVOKED#*', 'SESSION#*']),
      putState(['DEVICE#*', 'SESSION#*', 'USERCODE#*']),
      updateState(['PERSON#*', 'SESSION#*']),
      deleteState(['CLICODE#*', 'DEVICE#*', 'SESSION#*']),
      signStatement,
    ],
    scim: () => [
      readAttributes,
      readDirectory,
      itemStatement('PutAttributeItems', 'dynamodb:PutItem'),
      itemStatement('UpdateAttributeItems', 'dynamodb:UpdateItem'),
      itemStatement('DeleteAttributeItems', 'dynamodb:DeleteItem'),
      itemStatement('BatchWriteAttributeItems', 'dynamodb:BatchWriteItem'),
      readState(['PERSON#*']),
      putState(['REVOKED#*']),
      // No secret and no writer role: the example config provisions no IdP (scim-grants.test.ts).
    ],
  };

  it('grants each function exactly its log group and the statements its declaration implies', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...FUNCTIONS].sort());
    for (const fn of FUNCTIONS) {
      expect(statementsOf(fn), fn).toEqual([logsOf(fn), ...EXPECTED[fn]()]);
    }
  });

  it('derives the table statements from infra/manifest.ts, one to one', () => {
    for (const fn of FUNCTIONS) {
      const tables = statementsOf(fn).filter((s) =>
        String((s as { Sid?: string }).Sid).match(/Table|StateItems|AttributeItems/),
      );
      expect(tables, fn).toEqual(
        dynamoStatementsOf(MANIFEST[fn]).map((s) => ({
          Sid: s.sid,
          Effect: 'Allow',
          Action: s.actions.length === 1 ? s.actions[0] : [...s.actions],
          Resource: s.table === 'attributes' ? ATTRIBUTE_TABLE_ARN : STATE_TABLE_ARN,
          ...(s.leadingKeys
            ? {
                Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': s.leadingKeys } },
              }
            : {}),
        })),
      );
    }
  });

  /** Every action of a function's role, flattened. */
  const actionsOf = (fn: string): string[] =>
    (statementsOf(fn) as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat());

  it('keeps home and published read-only (no write action at all) and published without KMS', () => {
    const WRITES =
      /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL(Insert|Update|Delete))$/;
    for (const fn of ['home', 'published']) {
      expect(
        actionsOf(fn).filter((a) => WRITES.test(a) || a === 'dynamodb:*'),
        fn,
      ).toEqual([]);
    }
    expect(actionsOf('published').filter((a) => a.startsWith('kms:'))).toEqual([]);
    // The published keys' certificates are self-signed through KMS: that function signs, and
    // touches no table.
    expect(actionsOf('published-keys').filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('lets only the scim function write the attribute table, on DIR# only, never Scan', () => {
    const WRITES =
      /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL(Insert|Update|Delete))$/;
    for (const fn of FUNCTIONS) {
      const writes = (
        statementsOf(fn) as { Resource: unknown; Action: string | string[]; Condition?: unknown }[]
      ).filter(
        (s) =>
          JSON.stringify(s.Resource).includes('AttributeTable') &&
          [s.Action].flat().some((a) => WRITES.test(a) || a === 'dynamodb:*'),
      );
      if (fn !== 'scim') {
        expect(writes, fn).toEqual([]);
        continue;
      }
      expect(writes.length).toBe(4);
      for (const s of writes) {
        expect(s.Condition).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DIR#*'] },
        });
      }
    }
  });

  it('lets only the functions that complete a sign-in write SESSION#, and never grants Scan or Query on the state table', () => {
    const writersOf = (prefix: string) =>
      FUNCTIONS.filter((fn) =>
        (statementsOf(fn) as Record<string, unknown>[]).some(
          (s) => s.Sid === 'PutStateItems' && JSON.stringify(s.Condition).includes(`"${prefix}*"`),
        ),
      ).sort();
    expect(writersOf('SESSION#')).toEqual([
      'cli',
      'credentials',
      'oidc-callback',
      'portal',
      'saml-acs',
    ]);
    expect(writersOf('CODE#')).toEqual(['oidc-callback']);
    expect(writersOf('CONFIRM#')).toEqual(['saml-acs']);
    for (const fn of FUNCTIONS) {
      for (const s of statementsOf(fn) as {
        Resource: unknown;
        Action: string | string[];
        Condition?: unknown;
      }[]) {
        if (JSON.stringify(s.Resource).includes('StateTable')) {
          expect(
            [s.Action].flat().filter((a) => /Scan|Query/.test(a)),
            fn,
          ).toEqual([]);
          // Every state-table statement is bounded by its key prefixes.
          expect(s.Condition, fn).toEqual({
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': expect.any(Array) },
          });
        }
      }
    }
  });

  // The example config references arn:…:secret:fedgate/google-client; the stage keeps the default
  // oidcSecrets prefixes (secrets fedgate/*, parameters /fedgate/*) and no customer managed key.
  const secretStatements = [
    {
      Sid: 'ReadOidcClientSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/*',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/google-client',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/google-client-??????',
      ],
    },
    {
      Sid: 'ReadOidcClientParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/fedgate/*',
    },
  ];

  it('attaches the Parameters and Secrets extension (arm64, pinned) to exactly the functions resolving secrets (OIDC, SCIM), with short timeouts', () => {
    const resolves = (fn: FunctionName) =>
      MANIFEST[fn].secrets.oidcClients || MANIFEST[fn].secrets.scimTokens;
    expect(FUNCTIONS.filter((fn) => MANIFEST[fn].secrets.oidcClients).sort()).toEqual([
      'oidc-callback',
      'oidc-login',
    ]);
    expect(FUNCTIONS.filter((fn) => MANIFEST[fn].secrets.scimTokens)).toEqual(['scim']);
    expect(FUNCTIONS.filter((fn) => MANIFEST[fn].kms.clientKeys)).toEqual(['oidc-callback']);
    for (const fn of FUNCTIONS) {
      const props = functionOf(fn)[1].Properties;
      if (!resolves(fn)) {
        expect(props.Layers, fn).toBeUndefined();
        continue;
      }
      expect(props.Layers, fn).toEqual([
        expect.stringMatching(
          /^arn:aws:lambda:eu-west-1:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
        ),
      ]);
      expect(props.Environment.Variables, fn).toMatchObject({
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
        PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'true',
        // Under the function's own 3 s deadline: the extension answers 5xx first.
        SECRETS_MANAGER_TIMEOUT_MILLIS: '2000',
        SSM_PARAMETER_STORE_TIMEOUT_MILLIS: '2000',
        SECRETS_MANAGER_TTL: '300',
        SSM_PARAMETER_STORE_TTL: '300',
      });
    }
  });

  it('scopes the secret grants: a stage prefix, the config’s references, kms:Decrypt only via the services, client keys by ARN or alias', async () => {
    const { GatewayStack } = await import('../../../infra/cdk/gateway-stack.js');
    const { App, Stack } = await import('aws-cdk-lib');
    const dynamodb = await import('aws-cdk-lib/aws-dynamodb');
    const kms = await import('aws-cdk-lib/aws-kms');
    const { parseGatewayConfig } = await import('../../../shared/config/index.js');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const tables = new Stack(app, 'tables', { env });
    const table = (id: string) =>
      new dynamodb.Table(tables, id, {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      });
    const keyed = parseStageConfig({
      ...stage,
      name: 'keyed',
      oidcSecrets: {
        secretNamePrefixes: ['sso/'],
        parameterPathPrefixes: ['/sso/oidc/'],
        kmsKeyArns: ['arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-2222-3333-4444-555566667777'],
      },
    });
    const oidc = (id: string, settings: Record<string, unknown>) => ({
      id,
      displayName: id,
      protocol: 'oidc',
      oidc: { issuer: `https://${id}.example.com`, clientId: 'fedgate', ...settings },
    });
    const gatewayConfig = parseGatewayConfig({
      version: 1,
      idps: [
        oidc('okta', {
          clientSecretRef:
            'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta/app-AbCdEf#client_secret',
        }),
        oidc('ssm', { clientSecretRef: 'ssm:/other/okta-secret' }),
        oidc('entra', {
          profile: 'entra',
          clientAuth: { method: 'private_key_jwt', keyRef: 'kms:alias/fedgate/entra-client' },
        }),
        oidc('keyed', {
          clientAuth: {
            method: 'private_key_jwt',
            keyRef:
              'kms:arn:aws:kms:eu-west-1:123456789012:key/9999aaaa-2222-3333-4444-555566667777',
          },
        }),
      ],
    } as never);
    const stack = new GatewayStack(app, 'keyed-gateway', {
      env,
      stage: keyed,
      gatewayConfig,
      attributeTable: table('a'),
      stateTable: table('s'),
      signingKeys: [
        {
          name: 'k1',
          key: kms.Key.fromKeyArn(
            tables,
            'k1',
            'arn:aws:kms:eu-west-1:123456789012:key/0000aaaa-2222-3333-4444-555566667777',
          ),
        },
      ],
    });
    const t = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
    const statementsFor = (fn: string) => {
      const [, f] = Object.entries(t).find(
        ([, r]) =>
          r.Type === 'AWS::Lambda::Function' && r.Properties.Description === `fedgate keyed: ${fn}`,
      )!;
      const roleId = f.Properties.Role['Fn::GetAtt'][0];
      const policy = Object.values(t).find(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          r.Properties.Roles.some((x: { Ref: string }) => x.Ref === roleId),
      )!;
      return policy.Properties.PolicyDocument.Statement as Props[];
    };
    const bySid = (fn: string) =>
      Object.fromEntries(statementsFor(fn).flatMap((s) => (s.Sid ? [[s.Sid, s]] : [])));
    const callback = bySid('oidc-callback');
    expect(callback.ReadOidcClientSecrets.Resource).toEqual([
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta/app-AbCdEf',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:okta/app-AbCdEf-??????',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sso/*',
    ]);
    expect(callback.ReadOidcClientParameters.Resource).toEqual([
      'arn:aws:ssm:eu-west-1:123456789012:parameter/other/okta-secret',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/sso/oidc/*',
    ]);
    expect(callback.DecryptOidcClientSecrets).toEqual({
      Sid: 'DecryptOidcClientSecrets',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-2222-3333-4444-555566667777',
      Condition: {
        'ForAnyValue:StringEquals': {
          'kms:ViaService': [
            'secretsmanager.eu-west-1.amazonaws.com',
            'ssm.eu-west-1.amazonaws.com',
          ],
        },
      },
    });
    expect(callback.SignOidcClientAssertions).toMatchObject({
      Action: ['kms:Sign', 'kms:GetPublicKey'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/9999aaaa-2222-3333-4444-555566667777',
    });
    expect(callback.SignOidcClientAssertionsByAlias).toMatchObject({
      Action: ['kms:Sign', 'kms:GetPublicKey'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
      Condition: { StringEquals: { 'kms:RequestAlias': ['alias/fedgate/entra-client'] } },
    });
    // The login reads secrets but never signs client assertions.
    const login = bySid('oidc-login');
    expect(Object.keys(login)).toEqual(
      expect.arrayContaining(['ReadOidcClientSecrets', 'ReadOidcClientParameters']),
    );
    expect(login.SignOidcClientAssertions).toBeUndefined();
    expect(login.SignOidcClientAssertionsByAlias).toBeUndefined();
    // Nothing else reads secrets.
    expect(bySid('published').ReadOidcClientSecrets).toBeUndefined();
  });

  it('keeps logs for the stage retention: each function, the access log', () => {
    for (const fn of FUNCTIONS) {
      const logGroupId = functionOf(fn)[1].Properties.LoggingConfig.LogGroup.Ref;
      expect(gatewayResources[logGroupId]!.Properties.RetentionInDays, fn).toBe(
        stage.logRetentionDays,
      );
    }
    for (const [id, lg] of ofType('AWS::Logs::LogGroup')) {
      expect(lg.Properties.RetentionInDays, id).toBe(stage.logRetentionDays);
    }
  });

  it('routes every entry of ROUTES to its function, and nothing else', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(
      ROUTES.map((r) => r.routeKey).sort(),
    );
    for (const route of ROUTES) {
      const [, r] = routes.find(([, x]) => x.Properties.RouteKey === route.routeKey)!;
      const integrationId = r.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = gatewayResources[integrationId]!;
      expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
      const [fnId] = functionOf(route.fn);
      expect(integration.Properties.IntegrationUri, route.routeKey).toEqual({
        'Fn::GetAtt': [fnId, 'Arn'],
      });
    }
  });

  it('throttles the stage by default and the configured routes tighter', () => {
    gateway.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: {
        ThrottlingRateLimit: stage.throttle.default.rateLimit,
        ThrottlingBurstLimit: stage.throttle.default.burstLimit,
      },
      // Every route that issues credentials or a console link (infra/cdk/stages.ts).
      RouteSettings: Object.fromEntries(
        [
          'POST /saml/{idp}/acs',
          'POST /portal/open',
          'GET /portal/keys',
          'POST /signin/confirm',
          'GET /oidc/{idp}/callback',
          'POST /redeem',
          'POST /credentials',
          'POST /grants',
        ].map((key) => [key, { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }]),
      ),
    });
  });

  it('writes JSON access logs with the route key and never the path or query string', () => {
    const [[, apiStage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    const format: string = apiStage.Properties.AccessLogSettings.Format;
    expect(JSON.parse(format)).toEqual(ACCESS_LOG_FORMAT);
    expect(format).toContain('$context.routeKey');
    for (const leaky of ['$context.path', 'querystring', '$context.requestOverride', 'header']) {
      expect(format.toLowerCase()).not.toContain(leaky.toLowerCase());
    }
  });

  it('serves the custom domain with TLS 1.2 and switches the execute-api URL off', () => {
    gateway.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'sso.example.com',
      DomainNameConfigurations: [
        { CertificateArn: stage.customDomain!.certificateArn, SecurityPolicy: 'TLS_1_2' },
      ],
    });
    gateway.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: '$default' });
    gateway.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
  });

  it('alarms on fedgate’s own failure metrics: unexpected errors, dependencies down, STS refusals by every sts_* code', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const byDescription = (part: string) =>
      alarms.filter(([, a]) => String(a.Properties.AlarmDescription).includes(part));
    const [unexpected] = byDescription('unexpected error');
    expect(unexpected?.[1].Properties).toMatchObject({
      Namespace: 'fedgate',
      MetricName: 'Failures',
      Dimensions: expect.arrayContaining([{ Name: 'code', Value: 'server_error' }]),
      Threshold: 1,
    });
    const [down] = byDescription('(503)');
    expect(down?.[1].Properties).toMatchObject({
      MetricName: 'Failures',
      Dimensions: expect.arrayContaining([{ Name: 'code', Value: 'temporarily_unavailable' }]),
    });
    const [sts] = byDescription('STS refused');
    const codes = (
      sts![1].Properties.Metrics as {
        MetricStat?: { Metric: { Dimensions: { Name: string; Value: string }[] } };
      }[]
    )
      .filter((m) => m.MetricStat)
      .map((m) => m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'code')!.Value)
      .sort();
    // Every STS refusal code the gateway can answer with (shared/sts/errors.ts), none missed.
    const declared = [
      ...readFileSync('shared/sts/errors.ts', 'utf8').matchAll(/'(sts_[a-z_]+)'/g),
    ].map((m) => m[1]);
    expect(codes).toEqual([...new Set(declared)].sort());
  });

  it('alarms on the API 5xx rate, each function errors and throttles, and config-apply errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(1 + 2 * FUNCTIONS.length + 3 + 1);
    const descriptions = alarms.map(([, a]) => a.Properties.AlarmDescription as string);
    expect(descriptions).toContain(
      'fedgate example: more than 5 % of requests answered 5xx in 5 minutes',
    );
    for (const fn of FUNCTIONS) {
      const [fnId] = functionOf(fn);
      for (const metric of ['Errors', 'Throttles']) {
        const hit = alarms.filter(
          ([, a]) =>
            a.Properties.MetricName === metric && a.Properties.Dimensions?.[0]?.Value?.Ref === fnId,
        );
        expect(hit, `${fn} ${metric}`).toHaveLength(1);
      }
    }
    const rate = alarms.find(([, a]) => a.Properties.Metrics)![1];
    const metrics = rate.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(
      'IF(requests > 0, 100 * errors / requests, 0)',
    );
    expect(
      Object.fromEntries(
        metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!.Metric.MetricName]),
      ),
    ).toEqual({ errors: '5xx', requests: 'Count' });
    expect(rate.Properties).toMatchObject({ Threshold: 5, EvaluationPeriods: 1 });
    // Every alarm notifies the stage's topic, which mails the ops address.
    for (const [id, a] of alarms) expect(a.Properties.AlarmActions, id).toHaveLength(1);
    gateway.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: stage.alarmEmail,
    });
  });

  it('applies the gateway config with a custom resource allowed Scan + BatchWriteItem on the attribute table only', () => {
    gateway.hasResourceProperties('Custom::FedgateGatewayConfig', {
      TableName: { 'Fn::ImportValue': Match.stringLikeRegexp('AttributeTable') },
      ConfigSha256: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
    });
    const handler = ofType('AWS::Lambda::Function').find(([, f]) =>
      String(f.Properties.Description).startsWith('fedgate config as code'),
    )!;
    const roleId = handler[1].Properties.Role['Fn::GetAtt'][0];
    const [policy] = ofType('AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    );
    const statements = policy![1].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:Scan', 'dynamodb:BatchWriteItem'],
      Resource: { 'Fn::ImportValue': expect.stringMatching(/AttributeTable\w*Arn/) },
    });
    expect(JSON.stringify(statements)).not.toMatch(/StateTable/);
    expect(handler[1].Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
  });
});

describe('signing key rotation', () => {
  it('with two keys: the active one signs (first in SIGNING_KEY_REF), both may sign and be read', async () => {
    const rotating = { ...stage, signingKeys: { keys: ['k1', 'k2'], activeKey: 'k2' } };
    const app = await synthStage(rotating, { nag: false });
    Template.fromStack(app.data).resourceCountIs('AWS::KMS::Key', 2);
    const t = Template.fromStack(app.gateway).toJSON().Resources as Record<string, Resource>;
    const fns = Object.values(t).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        String(r.Properties.Description).startsWith(`fedgate ${stage.name}: `),
    );
    expect(fns).toHaveLength(FUNCTIONS.length);
    for (const f of fns) {
      const ref = f.Properties.Environment.Variables.SIGNING_KEY_REF['Fn::Join'][1];
      expect(ref).toEqual([
        'kms:',
        { 'Fn::ImportValue': expect.stringMatching(/RefSigningKeyk2/) },
        ',kms:',
        { 'Fn::ImportValue': expect.stringMatching(/RefSigningKeyk1/) },
      ]);
    }
    const sign = Object.values(t)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: { Sid?: string }) => st.Sid === 'SignWithFedgateKeys');
    expect(sign.length).toBeGreaterThan(0);
    for (const st of sign) {
      expect(st.Resource).toEqual([
        { 'Fn::ImportValue': expect.stringMatching(/SigningKeyk2\w*Arn/) },
        { 'Fn::ImportValue': expect.stringMatching(/SigningKeyk1\w*Arn/) },
      ]);
    }
  });
});

describe('stage validation', () => {
  it('refuses a throttle for a route that does not exist', async () => {
    const bad = {
      ...stage,
      throttle: { ...stage.throttle, routes: { 'GET /nope': stage.throttle.default } },
    };
    await expect(synthStage(bad, { nag: false })).rejects.toThrow('no route GET /nope to throttle');
  });

  it('without a custom domain serves and publishes the execute-api URL', async () => {
    const { customDomain: _, ...rest } = stage;
    const plain = parseStageConfig({ ...rest, name: 'plain', targetAccounts: [] });
    const app = await synthStage(plain, { nag: false });
    expect(app.targets).toEqual([]);
    const t = Template.fromStack(app.gateway);
    t.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
    const fns = t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^fedgate plain: ') },
    }) as Record<string, Resource>;
    expect(Object.keys(fns)).toHaveLength(FUNCTIONS.length);
    for (const f of Object.values(fns)) {
      expect(f.Properties.Environment.Variables.PUBLIC_BASE_URL).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^Api/), 'ApiEndpoint'],
      });
    }
  });

  it('names each bad stage field by its path', () => {
    expect(() =>
      parseStageConfig({
        ...stage,
        account: '12345',
        logRetentionDays: 42 as 30,
        signingKeys: { keys: ['k1'], activeKey: 'k2' },
      }),
    ).toThrow(/at account[\s\S]*at logRetentionDays[\s\S]*at signingKeys\.activeKey/);
  });

  it('refuses the removed allowedSpaOrigins with where SPA origins live now', () => {
    expect(() =>
      parseStageConfig({ ...stage, allowedSpaOrigins: ['https://app.example.com'] } as never),
    ).toThrow(/allowedSpaOrigins[\s\S]*spaClients\[\]\.origin/);
  });

  it('refuses target accounts without a custom domain (IAM needs a literal issuer URL)', () => {
    const { customDomain: _, ...rest } = stage;
    expect(() => parseStageConfig(rest)).toThrow(/targetAccounts/);
  });
});

describe('target-account stack', () => {
  const samlTrust = {
    Sid: 'FedgateSaml',
    Effect: 'Allow',
    Principal: { Federated: { Ref: Match.stringLikeRegexp('SamlProvider') } },
    Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession', 'sts:SetSourceIdentity'],
    Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
  };
  /** Web identity, audience-pinned and bound to the role: `<provider>:sub` = `<its ARN>#*`. */
  const webIdentityTrust = (account: string, pathAndName: string) => ({
    Sid: 'FedgateWebIdentity',
    Effect: 'Allow',
    Principal: { Federated: { Ref: Match.stringLikeRegexp('OidcProvider') } },
    Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
    Condition: {
      StringEquals: { 'sso.example.com:aud': 'sts.amazonaws.com' },
      StringLike: {
        'sso.example.com:sub': {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:role${pathAndName}#*`],
          ],
        },
      },
    },
  });

  it('registers fedgate: the SAML provider from the saved metadata and the OIDC provider for the issuer', () => {
    trustWithSaml.hasResourceProperties('AWS::IAM::SAMLProvider', {
      Name: 'fedgate',
      SamlMetadataDocument: Match.stringLikeRegexp(
        'entityID="https://sso.example.com/aws/saml-metadata.xml"',
      ),
    });
    trustWithSaml.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://sso.example.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it('trusts fedgate only: audience-pinned SAML and web identity, session tags and source identity', () => {
    trustWithSaml.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'fedgate-department-data',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: Match.exact([
          samlTrust,
          webIdentityTrust('123456789012', '/fedgate-department-data'),
        ]),
      },
    });
  });

  it('grants S3 by the department session tag (ABAC), not per department', () => {
    trustWithSaml.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ListOwnDepartmentPrefix',
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': [`${DEPARTMENT_TAG_VARIABLE}/*`] } },
            Resource: Match.anyValue(),
          },
          {
            Sid: 'ReadWriteOwnDepartmentPrefix',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  `:s3:::fedgate-example-data-123456789012/${DEPARTMENT_TAG_VARIABLE}/*`,
                ],
              ],
            },
          },
        ],
      },
    });
  });

  it('creates the roles the gateway config grants in the account, with a duration covering them', () => {
    // rolesFromConfig is on for 210987654321: the config grants fedgate/readonly (8 h, from Okta
    // and Google) and the example role (1 h) there; the account without it gets only the example
    // role. Plus fedgate-revocation-writer in each (the kill switch: kill-switch.test.ts).
    trustWithoutSaml.resourceCountIs('AWS::IAM::Role', 3);
    trustWithoutSaml.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'readonly',
      Path: '/fedgate/',
      MaxSessionDuration: 28800,
      Description: 'fedgate: granted by okta/workloads-readonly, google/workspace-readonly',
      AssumeRolePolicyDocument: {
        Statement: Match.exact([webIdentityTrust('210987654321', '/fedgate/readonly')]),
      },
    });
    trustWithoutSaml.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'fedgate-department-data',
      MaxSessionDuration: 3600,
    });
    trustWithSaml.resourceCountIs('AWS::IAM::Role', 2);
  });

  it('without saved metadata has no SAML provider and roles trust web identity only', () => {
    trustWithoutSaml.resourceCountIs('AWS::IAM::SAMLProvider', 0);
    trustWithoutSaml.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    trustWithoutSaml.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.exact([webIdentityTrust('210987654321', '/fedgate-department-data')]),
      },
    });
    trustWithoutSaml.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: Match.objectLike({
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('210987654321/')])],
            }),
          }),
        ]),
      },
    });
  });
});
