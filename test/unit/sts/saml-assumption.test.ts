import { AssumeRoleWithSAMLCommand, STSClient } from '@aws-sdk/client-sts';
import { DOMParser } from '@xmldom/xmldom';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../shared/clock.js';
import { EnvSchema } from '../../../shared/config/index.js';
import { createSamlAssumption } from '../../../shared/gateway/saml-assumption.js';
import type { SignedInPerson } from '../../../shared/handback/index.js';
import { createLocalSigningKeys } from '../../../shared/issuer/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { fakeClock } from '../../support/clock.js';
import { captureLogger } from '../../support/events.js';
import { testKeyMaterials } from '../../support/issuer/fixtures.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
/** 2026-03-01T12:00:00.250Z */
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0, 250);

const sts = mockClient(STSClient);
beforeEach(() => {
  sts.reset();
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
});
afterEach(() => vi.useRealTimers());

const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111111111111:role/dev',
  accountId: '111111111111',
  label: 'Developer',
  durationSeconds: 3600,
  sessionName: 'jane',
  tags: [],
  transitiveTagKeys: [],
};

/** The AuthnStatement of the assertion fedgate sent to STS for this person. */
const mintedFor = async (person: Partial<SignedInPerson>, clock?: Clock) => {
  const [active] = await testKeyMaterials();
  const assume = createSamlAssumption({
    config: EnvSchema.parse({
      ATTRIBUTE_TABLE_NAME: 'attrs',
      STATE_TABLE_NAME: 'state',
      PUBLIC_BASE_URL: 'https://sso.example.com/',
      AWS_REGION: 'eu-west-1',
      SIGNING_KEY_REF: 'file:/unused',
    }),
    sts: new STSClient({ region: 'eu-west-1' }),
    signingKeys: createLocalSigningKeys({ keys: [active] }),
    log: captureLogger(),
    ...(clock ? { clock } : {}),
  });
  sts.on(AssumeRoleWithSAMLCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(NOW + 3_600_000),
    },
    AssumedRoleUser: { Arn: 'arn:aws:sts::111111111111:assumed-role/dev/jane', AssumedRoleId: 'x' },
  });
  await assume(grant, { idp: 'entra', protocol: 'saml', subjectRef: 'ref-1', ...person });
  const b64 = String(sts.commandCalls(AssumeRoleWithSAMLCommand)[0]?.args[0].input.SAMLAssertion);
  const doc = new DOMParser().parseFromString(Buffer.from(b64, 'base64').toString(), 'text/xml');
  const authn = doc.getElementsByTagNameNS(SAML, 'AuthnStatement')[0] as Element;
  return {
    authnInstant: authn.getAttribute('AuthnInstant'),
    classRef: authn.getElementsByTagNameNS(SAML, 'AuthnContextClassRef')[0]?.textContent,
    issueInstant: (doc.getElementsByTagNameNS(SAML, 'Assertion')[0] as Element).getAttribute(
      'IssueInstant',
    ),
  };
};

describe('the saml hand-back (shared/gateway): the upstream authentication reaches AWS', () => {
  it("writes the person's upstream authentication time and method, not the mint time", async () => {
    const minted = await mintedFor({ authTime: NOW / 1000 - 1800, authMethod: MFA });
    expect(minted.issueInstant).toBe('2026-03-01T12:00:00Z');
    expect(minted.authnInstant).toBe('2026-03-01T11:30:00Z');
    expect(minted.classRef).toBe(MFA);
  });

  it("mints at the injected clock's time (shared/clock.ts), which also bounds the upstream time", async () => {
    // Date says 12:00; the clock says 13:00. An authentication at 12:30 is in the past.
    const minted = await mintedFor({ authTime: NOW / 1000 + 1800 }, fakeClock(NOW + 3_600_000));
    expect(minted.issueInstant).toBe('2026-03-01T13:00:00Z');
    expect(minted.authnInstant).toBe('2026-03-01T12:30:00Z');
  });

  it('falls back to the mint time and unspecified when the upstream did not say', async () => {
    const minted = await mintedFor({});
    expect(minted.authnInstant).toBe('2026-03-01T12:00:00Z');
    expect(minted.classRef).toBe(UNSPECIFIED);
  });

  it('an upstream time ahead of ours (within the skew) is written as now', async () => {
    const minted = await mintedFor({ authTime: NOW / 1000 + 30 });
    expect(minted.authnInstant).toBe('2026-03-01T12:00:00Z');
  });

  it('a time before 2001 is no authentication time: the mint time', async () => {
    const minted = await mintedFor({ authTime: 5 });
    expect(minted.authnInstant).toBe('2026-03-01T12:00:00Z');
  });

  it.each([
    ['an OIDC amr list', 'pwd mfa'],
    ['a bare acr level', '1'],
  ])('a method that is not a URI (%s) goes out as unspecified', async (_, authMethod) => {
    expect((await mintedFor({ authMethod })).classRef).toBe(UNSPECIFIED);
  });
});
