import {
  BatchWriteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreatePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  IAMServiceException,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../infra/admin/cli.js';
import { INITIAL_REVOCATION_POLICY } from '../../../infra/admin/kill-switch.js';
import type { CliIo } from '../../../infra/admin/target.js';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import { marshalAttributeItem } from '../../../shared/store/attribute-item.js';
import { toItems } from '../../../shared/store/index.js';
import { explicitlyDenies, validateManagedPolicy } from '../../support/iam-policy-grammar.js';

const dynamo = mockClient(DynamoDBClient);
const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);

const ENV = { AWS_REGION: 'eu-west-1', STATE_TABLE_NAME: 'fedgate-state' };

const runWith = async (env: Record<string, string>, ...argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
    cwd: process.cwd(),
    fetch,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
};
const run = (...argv: string[]) => runWith(ENV, ...argv);

beforeEach(() => {
  dynamo.reset();
  sts.reset();
  iam.reset();
  dynamo.on(ScanCommand).resolves({ Items: [] });
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(BatchWriteItemCommand).resolves({});
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAWRITER',
      SecretAccessKey: 'writer-secret',
      SessionToken: 'writer-token',
      Expiration: undefined as unknown as Date,
    },
  });
  iam.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: 'v1' } });
  iam.on(ListPolicyVersionsCommand).resolves({
    Versions: [{ VersionId: 'v1', IsDefaultVersion: true }],
  });
  iam.on(GetPolicyVersionCommand).resolves({
    PolicyVersion: {
      VersionId: 'v1',
      Document: encodeURIComponent(JSON.stringify(INITIAL_REVOCATION_POLICY)),
    },
  });
  iam.on(CreatePolicyVersionCommand).resolves({ PolicyVersion: { VersionId: 'v2' } });
});

