import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_ADMIN_ACTIONS } from '../../../infra/cdk/data-stack.js';
import { addFedgateStage } from '../../../infra/cdk/fedgate-app.js';
import { functionRoleName } from '../../../infra/cdk/gateway-stack.js';
import { awsSigningKeyClientRefs } from '../../../infra/cdk/oidc-secrets.js';
import { STAGES } from '../../../infra/cdk/stages.js';
import { FUNCTIONS, MANIFEST } from '../../../infra/manifest.js';
import { ConfigError, parseGatewayConfig } from '../../../shared/config/index.js';
import { synthStage } from './example-app.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;

/**
 * The KMS signing keys' policy (SECURITY.md §5: the function role may only kms:Sign /
 * kms:GetPublicKey on it): exactly the signing functions' roles may sign, the account's
 * administrators may manage the key but not sign with it.
 */

const stage = { ...STAGES.example!, signingKeys: { keys: ['k1', 'k2'], activeKey: 'k2' } };
const CRYPTO =
  /^kms:(Sign|Verify|GetPublicKey|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant|\*)/;

/** `Fn::Join` of the partition and a literal rest, resolved for the aws partition. */
const resolveArn = (v: Json): string =>
  typeof v === 'string'
    ? v
    : (v['Fn::Join'][1] as Json[]).map((p) => (typeof p === 'string' ? p : 'aws')).join('');

describe('signing key policy (data stack)', () => {
  let keys: Json[];
  let gatewayRoles: Json[];
  let dataTemplate: Json;
  beforeAll(async () => {
    const app = await synthStage(stage, { nag: false });
    dataTemplate = Template.fromStack(app.data).toJSON();
    keys = Object.values(dataTemplate.Resources).filter((r: Json) => r.Type === 'AWS::KMS::Key');
    gatewayRoles = Object.values(Template.fromStack(app.gateway).toJSON().Resources).filter(
      (r: Json) => r.Type === 'AWS::IAM::Role',
    );
  });

  // The functions that declare kms.fedgateKeys in infra/manifest.ts: they mint for STS, or (the
  // published keys) self-sign each key's certificate.
  const signers = ['saml-acs', 'oidc-callback', 'portal', 'published-keys', 'credentials', 'cli'];
  const signerRoleArns = signers.map(
    (fn) => `arn:aws:iam::123456789012:role/${functionRoleName(stage.name, fn)}`,
  );

  it('gives each key (both, while rotating) an explicit policy, not the account-decides default', () => {
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const statements = key.Properties.KeyPolicy.Statement as Json[];
      expect(statements.map((s) => s.Sid)).toEqual([
        'KeyAdministrationWithoutCryptography',
        'SignByFedgateFunctionsOnly',
      ]);
      expect(JSON.stringify(statements)).not.toContain('"kms:*"');
    }
  });

  it('lets the account administer the key (never unmanageable), with no cryptographic action', () => {
    for (const key of keys) {
      const [admin] = key.Properties.KeyPolicy.Statement as Json[];
      expect(resolveArn(admin.Principal.AWS)).toBe('arn:aws:iam::123456789012:root');
      expect(admin.Condition).toBeUndefined();
      expect(admin.Action).toEqual([...KEY_ADMIN_ACTIONS]);
      for (const action of admin.Action) expect(action).not.toMatch(CRYPTO);
      // What the rotation runbook and CloudFormation need.
      for (const needed of [
        'kms:PutKeyPolicy',
        'kms:DescribeKey',
        'kms:DisableKey',
        'kms:ScheduleKeyDeletion',
        'kms:CreateAlias',
        'kms:TagResource',
      ]) {
        expect(admin.Action).toContain(needed);
      }
    }
  });

  it('lets exactly the roles of the functions that declare kms.fedgateKeys sign and read the key', () => {
    expect(FUNCTIONS.filter((fn) => MANIFEST[fn].kms.fedgateKeys).sort()).toEqual(
      [...signers].sort(),
    );
    for (const key of keys) {
      const [, sign] = key.Properties.KeyPolicy.Statement as Json[];
      expect(sign.Effect).toBe('Allow');
      expect(sign.Action).toEqual(['kms:Sign', 'kms:GetPublicKey']);
      expect(resolveArn(sign.Principal.AWS)).toBe('arn:aws:iam::123456789012:root');
      expect(Object.keys(sign.Condition)).toEqual(['ArnEquals']);
      const named = (sign.Condition.ArnEquals['aws:PrincipalArn'] as Json[]).map(resolveArn);
      expect(named.sort()).toEqual([...signerRoleArns].sort());
    }
  });

  it('names roles that the gateway stack creates with those names, and gives them the IAM grant too', () => {
    for (const fn of FUNCTIONS) {
      const roles = gatewayRoles.filter(
        (r) => r.Properties.RoleName === functionRoleName(stage.name, fn),
      );
      expect(roles, fn).toHaveLength(1);
    }
    // No role outside the signers is named, and every named role exists.
    const named = new Set(signerRoleArns.map((arn) => arn.split('/').at(-1)));
    for (const name of named) {
      expect(
        gatewayRoles.some((r) => r.Properties.RoleName === name),
        name,
      ).toBe(true);
    }
  });

  it('needs nothing from the gateway stack (no cross-stack cycle)', () => {
    expect(JSON.stringify(dataTemplate)).not.toContain('Fn::ImportValue');
  });
});

describe("a private_key_jwt client key is never the stage's AWS signing key (synth)", () => {
  const withClientKey = (keyRef: string) =>
    parseGatewayConfig({
      version: 1,
      idps: [
        {
          id: 'corp',
          displayName: 'Corp',
          protocol: 'oidc',
          oidc: {
            issuer: 'https://idp.example.com',
            clientId: 'fedgate',
            clientAuth: { method: 'private_key_jwt', keyRef },
          },
        },
      ],
    } as never);

  it.each([
    'kms:alias/fedgate/example/k1',
    'kms:alias/fedgate/example/k2',
    'kms:alias/fedgate/example/anything',
    'kms:arn:aws:kms:eu-west-1:123456789012:alias/fedgate/example/k1',
  ])('refuses %s, naming the path', (keyRef) => {
    expect(awsSigningKeyClientRefs(withClientKey(keyRef), stage)).toEqual([
      { path: 'idps[0].oidc.clientAuth.keyRef', message: expect.stringMatching(/AWS signing key/) },
    ]);
    expect(() => addFedgateStage(new App(), stage, withClientKey(keyRef), { nag: false })).toThrow(
      ConfigError,
    );
  });

  it.each([
    'kms:alias/fedgate/corp-client',
    'kms:alias/fedgate/other-stage/k1',
    'kms:arn:aws:kms:eu-west-1:123456789012:key/0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18',
    'file:/keys/corp.pem',
  ])('takes %s (a key id is compared by public key at run time)', (keyRef) => {
    expect(awsSigningKeyClientRefs(withClientKey(keyRef), stage)).toEqual([]);
  });
});
