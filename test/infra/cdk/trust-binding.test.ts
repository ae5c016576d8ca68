import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES } from '../../../infra/cdk/stages.js';
import {
  checkFedgateRoleName,
  FedgateRole,
  FedgateTrust,
  type TargetAccountStack,
} from '../../../infra/cdk/target-account.js';
import { parseTrustPolicy } from '../../../infra/local/aws/index.js';
import { buildRoleBoundSubject } from '../../../shared/issuer/index.js';
import { synthStage } from './example-app.js';

/**
 * The target-account stacks' trust policies, resolved and evaluated the way IAM evaluates them
 * (the local STS stand-in's evaluator): each role admits web identity tokens minted for itself
 * and refuses tokens minted for any other role (SECURITY.md §8).
 */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

const ISSUER_HOST = 'sso.example.com';
const AUDIENCE = 'sts.amazonaws.com';

/** Resolves the intrinsics a trust policy holds: partition, provider Refs, Fn::Join. */
const resolver = (account: string, resources: Record<string, Json>) => {
  const resolve = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    if ('Ref' in v) {
      if (v.Ref === 'AWS::Partition') return 'aws';
      const type = resources[v.Ref]?.Type;
      if (type === 'AWS::IAM::OIDCProvider') {
        return `arn:aws:iam::${account}:oidc-provider/${ISSUER_HOST}`;
      }
      if (type === 'AWS::IAM::SAMLProvider') return `arn:aws:iam::${account}:saml-provider/fedgate`;
      throw new Error(`unresolved Ref ${v.Ref}`);
    }
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'];
      return (resolve(parts) as string[]).join(sep);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
};

interface SynthRole {
  account: string;
  arn: string;
  trust: ReturnType<typeof parseTrustPolicy>;
  document: Json;
}

const rolesOf = (stack: TargetAccountStack): SynthRole[] => {
  const template = Template.fromStack(stack).toJSON();
  const resolve = resolver(stack.account, template.Resources);
  return Object.values(template.Resources as Record<string, Json>)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .filter((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('Fedgate'))
    .map((r) => {
      const document = resolve(r.Properties.AssumeRolePolicyDocument);
      return {
        account: stack.account,
        arn: `arn:aws:iam::${stack.account}:role${r.Properties.Path ?? '/'}${r.Properties.RoleName}`,
        trust: parseTrustPolicy(document),
        document,
      };
    });
};

const webIdentity = (role: SynthRole, mintedFor: string, aud = AUDIENCE) =>
  role.trust.evaluate({
    action: 'sts:AssumeRoleWithWebIdentity',
    federatedPrincipal: `arn:aws:iam::${role.account}:oidc-provider/${ISSUER_HOST}`,
    context: {
      [`${ISSUER_HOST}:sub`]: buildRoleBoundSubject(mintedFor, '6734296af948bdeb'),
      [`${ISSUER_HOST}:aud`]: aud,
    },
  });

describe('target-account trust policies bind web identity tokens to their role', () => {
  let roles: SynthRole[];
  beforeAll(async () => {
    const app = await synthStage(STAGES.example!, { nag: false });
    roles = app.targets.flatMap(rolesOf);
  });

  it('the example stage has fedgate roles in two accounts, one under a path', () => {
    expect(roles.map((r) => r.arn).sort()).toEqual([
      'arn:aws:iam::123456789012:role/fedgate-department-data',
      'arn:aws:iam::210987654321:role/fedgate-department-data',
      'arn:aws:iam::210987654321:role/fedgate/readonly',
    ]);
  });

  it('each role admits a token minted for itself, and a token for no other role', () => {
    for (const role of roles) {
      expect(webIdentity(role, role.arn), role.arn).toBe('allow');
      for (const other of roles.filter((r) => r.arn !== role.arn)) {
        expect(webIdentity(role, other.arn), `${other.arn} → ${role.arn}`).toBe('implicit-deny');
      }
      // A role of the same name in another account, or under another path.
      const name = role.arn.split('/').at(-1) as string;
      expect(webIdentity(role, `arn:aws:iam::999999999999:role/${name}`)).toBe('implicit-deny');
      expect(webIdentity(role, `arn:aws:iam::${role.account}:role/x/${name}`)).toBe(
        'implicit-deny',
      );
    }
  });

  it('each role refuses another audience, and the bare person reference as sub', () => {
    for (const role of roles) {
      expect(webIdentity(role, role.arn, 'another-client')).toBe('implicit-deny');
      expect(
        role.trust.evaluate({
          action: 'sts:AssumeRoleWithWebIdentity',
          federatedPrincipal: `arn:aws:iam::${role.account}:oidc-provider/${ISSUER_HOST}`,
          context: { [`${ISSUER_HOST}:sub`]: '6734296af948bdeb', [`${ISSUER_HOST}:aud`]: AUDIENCE },
        }),
      ).toBe('implicit-deny');
    }
  });

  it('SAML is pinned to the sign-in audience (the assertion itself names the one role)', () => {
    const withSaml = roles.find((r) => r.account === '123456789012') as SynthRole;
    const saml = (aud: string) =>
      withSaml.trust.evaluate({
        action: 'sts:AssumeRoleWithSAML',
        federatedPrincipal: 'arn:aws:iam::123456789012:saml-provider/fedgate',
        context: { 'SAML:aud': aud },
      });
    expect(saml('https://signin.aws.amazon.com/saml')).toBe('allow');
    expect(saml('https://eu-west-1.signin.aws.amazon.com/saml')).toBe('implicit-deny');
  });
});

describe('FedgateRole refuses a role fedgate could not bind tokens to', () => {
  const build = (roleName: string, path?: string) => {
    const stack = new Stack(new App(), 'T', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const trust = new FedgateTrust(stack, 'Fedgate', {
      issuerUrl: 'https://sso.example.com',
      webIdentityAudience: AUDIENCE,
      samlProviderName: 'fedgate',
    });
    return () =>
      new FedgateRole(stack, 'R', {
        trust,
        roleName,
        ...(path !== undefined ? { path } : {}),
        description: 'x',
      });
  };

  it.each([
    ['a path holding "#" (the sub separator)', 'Admin', '/dev#/'],
    ['a path holding "*" (a StringLike wildcard)', 'Admin', '/*/'],
    ['a path holding "?" (a StringLike wildcard)', 'Admin', '/a?/'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
    ['a path holding "$" (a policy variable)', 'Admin', '/${aws:username}/'],
    ['a name holding ","', 'Dev,Admin', '/'],
    ['a path that is not /…/', 'Admin', 'team'],
    ['a sub over 255 characters', 'Admin', `/${'p'.repeat(200)}/`],
  ])('%s', (_, name, path) => {
    expect(checkFedgateRoleName({ roleName: name, path })).toBeTypeOf('string');
    expect(build(name, path)).toThrow(/fedgate role/);
  });

  it('takes a path with other punctuation IAM allows', () => {
    expect(checkFedgateRoleName({ roleName: 'Admin', path: '/team-a/x.y_z/' })).toBeUndefined();
    expect(build('Admin', '/team-a/x.y_z/')).not.toThrow();
  });
});
