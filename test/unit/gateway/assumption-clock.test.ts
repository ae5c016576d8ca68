import { AssumeRoleWithSAMLCommand, AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/index.js';
import {
  createSamlAssumption,
  createWebIdentityAssumption,
} from '../../../shared/gateway/index.js';
import { createLocalSigningKeys, type SigningKeys } from '../../../shared/issuer/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import type { StsPort } from '../../../shared/sts/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

/** The time of every assertion and token fedgate mints for STS comes from the one clock. */

const config = loadConfig({
  ATTRIBUTE_TABLE_NAME: 'fedgate-attributes',
  STATE_TABLE_NAME: 'fedgate-state',
  PUBLIC_BASE_URL: 'https://sso.example.com/',
  AWS_REGION: 'eu-west-1',
  SIGNING_KEY_REF: 'kms:1234abcd-12ab-34cd-56ef-1234567890ab',
});
const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111122223333:role/Developer',
  accountId: '111122223333',
  label: 'Developer',
  durationSeconds: 3600,
  sessionName: 'okta.p2V1zQ8yXc4m0aLr',
  sourceIdentity: 'okta.p2V1zQ8yXc4m0aLr',
  tags: [],
  transitiveTagKeys: [],
};
const person = { idp: 'okta', protocol: 'saml' as const, subjectRef: 'p2V1zQ8yXc4m0aLr' };
/** 2020-09-13T12:26:40Z: far from the machine's time, so a read of `Date.now` cannot pass. */
const PINNED = 1_600_000_000;

/** An STS that records what it is sent and answers with credentials. */
const recordingSts = () => {
  const sent: unknown[] = [];
  const sts: StsPort = {
    send: (async (command: unknown) => {
      sent.push(command);
      return {
        Credentials: {
          AccessKeyId: 'ASIATEST',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date((PINNED + 3600) * 1000),
        },
        AssumedRoleUser: {
          AssumedRoleId: 'AROATEST:okta.p2V1zQ8yXc4m0aLr',
          Arn: 'arn:aws:sts::111122223333:assumed-role/Developer/okta.p2V1zQ8yXc4m0aLr',
        },
      };
    }) as StsPort['send'],
  };
  return { sts, sent };
};

let signingKeys: SigningKeys;
beforeAll(async () => {
  signingKeys = createLocalSigningKeys({ keys: await testKeyMaterials() });
});

describe('role assumption reads the injected clock', () => {
  it('AssumeRoleWithSAML: the assertion is issued at the clock’s time', async () => {
    const { sts, sent } = recordingSts();
    const assume = createSamlAssumption({
      config,
      sts,
      signingKeys,
      log: captureLogger(),
      clock: clockAtSeconds(PINNED),
    });
    await assume(grant, person);
    const command = sent[0] as AssumeRoleWithSAMLCommand;
    expect(command).toBeInstanceOf(AssumeRoleWithSAMLCommand);
    const xml = Buffer.from(command.input.SAMLAssertion as string, 'base64').toString('utf8');
    expect(/<saml:Assertion [^>]*IssueInstant="([^"]+)"/.exec(xml)?.[1]).toBe(
      '2020-09-13T12:26:40Z',
    );
  });

  it('AssumeRoleWithWebIdentity: the token’s iat is the clock’s time', async () => {
    const { sts, sent } = recordingSts();
    const assume = createWebIdentityAssumption({
      config,
      sts,
      signingKeys,
      log: captureLogger(),
      clock: clockAtSeconds(PINNED),
    });
    await assume(grant, { ...person, protocol: 'oidc' });
    const command = sent[0] as AssumeRoleWithWebIdentityCommand;
    expect(command).toBeInstanceOf(AssumeRoleWithWebIdentityCommand);
    expect(decodeJwt(command.input.WebIdentityToken as string).iat).toBe(PINNED);
  });
});
