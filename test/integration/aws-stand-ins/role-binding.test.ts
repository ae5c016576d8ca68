import {
  AssumeRoleWithSAMLCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsStandIns,
  awsStandIns,
  defaultTrustPolicy,
  type IssuedSessionSummary,
  STS_SESSIONS_PATH,
  type TrustPolicyDocument,
} from '../../../infra/local/aws/index.js';
import { DEMO_ROLE_ARNS, demoRoles } from '../../../infra/local/demo/demo-roles.js';
import {
  buildJwks,
  buildOpenIdConfiguration,
  createLocalSigningKeys,
  createWebIdentityMinter,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';
import { buildAwsSamlResponse, buildIdpMetadata, type Harness, startHarness } from './support.js';

/**
 * What fedgate mints is bound to one role (SECURITY.md §8): a web identity token minted for one
 * grant must not assume any other role that trusts fedgate's IAM OIDC provider. Shown at the local
 * STS stand-in, which evaluates each role's trust policy as IAM does.
 */

const SANDBOX_DEVELOPER = DEMO_ROLE_ARNS.sandboxDeveloper;
const PRODUCTION_ADMIN = DEMO_ROLE_ARNS.productionAdmin;
const SANDBOX_ADMIN = 'arn:aws:iam::111111111111:role/fedgate-demo-admin';
/** Two roles named alike: one under a path, one at the root. */
const TEAM_DEV = 'arn:aws:iam::111111111111:role/team/dev';
const ROOT_DEV = 'arn:aws:iam::111111111111:role/dev';
/** A role whose trust policy is fedgate's old one: only `aud` checked. */
const AUD_ONLY = 'arn:aws:iam::111111111111:role/aud-only';
/** A role that accepts SAML only through the eu-west-1 sign-in endpoint. */
const REGIONAL_SAML = 'arn:aws:iam::111111111111:role/regional-saml';
const SAML_PROVIDER = 'arn:aws:iam::111111111111:saml-provider/fedgate';
const PERSON = '6734296af948bdeb';

const grantFor = (roleArn: string): Grant => ({
  id: 'g1',
  ruleId: 'r1',
  roleArn,
  accountId: roleArn.split(':')[4] as string,
  label: 'Developer',
  durationSeconds: 3600,
  sessionName: 'olivia@example.com',
  sourceIdentity: `demo-oidc.${PERSON}`,
  tags: [{ key: 'department', value: 'Engineering' }],
  transitiveTagKeys: [],
});

let harness: Harness;
let standIns: AwsStandIns;
let signingKeys: SigningKeys;
let sts: STSClient;
let samlKey: TestKeyPair;

beforeAll(async () => {
  signingKeys = createLocalSigningKeys({ keys: await testKeyMaterials() });
  samlKey = await createTestKeyPair('fedgate test IdP');
  standIns = awsStandIns({
    // The runner's demo roles, and a few more with the default or a hand-written trust policy.
    roles: (providers) => {
      const host = providers.oidcProviderHost;
      const audOnly: TrustPolicyDocument = {
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::111111111111:oidc-provider/${host}` },
          Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' } },
        },
      };
      const regional = defaultTrustPolicy({ roleArn: REGIONAL_SAML, ...providers, audiences: [] });
      const [saml] = regional.Statement as [TrustPolicyDocument['Statement'] & object];
      return {
        ...demoRoles(providers),
        [SANDBOX_ADMIN]: {},
        [TEAM_DEV]: {},
        [ROOT_DEV]: {},
        [AUD_ONLY]: { trustPolicy: audOnly },
        [REGIONAL_SAML]: {
          trustPolicy: {
            Version: '2012-10-17',
            Statement: {
              ...saml,
              Condition: {
                StringEquals: { 'SAML:aud': 'https://eu-west-1.signin.aws.amazon.com/saml' },
              },
            },
          },
        },
      };
    },
  });
  harness = await startHarness(standIns.plugins, {
    '/.well-known/openid-configuration': (base) =>
      buildOpenIdConfiguration({
        issuer: base.origin,
        jwksUri: `${base.origin}/.well-known/jwks.json`,
      }),
    '/.well-known/jwks.json': async () => buildJwks(await signingKeys.published()),
  });
  harness.setMetadata(
    buildIdpMetadata(`${harness.baseUrl.origin}/aws/saml-metadata.xml`, [samlKey.certificatePem]),
  );
  sts = new STSClient({
    region: 'us-east-1',
    endpoint: new URL('/_local/sts/', harness.baseUrl).href,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sts?.destroy();
  await harness?.close();
});

/** fedgate's token for a grant of `mintedFor`, as the web identity hand-back mints it. */
const tokenFor = async (mintedFor: string) =>
  (
    await createWebIdentityMinter({
      signingKeys,
      issuer: harness.baseUrl.origin,
      audience: 'sts.amazonaws.com',
    }).mint({ grant: grantFor(mintedFor), subject: PERSON, now: Date.now() })
  ).token;

const assume = async (token: string, roleArn: string) => {
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: 'olivia',
        WebIdentityToken: token,
        DurationSeconds: 3600,
      }),
    );
    return { ok: true, subject: out.SubjectFromWebIdentityToken, arn: out.AssumedRoleUser?.Arn };
  } catch (err) {
    const e = err as Error;
    return { ok: false, name: e.name, message: e.message };
  }
};

const samlAssume = async (roleArn: string, recipient: string) => {
  try {
    await sts.send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: roleArn,
        PrincipalArn: SAML_PROVIDER,
        SAMLAssertion: buildAwsSamlResponse(samlKey, {
          issuer: `${harness.baseUrl.origin}/aws/saml-metadata.xml`,
          roles: [`${roleArn},${SAML_PROVIDER}`],
          recipient,
        }),
      }),
    );
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
};

describe('a web identity token assumes only the role it was minted for', () => {
  it('a token minted for the sandbox developer cannot assume the production admin role', async () => {
    expect(await assume(await tokenFor(SANDBOX_DEVELOPER), PRODUCTION_ADMIN)).toEqual({
      ok: false,
      name: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    });
  });

  it('nor another role of the same account', async () => {
    expect(await assume(await tokenFor(SANDBOX_DEVELOPER), SANDBOX_ADMIN)).toMatchObject({
      ok: false,
      name: 'AccessDenied',
    });
  });

  it('assumes the role it was minted for; STS reports the role-bound subject', async () => {
    expect(await assume(await tokenFor(SANDBOX_DEVELOPER), SANDBOX_DEVELOPER)).toEqual({
      ok: true,
      subject: `${SANDBOX_DEVELOPER}#${PERSON}`,
      arn: 'arn:aws:sts::111111111111:assumed-role/fedgate-demo-developer/olivia',
    });
  });

  it("a role under a path and a root role of the same name do not accept each other's tokens", async () => {
    expect(await assume(await tokenFor(TEAM_DEV), ROOT_DEV)).toMatchObject({
      name: 'AccessDenied',
    });
    expect(await assume(await tokenFor(ROOT_DEV), TEAM_DEV)).toMatchObject({
      name: 'AccessDenied',
    });
    expect(await assume(await tokenFor(TEAM_DEV), TEAM_DEV)).toMatchObject({
      ok: true,
      subject: `${TEAM_DEV}#${PERSON}`,
    });
  });

  it("the binding is the trust policy's: a role trusting aud alone still admits any token", async () => {
    // fedgate's trust policy before the sub condition: what made the bug possible in AWS.
    expect(await assume(await tokenFor(SANDBOX_DEVELOPER), AUD_ONLY)).toMatchObject({ ok: true });
  });
});

describe('the STS stand-in records every session it issues', () => {
  it('with its SourceIdentity, over HTTP and without secrets', async () => {
    const before = standIns.sessions().length;
    expect(await assume(await tokenFor(SANDBOX_DEVELOPER), SANDBOX_DEVELOPER)).toMatchObject({
      ok: true,
    });
    const issued = standIns.sessions().slice(before);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({
      action: 'AssumeRoleWithWebIdentity',
      roleArn: SANDBOX_DEVELOPER,
      sourceIdentity: `demo-oidc.${PERSON}`,
      subject: `${SANDBOX_DEVELOPER}#${PERSON}`,
    });

    const res = await fetch(new URL(STS_SESSIONS_PATH, harness.baseUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const listed = (await res.json()) as IssuedSessionSummary[];
    const last = listed.at(-1) as IssuedSessionSummary & Record<string, unknown>;
    expect(last).toMatchObject({
      accessKeyId: issued[0]?.accessKeyId,
      sourceIdentity: `demo-oidc.${PERSON}`,
      roleArn: SANDBOX_DEVELOPER,
    });
    expect(last.secretAccessKey).toBeUndefined();
    expect(last.sessionToken).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(issued[0]?.sessionToken as string);
    expect(
      (await fetch(new URL(STS_SESSIONS_PATH, harness.baseUrl), { method: 'DELETE' })).status,
    ).toBe(405);
  });

  it('also for SAML sessions', async () => {
    const before = standIns.sessions().length;
    expect(await samlAssume(SANDBOX_DEVELOPER, 'https://signin.aws.amazon.com/saml')).toBe('ok');
    expect(standIns.sessions().slice(before)).toMatchObject([
      { action: 'AssumeRoleWithSAML', roleArn: SANDBOX_DEVELOPER },
    ]);
  });
});

describe('SAML: the trust policy is evaluated too', () => {
  it('SAML:aud is the Recipient: a role pinned to a regional endpoint refuses the global one', async () => {
    expect(await samlAssume(REGIONAL_SAML, 'https://signin.aws.amazon.com/saml')).toBe(
      'AccessDenied: Not authorized to perform sts:AssumeRoleWithSAML',
    );
    expect(await samlAssume(REGIONAL_SAML, 'https://eu-west-1.signin.aws.amazon.com/saml')).toBe(
      'ok',
    );
  });

  it('a role the account does not have is refused', async () => {
    expect(
      await samlAssume(
        'arn:aws:iam::111111111111:role/not-there',
        'https://signin.aws.amazon.com/saml',
      ),
    ).toMatch(/^AccessDenied/);
  });
});

describe('trust policies the stand-in cannot model stop it at start', () => {
  it('a NotAction statement is refused, not ignored', async () => {
    const broken = awsStandIns({
      roles: {
        [ROOT_DEV]: {
          trustPolicy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: '*', NotAction: 'sts:TagSession' }],
          }),
        },
      },
    });
    const sts = broken.plugins.find((p) => p.name === 'AWS STS stand-in');
    await expect(sts?.prepare?.(harness.ctx)).rejects.toThrow(/dev: trust policy: .*NotAction/);
  });
});
