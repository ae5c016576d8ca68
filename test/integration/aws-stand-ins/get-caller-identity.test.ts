import {
  AssumeRoleWithSAMLCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandIns, awsStandIns } from '../../../infra/local/aws/index.js';
import { createTestKeyPair } from '../../kit/keys.js';
import {
  ACCOUNT,
  buildAwsSamlResponse,
  buildIdpMetadata,
  type Harness,
  PROVIDER_ARN,
  ROLE_ARN,
  startHarness,
} from './support.js';

/**
 * GetCallerIdentity on the STS stand-in: the signed call a client makes with credentials it
 * resolved from anywhere (the fedgate CLI's credential_process: test/integration/cli/cli.test.ts),
 * checked with SigV4 against the sessions the stand-in issued. Signed by the real STSClient.
 */
let standIns: AwsStandIns;
let harness: Harness;
let endpoint: string;
let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

const client = (creds = credentials, opts: { systemClockOffset?: number } = {}) =>
  new STSClient({ region: 'us-east-1', endpoint, maxAttempts: 1, credentials: creds, ...opts });

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return [e.name, e.$metadata?.httpStatusCode];
  }
  throw new Error('expected STS to refuse');
};

beforeAll(async () => {
  standIns = awsStandIns({ roles: { [ROLE_ARN]: {} } });
  harness = await startHarness(standIns.plugins);
  const key = await createTestKeyPair('fedgate test IdP');
  const issuer = `${harness.baseUrl.origin}/aws/saml-metadata.xml`;
  harness.setMetadata(buildIdpMetadata(issuer, [key.certificatePem]));
  endpoint = new URL('/_local/sts/', harness.baseUrl).href;
  const sts = new STSClient({ region: 'us-east-1', endpoint, maxAttempts: 1 });
  const out = await sts.send(
    new AssumeRoleWithSAMLCommand({
      RoleArn: ROLE_ARN,
      PrincipalArn: PROVIDER_ARN,
      SAMLAssertion: buildAwsSamlResponse(key, { issuer, sessionName: 'alice@example.com' }),
    }),
  );
  sts.destroy();
  credentials = {
    accessKeyId: out.Credentials?.AccessKeyId as string,
    secretAccessKey: out.Credentials?.SecretAccessKey as string,
    sessionToken: out.Credentials?.SessionToken as string,
  };
});

afterAll(async () => {
  await harness?.close();
});

describe('STS stand-in: GetCallerIdentity', () => {
  it('names the assumed role of the session whose credentials signed the call', async () => {
    const out = await client().send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice@example.com`,
      UserId: expect.stringMatching(/^AROA[A-Z2-7]{17}:alice@example\.com$/),
    });
  });

  it('refuses a wrong secret (SignatureDoesNotMatch)', async () => {
    const wrong = { ...credentials, secretAccessKey: `x${credentials.secretAccessKey.slice(1)}` };
    expect(await failure(client(wrong).send(new GetCallerIdentityCommand({})))).toEqual([
      'SignatureDoesNotMatch',
      403,
    ]);
  });

  it('refuses a key it never issued, and a session token that is not the key’s (InvalidClientTokenId)', async () => {
    const unknown = { ...credentials, accessKeyId: 'ASIALOCALAAAAAAAAAAA' };
    const otherToken = { ...credentials, sessionToken: 'fedgate-local/other' };
    for (const creds of [unknown, otherToken]) {
      expect(await failure(client(creds).send(new GetCallerIdentityCommand({})))).toEqual([
        'InvalidClientTokenId',
        403,
      ]);
    }
  });

  it('refuses a request signed 20 minutes ago (SignatureDoesNotMatch)', async () => {
    const late = client(credentials, { systemClockOffset: -20 * 60_000 });
    // The SDK corrects its clock from a skew error and retries; one attempt shows the refusal.
    expect(await failure(late.send(new GetCallerIdentityCommand({})))).toEqual([
      'SignatureDoesNotMatch',
      403,
    ]);
  });

  it('refuses an unsigned call (MissingAuthenticationToken)', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
