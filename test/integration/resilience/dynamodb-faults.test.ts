import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectKeys,
  expectRefused,
  expectSignedIn,
  expectUnavailable,
  type FaultRig,
  openPortal,
  portalKeys,
  portalOpen,
  postSignIn,
  signIn,
  startFaultRig,
} from '../../support/faults/rig.js';
import { demoSamlResponse } from '../../support/local-runner.js';
import {
  CONFIRM_COOKIE,
  getKeys,
  postConfirmation,
  readConfirmation,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';
import { createJar, driveOp, signInAtOp, step } from '../oidc/browserless.js';

/**
 * DynamoDB failing under the ACS, the IdP-initiated sign-in's confirmation and the portal, through
 * a proxy that answers as DynamoDB does (see test/support/faults/dynamodb-proxy.ts). The
 * functions' client is DYNAMODB_CLIENT_DEFAULTS: 3 attempts (the SDK's standard strategy:
 * exponential backoff with full jitter), 1 s connect / 3 s request timeout. demo-okta confirms
 * IdP-initiated sign-ins, so a sign-in here writes the replay key (`REPLAY#`) and the held sign-in
 * (`CONFIRM#`) at the ACS, then consumes the confirmation and writes the session (`SESSION#`) at
 * Continue. The rules each case holds are in ./README.md.
 */
describe('DynamoDB faults', () => {
  let rig: FaultRig;
  /** The writes and deletes of one item kind, oldest first. */
  const calls = (operation: string, key: string) =>
    rig.proxy.calls().filter((c) => c.operation === operation && c.key === key);
  const sessions = () => rig.standIns.sessions().length;

  beforeAll(async () => {
    rig = await startFaultRig();
  }, 120_000);
  afterAll(() => rig?.stop());
  beforeEach(() => {
    rig.proxy.setFault(undefined);
    rig.proxy.clearCalls();
  });

  /** After every fault: the function serves the next person. */
  const nextSignInWorks = async () => {
    rig.proxy.setFault(undefined);
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol'));
    expect(sessions()).toBe(before + 1);
  };

  it.each([
    ['500 InternalServerError', { kind: 'internal' }],
    ['ProvisionedThroughputExceededException', { kind: 'throttle' }],
    ['ThrottlingException', { kind: 'throttle', throttleAs: 'ThrottlingException' }],
  ] as const)(
    '%s on the replay write, twice: the SDK retries it away (3 attempts)',
    async (_, f) => {
      rig.proxy.setFault({ ...f, operations: ['PutItem'], keys: ['REPLAY#'], times: 2 });
      const before = sessions();
      expectSignedIn(await signIn(rig, 'carol'));
      expect(calls('PutItem', 'REPLAY#').map((c) => c.fault ?? 'ok')).toEqual([
        f.kind,
        f.kind,
        'ok',
      ]);
      expect(sessions()).toBe(before + 1);
    },
  );

  it.each([
    ['500 InternalServerError', { kind: 'internal' }],
    ['ProvisionedThroughputExceededException', { kind: 'throttle' }],
    ['ThrottlingException', { kind: 'throttle', throttleAs: 'ThrottlingException' }],
  ] as const)(
    '%s on every replay write: 503 after exactly 3 attempts, nothing issued, the response still usable once',
    async (_, f) => {
      rig.proxy.setFault({ ...f, operations: ['PutItem'], keys: ['REPLAY#'] });
      const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
      const before = sessions();
      const res = await postSignIn(rig, 'carol', response);
      expect(setCookiePair(res, CONFIRM_COOKIE)).toBeUndefined();
      await expectUnavailable(res);
      expect(calls('PutItem', 'REPLAY#')).toHaveLength(3);
      // Refused before anything was held: no confirmation item either.
      expect(calls('PutItem', 'CONFIRM#')).toHaveLength(0);
      expect(sessions()).toBe(before);
      // The replay key was never written and nothing was issued: the same response may still be
      // used, once.
      rig.proxy.setFault(undefined);
      expectSignedIn(await signIn(rig, 'carol', response));
      await expectRefused(await postSignIn(rig, 'carol', response), 400, 'replay_detected');
      await nextSignInWorks();
    },
  );

  it('a DynamoDB that accepts the connection and never answers: 503 within the timeouts, nothing issued', async () => {
    rig.proxy.setFault({ kind: 'hang', operations: ['PutItem'], keys: ['REPLAY#'] });
    const before = sessions();
    await expectUnavailable(await postSignIn(rig, 'carol'));
    // Each attempt was cut off by the client's timeout; none hung the function.
    expect(calls('PutItem', 'REPLAY#').map((c) => c.fault)).toEqual(['hang', 'hang', 'hang']);
    expect(sessions()).toBe(before);
    await nextSignInWorks();
  }, 60_000);

  it('a slow DynamoDB (every call 1 s, within the 3 s timeout): the sign-in succeeds without a retry', async () => {
    rig.proxy.setFault({ kind: 'slow', delayMs: 1000 });
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol'));
    // Each write of the sign-in happened once: the replay key, the held sign-in, its consume
    // and the session.
    expect(
      [
        ['PutItem', 'REPLAY#'],
        ['PutItem', 'CONFIRM#'],
        ['DeleteItem', 'CONFIRM#'],
        ['PutItem', 'SESSION#'],
      ].map(([op, key]) => calls(op as string, key as string).length),
    ).toEqual([1, 1, 1, 1]);
    expect(sessions()).toBe(before + 1);
  }, 60_000);

  it('every DynamoDB call failing (reads too): 503, nothing issued', async () => {
    rig.proxy.setFault({ kind: 'internal' });
    const before = sessions();
    // The attribute cache may answer the IdP read; the replay write cannot be skipped.
    await expectUnavailable(await postSignIn(rig, 'carol'));
    expect(rig.proxy.calls().length).toBeGreaterThan(0);
    expect(rig.proxy.calls().every((c) => c.fault === 'internal')).toBe(true);
    expect(sessions()).toBe(before);
    await nextSignInWorks();
  });

  it('the replay write applied but its answer lost: the retry sees its own write and the sign-in succeeds, once', async () => {
    rig.proxy.setFault({
      kind: 'lost-answer',
      operations: ['PutItem'],
      keys: ['REPLAY#'],
      times: 1,
    });
    const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol', response));
    expect(calls('PutItem', 'REPLAY#').map((c) => c.fault ?? 'ok')).toEqual(['lost-answer', 'ok']);
    expect(sessions()).toBe(before + 1);
    // The key stays: the same response is a replay afterwards.
    await expectRefused(await postSignIn(rig, 'carol', response), 400, 'replay_detected');
  });

  describe('the IdP-initiated sign-in held for confirmation (CONFIRM#)', () => {
    it('the hold write fails: 503, no confirmation page, no confirmation cookie; the next sign-in gets one', async () => {
      rig.proxy.setFault({ kind: 'internal', operations: ['PutItem'], keys: ['CONFIRM#'] });
      const res = await postSignIn(rig, 'carol');
      expect(setCookiePair(res, CONFIRM_COOKIE)).toBeUndefined();
      await expectUnavailable(res);
      expect(calls('PutItem', 'CONFIRM#')).toHaveLength(3);
      await nextSignInWorks();
    });

    it('consuming it fails: 503, the confirmation survives, and the same Continue then succeeds once', async () => {
      const confirmation = await readConfirmation(await postSignIn(rig, 'carol'));
      rig.proxy.setFault({ kind: 'internal', operations: ['DeleteItem'], keys: ['CONFIRM#'] });
      const before = sessions();
      const failed = await postConfirmation(rig.gateway.url, confirmation);
      expect(setCookiePair(failed, SESSION_COOKIE)).toBeUndefined();
      await expectUnavailable(failed);
      expect(calls('DeleteItem', 'CONFIRM#')).toHaveLength(3);
      expect(calls('PutItem', 'SESSION#')).toHaveLength(0);
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      expectSignedIn(await postConfirmation(rig.gateway.url, confirmation));
      expect(sessions()).toBe(before + 1);
      await expectRefused(
        await postConfirmation(rig.gateway.url, confirmation),
        403,
        'signin_confirmation_invalid',
      );
    });

    it('the consume applied but its answer lost: refused as used (never completed twice), the next sign-in works', async () => {
      const confirmation = await readConfirmation(await postSignIn(rig, 'carol'));
      rig.proxy.setFault({
        kind: 'lost-answer',
        operations: ['DeleteItem'],
        keys: ['CONFIRM#'],
        times: 1,
      });
      const before = sessions();
      await expectRefused(
        await postConfirmation(rig.gateway.url, confirmation),
        403,
        'signin_confirmation_invalid',
      );
      expect(calls('PutItem', 'SESSION#')).toHaveLength(0);
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      await expectRefused(
        await postConfirmation(rig.gateway.url, confirmation),
        403,
        'signin_confirmation_invalid',
      );
      await nextSignInWorks();
    });
  });

  describe('the session (SESSION#)', () => {
    it('the session write fails at Continue: 503, no session cookie, no STS call; the confirmation is spent, a fresh sign-in works', async () => {
      const confirmation = await readConfirmation(await postSignIn(rig, 'carol'));
      rig.proxy.setFault({ kind: 'internal', operations: ['PutItem'], keys: ['SESSION#'] });
      const before = sessions();
      const failed = await postConfirmation(rig.gateway.url, confirmation);
      expect(setCookiePair(failed, SESSION_COOKIE)).toBeUndefined();
      await expectUnavailable(failed);
      expect(calls('PutItem', 'SESSION#')).toHaveLength(3);
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      // Consumed before the session write: single use means it is gone whatever happened next.
      await expectRefused(
        await postConfirmation(rig.gateway.url, confirmation),
        403,
        'signin_confirmation_invalid',
      );
      await nextSignInWorks();
    });

    it('the session write applied but its answer lost: the retry sees its own write, one session', async () => {
      const confirmation = await readConfirmation(await postSignIn(rig, 'alice'));
      rig.proxy.setFault({
        kind: 'lost-answer',
        operations: ['PutItem'],
        keys: ['SESSION#'],
        times: 1,
      });
      const signedIn = await postConfirmation(rig.gateway.url, confirmation);
      expect(calls('PutItem', 'SESSION#').map((c) => c.fault ?? 'ok')).toEqual([
        'lost-answer',
        'ok',
      ]);
      // The session works: its portal lists Alice's roles.
      const { portal } = await openPortal(rig, signedIn);
      expect(portal.rows.map((r) => r.roleName).sort()).toEqual([
        'fedgate-demo-admin',
        'fedgate-demo-developer',
        'fedgate-demo-readonly',
      ]);
    });

    it('reading the session fails at the portal: 503 (not the sign-in page, the cookie kept), nothing issued; the same portal and Console then work', async () => {
      const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      // The keys page's address, as the portal's Access keys sent the browser there before.
      const keysOpened = await portalOpen(rig, cookie, choice('fedgate-demo-developer', 'keys'));
      rig.proxy.setFault({ kind: 'internal', operations: ['BatchGetItem'] });
      const before = sessions();
      const home = await fetch(new URL('/', rig.gateway.url), {
        redirect: 'manual',
        headers: { cookie },
      });
      // A session that could not be read is not an ended one: the cookie stays.
      expect(setCookiePair(home, SESSION_COOKIE)).toBeUndefined();
      expect(home.headers.getSetCookie()).toEqual([]);
      await expectUnavailable(home);
      await expectUnavailable(await portalOpen(rig, cookie, choice('fedgate-demo-developer')));
      await expectUnavailable(
        await portalOpen(rig, cookie, choice('fedgate-demo-developer', 'keys')),
      );
      await expectUnavailable(await getKeys(rig.gateway.url, cookie, keysOpened));
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-developer')), 303);
      await expectKeys(await portalKeys(rig, cookie, choice('fedgate-demo-developer', 'keys')));
      expect(sessions()).toBe(before + 2);
    });

    it('recording the use fails after STS at the portal’s Console: the person still gets the console (the use is bookkeeping, logged); the next Console records it', async () => {
      const { cookie, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      rig.proxy.setFault({ kind: 'internal', operations: ['UpdateItem'], keys: ['SESSION#'] });
      const before = sessions();
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-readonly')), 303);
      expect(calls('UpdateItem', 'SESSION#')).toHaveLength(3);
      expect(sessions()).toBe(before + 1);
      rig.proxy.setFault(undefined);
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-readonly')), 303);
      expect(sessions()).toBe(before + 2);
    });
  });

  describe('Sign out', () => {
    const signOut = (cookie: string, csrf: string) =>
      fetch(new URL('/signout', rig.gateway.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ csrf }).toString(),
      });

    it('deleting the session fails: 503, the cookie kept, the session not ended; the same Sign out then works', async () => {
      const { cookie, portal, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      rig.proxy.setFault({ kind: 'internal', operations: ['DeleteItem'], keys: ['SESSION#'] });
      const failed = await signOut(cookie, portal.csrf);
      expect(failed.headers.getSetCookie()).toEqual([]);
      await expectUnavailable(failed);
      rig.proxy.setFault(undefined);
      expectSignedIn(await portalOpen(rig, cookie, choice('fedgate-demo-developer')), 303);
      const out = await signOut(cookie, portal.csrf);
      expect(out.status).toBe(303);
      await expectRefused(
        await portalOpen(rig, cookie, choice('fedgate-demo-developer')),
        401,
        'session_invalid',
      );
    });

    it('reading the session fails: 503 like every dependency failure, not a sign-out that leaves the session alive', async () => {
      const { cookie, portal, choice } = await openPortal(rig, await signIn(rig, 'alice'));
      rig.proxy.setFault({ kind: 'internal', operations: ['BatchGetItem'] });
      const res = await signOut(cookie, portal.csrf);
      const answer = [res.status, res.headers.get('location'), res.headers.getSetCookie()];
      rig.proxy.setFault(undefined);
      const after = await portalOpen(rig, cookie, choice('fedgate-demo-developer'));
      // KNOWN PRODUCT BUG (fails today): shared/portal/endpoints.ts signOut turns any failure to
      // read the session (`.catch(() => undefined)`) into "no live session": it answers 303 with
      // the cookie cleared, as after a sign-out, but never deletes the session. The person is
      // told they signed out; a copy of the cookie keeps working until the session ends.
      // Expected: the 503 page, nothing changed (the session still works, Sign out can be retried).
      expect(
        [answer, after.status],
        'Sign out while DynamoDB fails must not report success and leave the session usable',
      ).toEqual([[503, null, []], 303]);
      const out = await signOut(cookie, portal.csrf);
      expect(out.status).toBe(303);
      await expectRefused(
        await portalOpen(rig, cookie, choice('fedgate-demo-developer')),
        401,
        'session_invalid',
      );
    });
  });

  describe('OIDC transaction', () => {
    const loginUrl = () => new URL('/oidc/demo-oidc/login', rig.gateway.url);

    it('the transaction write fails at login: 503, no redirect to the IdP, no transaction cookie', async () => {
      rig.proxy.setFault({ kind: 'internal', operations: ['PutItem'] });
      const jar = createJar();
      await expectUnavailable(await step(jar, loginUrl()));
      expect(jar.cookies.size).toBe(0);
      rig.proxy.setFault(undefined);
      const { callback, jar: ok } = await signInAtOp(loginUrl(), 'paul');
      expectSignedIn(await step(ok, callback));
    });

    it('consuming the transaction fails at the callback: 503, the code is not redeemed, and the same callback then works once', async () => {
      const jar = createJar();
      const login = await step(jar, loginUrl());
      const { callback } = await driveOp(
        new URL(String(login.headers.get('location'))),
        'paul',
        jar,
      );
      rig.proxy.setFault({ kind: 'internal', operations: ['DeleteItem'] });
      const before = sessions();
      await expectUnavailable(await step(jar, callback));
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      const cookie = jar.header();
      expectSignedIn(await step(jar, callback));
      expect(sessions()).toBe(before + 1);
      // Replayed with the transaction cookie the browser had (the success cleared it).
      const replay = await fetch(callback, { redirect: 'manual', headers: { cookie } });
      await expectRefused(replay, 400, 'oidc_transaction_invalid');
    });
  });
});
