import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StsFaultMode } from '../../../infra/local/aws/index.js';
import {
  expectKeys,
  expectRefused,
  expectSignedIn,
  expectUnavailable,
  type FaultRig,
  openPortal,
  portalOpen,
  postSignIn,
  signIn,
  startFaultRig,
} from '../../support/faults/rig.js';
import { demoSamlResponse } from '../../support/local-runner.js';
import {
  getKeys,
  postConfirmation,
  readConfirmation,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';
import { signInAtOp, step } from '../oidc/browserless.js';

const ROLE = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/**
 * STS and the console federation endpoint failing under the runner (the stand-ins' fault switch;
 * test/integration/flows/saml-failures.test.ts has the first look, this file the state rules).
 * The STS call happens where a grant is used: at the end of the sign-in for a person with one
 * grant (demo-okta confirms IdP-initiated sign-ins: at Continue), and at the portal's Console
 * (`POST /portal/open`) and Access keys (`GET /portal/keys`) for a person with several.
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
    'STS %s at the end of a one-grant sign-in (Continue): 503, nothing issued, no session; the replay key stays and the confirmation is spent',
    async (mode, slowMs) => {
      const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
      const confirmation = await readConfirmation(await postSignIn(rig, 'carol', response));
      rig.standIns.setFaults({ sts: mode, ...(slowMs ? { slowMs } : {}) });
      const before = sessions();
      const failed = await postConfirmation(rig.gateway.url, confirmation);
      expect(setCookiePair(failed, SESSION_COOKIE)).toBeUndefined();
      await expectUnavailable(failed);
      expect(sessions()).toBe(before);
      rig.standIns.setFaults({});
      // Never removed: a timed-out STS call may have issued credentials all the same.
      await expectRefused(await postSignIn(rig, 'carol', response), 400, 'replay_detected');
      await expectRefused(
        await postConfirmation(rig.gateway.url, confirmation),
        403,
        'signin_confirmation_invalid',
      );
      await nextSignInWorks();
    },
    60_000,
  );

  it.each<[StsFaultMode, number?]>([['throttle'], ['down'], ['reset'], ['slow', 4000]])(
    'STS %s at the portal’s Console and Access keys: 503, nothing issued; the session survives and the same forms then work',
    async (mode, slowMs) => {
      const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      const keysOpened = await portalOpen(rig, cookie, choice('fedgate-demo-developer', 'keys'));
      rig.standIns.setFaults({ sts: mode, ...(slowMs ? { slowMs } : {}) });
      const before = sessions();
      await expectUnavailable(await portalOpen(rig, cookie, choice('fedgate-demo-developer')));
      await expectUnavailable(await getKeys(rig.gateway.url, cookie, keysOpened));
      expect(sessions()).toBe(before);
      rig.standIns.setFaults({});
      // Nothing single-use was spent: the portal's forms are the session's, not the request's.
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-developer')), 303);
      await expectKeys(await getKeys(rig.gateway.url, cookie, keysOpened));
      expect(sessions()).toBe(before + 2);
    },
    60_000,
  );

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
    'STS refuses %s, %s: 500 server_error at the portal’s Console and Access keys (STS code and fix in the log only), nothing issued',
    async (roleName) => {
      // An operator must act: not a 503 to retry. The translated code (sts_access_denied,
      // sts_validation_error) is the log line's `code`, never shown to the person.
      const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      const before = sessions();
      await expectRefused(await portalOpen(rig, cookie, choice(roleName)), 500, 'server_error');
      const keysOpened = await portalOpen(rig, cookie, choice(roleName, 'keys'));
      await expectRefused(await getKeys(rig.gateway.url, cookie, keysOpened), 500, 'server_error');
      expect(sessions()).toBe(before);
      // The same session still opens a role STS accepts.
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-developer')), 303);
      expect(sessions()).toBe(before + 1);
      await nextSignInWorks();
    },
  );

  it('the federation endpoint answers 200 with a body that is not JSON: 500 server_error, no sign-in link (at Continue and at the portal’s Console)', async () => {
    const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
    rig.standIns.setFaults({ federation: 'malformed' });
    await expectRefused(await signIn(rig, 'carol'), 500, 'server_error');
    await expectRefused(
      await portalOpen(rig, cookie, choice('fedgate-demo-developer')),
      500,
      'server_error',
    );
    await nextSignInWorks();
  });

  it.each([
    ['down', {}],
    ['reset', {}],
    // Past fedgate's 5 s federation timeout.
    ['slow', { slowMs: 7000 }],
  ] as const)(
    'the federation endpoint %s: 503 and no sign-in link at Continue and at the portal’s Console (the STS session is issued but never handed out)',
    async (mode, extra) => {
      const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      rig.standIns.setFaults({ federation: mode, ...extra });
      const before = sessions();
      await expectUnavailable(await signIn(rig, 'carol'));
      await expectUnavailable(await portalOpen(rig, cookie, choice('fedgate-demo-developer')));
      // STS answered before getSigninToken failed: its credentials exist, unseen, and expire.
      expect(sessions()).toBe(before + 2);
      // The access keys need no federation endpoint: they still work.
      await expectKeys(
        await getKeys(
          rig.gateway.url,
          cookie,
          await portalOpen(rig, cookie, choice('fedgate-demo-developer', 'keys')),
        ),
      );
      await nextSignInWorks();
    },
    60_000,
  );
});