describe('fedgate-admin sessions revoke --aws (the kill switch)', () => {
  it('marks the fedgate sessions, then denies the person’s SourceIdentity in every account', async () => {
    const res = await run(
      'sessions',
      'revoke',
      '--idp',
      'okta',
      '--subject',
      '00u1alice',
      '--aws',
      '--accounts',
      '111111111111,222222222222',
      '--json',
    );
    expect(res.code).toBe(0);
    // The fedgate mark first: REVOKED#SUB#okta#<ref>.
    const mark = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(mark?.Item?.pk?.S).toBe(`REVOKED#SUB#okta#${hashSubject('okta:00u1alice')}`);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      'arn:aws:iam::111111111111:role/fedgate-revocation-writer',
      'arn:aws:iam::222222222222:role/fedgate-revocation-writer',
    ]);
    const writes = iam.commandCalls(CreatePolicyVersionCommand).map((c) => c.args[0].input);
    expect(writes.map((w) => w.PolicyArn)).toEqual([
      'arn:aws:iam::111111111111:policy/fedgate-session-revocations',
      'arn:aws:iam::222222222222:policy/fedgate-session-revocations',
    ]);
    const document = JSON.parse(writes[0]?.PolicyDocument as string);
    expect(validateManagedPolicy(document)).toEqual([]);
    const issued = new Date(Date.now() - 60_000);
    const si = `okta.${hashSubject('okta:00u1alice')}`;
    expect(explicitlyDenies(document, { sourceIdentity: si, tokenIssueTime: issued })).toBe(true);
    expect(
      explicitlyDenies(document, {
        sourceIdentity: 'okta.ffffffffffffffff',
        tokenIssueTime: issued,
      }),
    ).toBe(false);
    // Credentials issued after the revocation are not denied.
    expect(
      explicitlyDenies(document, {
        sourceIdentity: si,
        tokenIssueTime: new Date(Date.now() + 5000),
      }),
    ).toBe(false);
  });

  it('says which accounts hold the deny and which do not, and exits 1', async () => {
    sts
      .on(AssumeRoleCommand, {
        RoleArn: 'arn:aws:iam::222222222222:role/fedgate-revocation-writer',
      })
      .rejects(
        new STSServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'not authorized',
        }),
      );
    const res = await run(
      'sessions',
      'revoke',
      '--idp',
      'okta',
      '--yes',
      '--aws',
      '--accounts',
      '111111111111,222222222222',
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('AWS 111111111111: denied in v2');
    expect(res.stdout).toMatch(/AWS 222222222222: NOT denied: kill_switch_access_denied/);
    // Nothing half-written in the failing account; the fedgate mark stays.
    expect(iam.commandCalls(CreatePolicyVersionCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
  });

  it('refuses --aws without accounts, and kill-switch options without --aws, before writing', async () => {
    for (const argv of [
      ['sessions', 'revoke', '--idp', 'okta', '--subject', 'x', '--aws'],
      ['sessions', 'revoke', '--idp', 'okta', '--subject', 'x', '--aws', '--accounts', '12'],
      ['sessions', 'revoke', '--idp', 'okta', '--subject', 'x', '--accounts', '111111111111'],
      [
        'sessions',
        'revoke',
        '--idp',
        'okta',
        '--yes',
        '--aws',
        '--accounts',
        '111111111111',
        '--source-identity',
        'okta.x',
      ],
    ]) {
      const res = await run(...argv);
      expect(res.code).toBe(2);
    }
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(iam.commandCalls(CreatePolicyVersionCommand)).toHaveLength(0);
  });

  it('refuses a person whose IdP templates the SourceIdentity unless its values are given, before writing', async () => {
    // okta's admins rule hands out sessions whose SourceIdentity is okta.<email>, which
    // okta.<subject ref> does not name: denying that alone would leave them live.
    const config = parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'okta',
          displayName: 'Okta',
          protocol: 'oidc',
          oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
          rules: [
            {
              id: 'admins',
              priority: 10,
              effect: 'allow',
              when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
              grant: {
                roleArn: 'arn:aws:iam::111111111111:role/admin',
                sourceIdentity: '{claims.email}',
              },
            },
          ],
        },
      ],
    });
    dynamo.on(QueryCommand).resolves({
      Items: toItems(config)
        .filter((item) => item.pk === 'IDP#okta')
        .map(marshalAttributeItem),
    });
    const env = { ...ENV, ATTRIBUTE_TABLE_NAME: 'fedgate-attributes' };
    const argv = [
      'sessions',
      'revoke',
      '--idp',
      'okta',
      '--subject',
      '00u1alice',
      '--aws',
      '--accounts',
      '111111111111',
    ];
    const refused = await runWith(env, ...argv, '--json');
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toContain('source_identity_templated');
    expect(`${refused.stdout}${refused.stderr}`).toContain('admins');
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);

    // With the person's value given, both are denied.
    const given = await runWith(env, ...argv, '--source-identity', 'okta.alice@example.com');
    expect(given.code).toBe(0);
    expect(given.stdout).not.toContain('not checked');
    const document = JSON.parse(
      iam.commandCalls(CreatePolicyVersionCommand)[0]?.args[0].input.PolicyDocument as string,
    );
    const issued = new Date(Date.now() - 60_000);
    for (const sourceIdentity of [
      'okta.alice@example.com',
      `okta.${hashSubject('okta:00u1alice')}`,
    ]) {
      expect(explicitlyDenies(document, { sourceIdentity, tokenIssueTime: issued })).toBe(true);
    }
  });

  it('says when it could not check the rules for SourceIdentity templates (no attribute table named)', async () => {
    const res = await run(
      'sessions',
      'revoke',
      '--idp',
      'okta',
      '--subject',
      '00u1alice',
      '--aws',
      '--accounts',
      '111111111111',
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("SourceIdentity templates of okta's rules not checked");
  });

  it('an IAM throttle in one account is reported, not retried into a partial write', async () => {
    iam.on(CreatePolicyVersionCommand).rejects(
      new IAMServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const res = await run(
      'sessions',
      'revoke',
      '--all',
      '--yes',
      '--aws',
      '--accounts',
      '111111111111',
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/NOT denied: kill_switch_throttled/);
  });
});
