import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseStageConfig } from '../../../infra/cdk/stage-config.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { synthStage } from './example-app.js';

/**
 * The scim function's role in the current CDK (until infra/manifest.ts declares it): writes on
 * the attribute table's `DIR#…` partitions only, the SCIM tokens it checks (exactly the
 * referenced secrets, none of the OIDC client secrets), and the revocation writer roles of the
 * IdPs' kill switch accounts; every other function keeps its read-only view of the table.
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

  it('writes DIR#… items only, and reads exactly its SCIM token', () => {
    const scim = statements('scim');
    expect(scim.find((s) => s.Sid === 'WriteDirectoryItems')).toMatchObject({
      Action: [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DIR#*'] } },
    });
    expect(scim.find((s) => s.Sid === 'ReadScimTokens')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/scim-okta',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fedgate/scim-okta-??????',
      ],
    });
    expect(scim.some((s) => s.Sid === 'ReadOidcClientSecrets')).toBe(false);
    expect(scim.find((s) => s.Sid === 'AssumeRevocationWriters')).toMatchObject({
      Action: 'sts:AssumeRole',
      Resource: [
        'arn:aws:iam::123456789012:role/fedgate-revocation-writer',
        'arn:aws:iam::210987654321:role/fedgate-revocation-writer',
      ],
    });
  });

  it('gives no other function a directory write, a SCIM token or the writer roles', () => {
    for (const fn of ['home', 'saml-acs', 'oidc-callback', 'portal', 'credentials', 'cli']) {
      const sids = statements(fn).map((s) => s.Sid);
      expect(sids, fn).not.toContain('WriteDirectoryItems');
      expect(sids, fn).not.toContain('ReadScimTokens');
      expect(sids, fn).not.toContain('AssumeRevocationWriters');
    }
  });
});
