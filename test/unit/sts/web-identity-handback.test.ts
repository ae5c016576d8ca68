import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../shared/clock.js';
import { EnvSchema } from '../../../shared/config/index.js';
import { createAwsAccessFor, servesNoSamlSessions } from '../../../shared/gateway/index.js';
import {
  buildJwks,
  createLocalSigningKeys,
  type SigningKeys,
} from '../../../shared/issuer/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { fakeClock } from '../../support/clock.js';
import { captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

const sts = mockClient(STSClient);
beforeEach(() => sts.reset());

const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111111111111:role/dev',
  accountId: '111111111111',
  label: 'Developer',
  durationSeconds: 28_800,
  sessionName: 'paul@example.com',
  sourceIdentity: 'paul@example.com',
  tags: [{ key: 'department', value: 'Data' }],
  transitiveTagKeys: ['department'],
};

const setup = async (env: Record<string, string> = {}, clock?: Clock) => {
  const [active] = await testKeyMaterials();
  const signingKeys: SigningKeys = createLocalSigningKeys({ keys: [active] });
  const config = EnvSchema.parse({
    ATTRIBUTE_TABLE_NAME: 'attrs',
    STATE_TABLE_NAME: 'state',
    PUBLIC_BASE_URL: 'https://sso.example.com/',
    AWS_REGION: 'eu-west-1',
    SIGNING_KEY_REF: 'file:/unused',
    ...env,
  });
  const handback = createAwsAccessFor({
    saml: servesNoSamlSessions,
    config,
    sts: new STSClient({ region: 'eu-west-1' }),
    fetch: async () => Response.json({ SigninToken: 'signin-token' }),
    signingKeys,
    log: captureLogger(),
    ...(clock ? { clock } : {}),
  });
  sts.on(AssumeRoleWithWebIdentityCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 3_600_000),
    },
    AssumedRoleUser: {
      Arn: 'arn:aws:sts::111111111111:assumed-role/dev/paul@example.com',
      AssumedRoleId: 'AROA:x',
    },
  });
  const res = await handback
    .console(
      grant,
      { idp: 'demo-oidc', protocol: 'oidc', subjectRef: '6734296af948bdeb' },
      {
        destination: new URL('https://console.aws.amazon.com/'),
        sessionEndsAt: Math.floor(Date.now() / 1000) + 43_200,
      },
    )
    .then((url) => ({ statusCode: 302, headers: { location: url.href } }));
  const input = sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0]?.args[0].input;
  const jwks = createLocalJWKSet(buildJwks(await signingKeys.published()) as never);
  return { res, input, jwks, kid: (await signingKeys.active()).kid };
};

describe('the oidc hand-back (shared/gateway): fedgate token → AssumeRoleWithWebIdentity', () => {
  it("mints fedgate's token for the grant and calls STS with the session name and the duration", async () => {
    const { res, input, jwks, kid } = await setup();
    expect(res.statusCode).toBe(302);
    expect(input).toMatchObject({
      RoleArn: grant.roleArn,
      RoleSessionName: 'paul@example.com',
      DurationSeconds: 28_800,
    });
    // Verified independently of fedgate's minter: jose against the published JWKS.
    const { payload, protectedHeader } = await jwtVerify(String(input?.WebIdentityToken), jwks, {
      issuer: 'https://sso.example.com',
      audience: 'sts.amazonaws.com',
      algorithms: ['RS256'],
    });
    expect(protectedHeader.kid).toBe(kid);
    expect(payload).toMatchObject({
      sub: `${grant.roleArn}#6734296af948bdeb`,
      'https://aws.amazon.com/source_identity': 'paul@example.com',
      'https://aws.amazon.com/tags': {
        principal_tags: { department: ['Data'] },
        transitive_tag_keys: ['department'],
      },
    });
  });

  it('WEB_IDENTITY_AUDIENCE sets the aud (the IAM OIDC provider client id)', async () => {
    const { input, jwks } = await setup({ WEB_IDENTITY_AUDIENCE: 'fedgate-aws' });
    const { payload } = await jwtVerify(String(input?.WebIdentityToken), jwks, {
      audience: 'fedgate-aws',
    });
    expect(payload.aud).toBe('fedgate-aws');
  });

  it('a function that serves no SAML sessions names it, and refuses one that arrives (server_error, no STS call)', async () => {
    const [active] = await testKeyMaterials();
    const deps = {
      config: EnvSchema.parse({
        ATTRIBUTE_TABLE_NAME: 'attrs',
        STATE_TABLE_NAME: 'state',
        PUBLIC_BASE_URL: 'https://sso.example.com/',
        AWS_REGION: 'eu-west-1',
        SIGNING_KEY_REF: 'file:/unused',
      }),
      sts: new STSClient({ region: 'eu-west-1' }),
      fetch: async () => Response.json({ SigninToken: 'signin-token' }),
      signingKeys: createLocalSigningKeys({ keys: [active] }),
      log: captureLogger(),
    };
    // No optional SAML dependency that throws when left out: leaving it out does not compile.
    // @ts-expect-error: saml is required (createSamlAssumption, or servesNoSamlSessions)
    createAwsAccessFor(deps);
    const access = createAwsAccessFor({ ...deps, saml: servesNoSamlSessions });
    await expect(
      access.credentials(
        grant,
        { idp: 'okta', protocol: 'saml', subjectRef: '6734296af948bdeb' },
        { sessionEndsAt: Math.floor(Date.now() / 1000) + 3600, target: 'keys' },
      ),
    ).rejects.toMatchObject({ code: 'server_error', expose: false });
    expect(sts.calls()).toHaveLength(0);
  });

  it("the token's iat is the injected clock's (shared/clock.ts), not the machine's", async () => {
    const at = Date.now() - 120_000;
    const { input } = await setup({}, fakeClock(at));
    const payload = JSON.parse(
      Buffer.from(String(input?.WebIdentityToken).split('.')[1] as string, 'base64url').toString(),
    );
    expect(payload.iat).toBe(Math.floor(at / 1000));
  });

  it('an audience IAM could not register is refused at config load', () => {
    expect(() =>
      EnvSchema.parse({
        ATTRIBUTE_TABLE_NAME: 'attrs',
        STATE_TABLE_NAME: 'state',
        PUBLIC_BASE_URL: 'https://sso.example.com',
        AWS_REGION: 'eu-west-1',
        SIGNING_KEY_REF: 'file:/x',
        WEB_IDENTITY_AUDIENCE: 'has space',
      }),
    ).toThrow();
  });
});
