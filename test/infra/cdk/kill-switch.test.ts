import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  INITIAL_REVOCATION_POLICY,
  REVOCATION_POLICY_NAME,
  REVOCATION_WRITER_ROLE_NAME,
} from '../../../infra/admin/kill-switch.js';
import { parseStageConfig } from '../../../infra/cdk/stage-config.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { FedgateRole, FedgateTrust } from '../../../infra/cdk/target-account.js';
import { validateManagedPolicy } from '../../support/iam-policy-grammar.js';
import { synthStage } from './example-app.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

const stage = STAGES.example!;

/** The kill switch's IAM side in every target-account stack (infra/cdk/README.md). */
describe('session revocation: the target-account stacks', () => {
  let templates: Template[];
  beforeAll(async () => {
    const app = await synthStage(stage, { nag: false });
    templates = app.targets.map((t) => Template.fromStack(t));
  });

  const policyIdOf = (t: Template) => {
    const [id, ...more] = Object.keys(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(more).toEqual([]);
    return id as string;
  };

  it('creates fedgate-session-revocations with the initial document (no revocation), valid for IAM', () => {
    for (const t of templates) {
      const [policy] = Object.values(t.findResources('AWS::IAM::ManagedPolicy')) as Json[];
      expect(policy.Properties.ManagedPolicyName).toBe(REVOCATION_POLICY_NAME);
      expect(policy.Properties.PolicyDocument).toEqual(INITIAL_REVOCATION_POLICY);
      expect(validateManagedPolicy(policy.Properties.PolicyDocument)).toEqual([]);
      // Not attached as an identity policy anywhere: it is a boundary.
      expect(policy.Properties.Roles).toBeUndefined();
    }
  });

  it('makes it the permissions boundary of every role fedgate hands out (config, example)', () => {
    for (const t of templates) {
      const policyId = policyIdOf(t);
      const roles = Object.values(t.findResources('AWS::IAM::Role')) as Json[];
      const fedgateRoles = roles.filter(
        (r) => r.Properties.RoleName !== REVOCATION_WRITER_ROLE_NAME,
      );
      expect(fedgateRoles.length).toBeGreaterThan(0);
      for (const role of fedgateRoles) {
        expect(role.Properties.PermissionsBoundary, role.Properties.RoleName).toEqual({
          Ref: policyId,
        });
      }
    }
  });

  it('creates fedgate-revocation-writer: the named operators may assume it, it may only write that policy', () => {
    for (const t of templates) {
      const policyId = policyIdOf(t);
      const writers = Object.values(
        t.findResources('AWS::IAM::Role', {
          Properties: { RoleName: REVOCATION_WRITER_ROLE_NAME },
        }),
      ) as Json[];
      expect(writers).toHaveLength(1);
      const writer = writers[0].Properties;
      expect(writer.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Operators',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:role/fedgate-operators' },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
          },
        ],
      });
      expect(writer.MaxSessionDuration).toBe(3600);
      expect(writer.Policies).toEqual([
        {
          PolicyName: 'WriteSessionRevocations',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'WriteSessionRevocationsOnly',
                Effect: 'Allow',
                Action: [
                  'iam:CreatePolicyVersion',
                  'iam:DeletePolicyVersion',
                  'iam:GetPolicy',
                  'iam:GetPolicyVersion',
                  'iam:ListPolicyVersions',
                ],
                Resource: { Ref: policyId },
              },
            ],
          },
        },
      ]);
      expect(writer.ManagedPolicyArns).toBeUndefined();
      expect(writer.PermissionsBoundary).toBeUndefined();
      // No other policy grants the writer anything.
      t.resourcePropertiesCountIs(
        'AWS::IAM::Policy',
        { Roles: Match.arrayWith([{ Ref: Match.stringLikeRegexp('RevocationWriter') }]) },
        0,
      );
    }
  });

  it('without operators creates no writer role and warns at synth', () => {
    const stack = new Stack(new App(), 'T', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const trust = new FedgateTrust(stack, 'Fedgate', {
      issuerUrl: 'https://sso.example.com',
      webIdentityAudience: 'sts.amazonaws.com',
      samlProviderName: 'fedgate',
    });
    new FedgateRole(stack, 'R', { trust, roleName: 'dev', description: 'x' });
    const t = Template.fromStack(stack);
    t.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: REVOCATION_WRITER_ROLE_NAME }, 0);
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'dev',
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('SessionRevocations') },
    });
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('No fedgate-revocation-writer role'),
    );
  });

  it('the stage refuses an operator that is not an IAM role, user or account ARN', () => {
    const base = { ...stage, revocationWriters: [] };
    expect(() =>
      parseStageConfig({
        ...base,
        revocationWriters: ['arn:aws:sts::123456789012:assumed-role/x/y'],
      }),
    ).toThrow(/revocationWriters/);
    expect(() => parseStageConfig({ ...base, revocationWriters: ['*'] })).toThrow(
      /revocationWriters/,
    );
    expect(
      parseStageConfig({ ...base, revocationWriters: ['arn:aws:iam::123456789012:root'] })
        .revocationWriters,
    ).toEqual(['arn:aws:iam::123456789012:root']);
  });
});
