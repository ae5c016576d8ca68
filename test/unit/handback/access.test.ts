import { describe, expect, it, vi } from 'vitest';
import {
  type AwsSession,
  createAwsAccess,
  type RoleAssumption,
  type SignedInPerson,
} from '../../../shared/handback/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { captureLogger } from '../../support/events.js';

const NOW = 1_800_000_000;
const grant: Grant = {
  id: 'g1',
  ruleId: 'devs',
  roleArn: 'arn:aws:iam::111111111111:role/dev',
  accountId: '111111111111',
  label: 'Developer',
  durationSeconds: 28_800,
  sessionName: 'okta.alice',
  sourceIdentity: 'okta.abc123',
  tags: [{ key: 'department', value: 'eng' }],
  transitiveTagKeys: [],
};
const person: SignedInPerson = { idp: 'okta', protocol: 'saml', subjectRef: 'abc123' };

const make = (expiresIn = 3600) => {
  const log = captureLogger();
  const assume = vi.fn<RoleAssumption>(
    async (): Promise<AwsSession> => ({
      accessKeyId: 'ASIALOCAL',
      secretAccessKey: 'sEcReT',
      sessionToken: 'tOkEn',
      expiration: new Date((NOW + expiresIn) * 1000),
    }),
  );
  const consoleUrl = vi.fn(
    async (_s: AwsSession, _d: URL, _n: number) =>
      new URL('https://signin.aws.amazon.com/federation?Action=login&SigninToken=SECRET'),
  );
  const access = createAwsAccess({
    assume: { saml: assume, oidc: assume },
    consoleUrl,
    log,
    clock: clockAtSeconds(NOW),
  });
  return { access, assume, consoleUrl, log };
};

describe('AWS access for a session', () => {
  it('never issues credentials that outlive the session by more than STS’s minimum', async () => {
    const { access, assume } = make();
    await access.credentials(grant, person, { sessionEndsAt: NOW + 7200, target: 'keys' });
    expect(assume.mock.calls[0]?.[0].durationSeconds).toBe(7200);
    await access.credentials(grant, person, { sessionEndsAt: NOW + 60, target: 'keys' });
    expect(assume.mock.calls[1]?.[0].durationSeconds).toBe(900);
    await access.credentials(grant, person, { sessionEndsAt: NOW + 86_400, target: 'keys' });
    expect(assume.mock.calls[2]?.[0].durationSeconds).toBe(28_800);
  });

  it('asks the console for no longer than the credentials STS actually granted', async () => {
    // STS fell back to 1 hour (the role's maximum): the console must not ask for 8.
    const { access, consoleUrl } = make(3600);
    await access.console(grant, person, {
      destination: new URL('https://console.aws.amazon.com/'),
      sessionEndsAt: NOW + 86_400,
    });
    expect(consoleUrl.mock.calls[0]?.[2]).toBe(3600);
  });

  it('writes one audit line per hand-out, with no secret in it', async () => {
    const { access, log } = make();
    await access.console(grant, person, {
      destination: new URL('https://console.aws.amazon.com/'),
      sessionEndsAt: NOW + 3600,
    });
    const text = log.text();
    expect(log.lines.filter((l) => l.message === 'federation completed')).toHaveLength(1);
    expect(text).toContain('okta.abc123');
    for (const secret of ['sEcReT', 'tOkEn', 'SECRET']) expect(text).not.toContain(secret);
  });

  it('passes an STS refusal through and logs no success', async () => {
    const { access, assume, log } = make();
    assume.mockRejectedValueOnce(Object.assign(new Error('x'), { code: 'sts_access_denied' }));
    await expect(
      access.credentials(grant, person, { sessionEndsAt: NOW + 3600, target: 'keys' }),
    ).rejects.toMatchObject({ code: 'sts_access_denied' });
    expect(log.lines.some((l) => l.message === 'federation completed')).toBe(false);
  });
});
