import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseStageConfig } from '../../../infra/cdk/stage-config.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { FUNCTIONS } from '../../../infra/manifest.js';
import { synthStage } from './example-app.js';

/**
 * The scim function's role, derived from its declaration in infra/manifest.ts, on a config whose
 * IdP is provisioned with a Secrets Manager token and the kill switch: the directory's `DIR#…`
 * items only, the SCIM token it checks (exactly the referenced secret, none of the OIDC client
 * secrets), and the revocation writer roles of the IdP's kill switch accounts. No other function
 * gets a directory write, a SCIM token or a writer role.
 */
type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

describe('the scim function in the gateway stack', () => {
  let statements: (fn: string) => Statement[];

  beforeAll(async () => {
    const example = parse(await readFile('infra/cdk/example/gateway-config.yaml', 'utf8'));
    const okta = example.idps.find((i: { id: string }) => i.id === 'okta');
    okta.directory = {
      scim: { tokenRef: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/scim-okta' },
      deprovisioning: { awsKillSwitch: { accounts: ['123456789012', '210987654321'] } },
    };
    await mkdir('.local', { recursive: true });
    const file = join('.local', 'scim-grants-config.yaml');
    await writeFile(file, stringify(example));
    const base = STAGES.example;
    if (!base) throw new Error('no example stage');
    const stage = parseStageConfig({ ...base, gatewayConfigFile: file });
    const app = await synthStage(stage, { nag: true });
    const resources = Template.fromStack(app.gateway).toJSON().Resources as Record<
      string,
      // biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON
      { Type: string; Properties: Record<string, any> }
    >;
    statements = (fn) => {
      const f = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          r.Properties.Description === `fedgate ${stage.name}: ${fn}`,
      );
      if (!f) throw new Error(`no function ${fn}`);
      const role = (f.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const policy = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          (r.Properties.Roles as { Ref: string }[]).some((x) => x.Ref === role),
      );
      if (!policy) throw new Error(`no policy for ${fn}`);
      return (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    };
  }, 120_000);

  it('is its declaration: DIR# items, the PERSON# index and REVOKED# marks, exactly its SCIM token, the writer roles', () => {
    const ATTRIBUTES = { 'Fn::ImportValue': expect.stringMatching(/AttributeTable\w*Arn/) };
    const STATE = { 'Fn::ImportValue': expect.stringMatching(/StateTable\w*Arn/) };
    const onKeys = (keys: string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys },
    });
    const directory = (Sid: string, Action: string | string[]) => ({
      Sid,
      Effect: 'Allow',
      Action,
      Resource: ATTRIBUTES,
      Condition: onKeys(['DIR#*']),
    });
    expect(statements('scim').slice(1)).toEqual([
      {
        Sid: 'ReadAttributeTable',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'],
        Resource: ATTRIBUTES,
      },
      directory('ReadAttributeItems', [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
      ]),
      directory('PutAttributeItems', 'dynamodb:PutItem'),
      directory('UpdateAttributeItems', 'dynamodb:UpdateItem'),
      directory('DeleteAttributeItems', 'dynamodb:DeleteItem'),
      directory('BatchWriteAttributeItems', 'dynamodb:BatchWriteItem'),
      {
        Sid: 'ReadStateItems',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        Resource: STATE,
        Condition: onKeys(['PERSON#*']),
      },
      {
        Sid: 'PutStateItems',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: STATE,
        Condition: onKeys(['REVOKED#*']),
      },
      {
        Sid: 'ReadScimTokens',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/scim-okta',
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/scim-okta-??????',
        ],
      },
      {
        Sid: 'AssumeRevocationWriters',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [
          'arn:aws:iam::123456789012:role/fedgate-revocation-writer',
          'arn:aws:iam::210987654321:role/fedgate-revocation-writer',
        ],
      },
    ]);
    // The first statement is its log group's.
    expect(statements('scim')[0]).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    });
  });

  it('gives no other function a directory write, a SCIM token or the writer roles', () => {
    for (const fn of FUNCTIONS.filter((f) => f !== 'scim')) {
      const sids = statements(fn).map((s) => s.Sid);
      for (const sid of [
        'PutAttributeItems',
        'UpdateAttributeItems',
        'DeleteAttributeItems',
        'BatchWriteAttributeItems',
        'ReadScimTokens',
        'ReadScimTokenParameters',
        'AssumeRevocationWriters',
      ]) {
        expect(sids, fn).not.toContain(sid);
      }
    }
  });
});
