import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StsFaultMode } from '../../../infra/local/aws/index.js';
import {
  expectRefused,
  expectSignedIn,
  expectUnavailable,
  type FaultRig,
  readPicker,
  selectRole,
  signIn,
  startFaultRig,
} from '../../support/faults/rig.js';
import { demoSamlResponse } from '../../support/local-runner.js';
import { signInAtOp, step } from '../oidc/browserless.js';

const ROLE = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/**
 * STS and the console federation endpoint failing under the runner (the stand-ins' fault switch;
 * test/integration/flows/saml-failures.test.ts has the first look, this file the state rules).
 * The functions' STS client is STS_CLIENT_DEFAULTS: 3 attempts with the SDK's backoff and jitter,
 * 1 s connect / 3 s request timeout. Rules: ./README.md.
 */
describe('STS and federation faults', () => {
  let rig: FaultRig;
  const sessions = () => rig.standIns.sessions().length;

  beforeAll(async () => {
    rig = await startFaultRig({
      standIns: {
        // The pretend IAM knows the demo roles; two of them refuse what fedgate asks.
        roles: {
          [ROLE('111111111111', 'fedgate-demo-developer')]: {},
          [ROLE('222222222222', 'fedgate-demo-admin')]: { allowTagSession: false },
          [ROLE('222222222222', 'fedgate-demo-readonly')]: { maxSessionDurationSeconds: 900 },
        },
      },
    });
  }, 120_000);
  afterAll(() => rig?.stop());
  beforeEach(() => rig.standIns.setFaults({}));

  const nextSignInWorks = async () => {
    rig.standIns.setFaults({});
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol'));
    expect(sessions()).toBe(before + 1);
  };

  it.each<[StsFaultMode, number?]>([
    ['throttle'],
    ['down'],
    ['reset'],
    // Held past the 3 s request timeout, three times.
    ['slow', 4000],
  ])(
    'STS %s at the ACS: 503, nothing issued; the replay key stays (the same response is then a replay)',
    async (mode, slowMs) => {
      const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
      rig.standIns.setFaults({ sts: mode, ...(slowMs ? { slowMs } : {}) });
      const before = sessions();
      await expectUnavailable(await signIn(rig, 'carol', response));
      expect(sessions()).toBe(before);
      rig.standIns.setFaults({});
      // Never removed: a timed-out STS call may have issued credentials all the same.
      await expectRefused(await signIn(rig, 'carol', response), 400, 'replay_detected');
      await nextSignInWorks();
    },
    60_000,
  );

  it('STS down at the role picker: 503, nothing issued; the ticket is spent and a fresh sign-in works', async () => {
    const picker = await readPicker(await signIn(rig, 'alice'));
    const choice = picker.forRole('fedgate-demo-developer');
    rig.standIns.setFaults({ sts: 'down' });
    const before = sessions();
    await expectUnavailable(await selectRole(rig, choice));
    expect(sessions()).toBe(before);
    rig.standIns.setFaults({});
    await expectRefused(await selectRole(rig, choice), 403, 'ticket_invalid');
    const again = await readPicker(await signIn(rig, 'alice'));
    expectSignedIn(await selectRole(rig, again.forRole('fedgate-demo-developer')));
    expect(sessions()).toBe(before + 1);
  });

  it.each<StsFaultMode>(['throttle', 'down', 'reset'])(
    'STS %s at the OIDC callback (AssumeRoleWithWebIdentity): 503, nothing issued; the transaction is spent, a fresh sign-in works',
    async (mode) => {
      const loginUrl = new URL('/oidc/demo-oidc/login', rig.gateway.url);
      const { callback, jar } = await signInAtOp(loginUrl, 'paul');
      const cookie = jar.header();
      rig.standIns.setFaults({ sts: mode });
      const before = sessions();
      await expectUnavailable(await step(jar, callback));
      expect(sessions()).toBe(before);
      rig.standIns.setFaults({});
      const again = await fetch(callback, { redirect: 'manual', headers: { cookie } });
      await expectRefused(again, 400, 'oidc_transaction_invalid');
      const fresh = await signInAtOp(loginUrl, 'paul');
      expectSignedIn(await step(fresh.jar, fresh.callback));
      expect(sessions()).toBe(before + 1);
    },
    60_000,
  );

  it.each([
    ['fedgate-demo-admin', 'a trust policy without sts:TagSession (AccessDenied)'],
    ['fedgate-demo-readonly', 'a duration above the role maximum (ValidationError)'],
  ])(
    'STS refuses %s, %s: 500 server_error (STS code and fix in the log only), nothing issued',
    async (roleName) => {
      // An operator must act: not a 503 to retry. The translated code (sts_access_denied,
      // sts_validation_error) is the log line's `code`, never shown to the person.
      const picker = await readPicker(await signIn(rig, 'alice'));
      const before = sessions();
      const res = await selectRole(rig, picker.forRole(roleName));
      await expectRefused(res, 500, 'server_error');
      expect(sessions()).toBe(before);
      await nextSignInWorks();
    },
  );

  it('the federation endpoint answers 200 with a body that is not JSON: 500 server_error, no sign-in link', async () => {
    rig.standIns.setFaults({ federation: 'malformed' });
    await expectRefused(await signIn(rig, 'carol'), 500, 'server_error');
    await nextSignInWorks();
  });

  it.each([
    ['down', {}],
    ['reset', {}],
    // Past fedgate's 5 s federation timeout.
    ['slow', { slowMs: 7000 }],
  ] as const)(
    'the federation endpoint %s: 503 and no sign-in link (the STS session is issued but never handed out)',
    async (mode, extra) => {
      rig.standIns.setFaults({ federation: mode, ...extra });
      const before = sessions();
      await expectUnavailable(await signIn(rig, 'carol'));
      // STS answered before getSigninToken failed: its credentials exist, unseen, and expire.
      expect(sessions()).toBe(before + 1);
      await nextSignInWorks();
    },
    60_000,
  );
});
