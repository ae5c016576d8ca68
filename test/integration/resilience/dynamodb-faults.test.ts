import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { createJar, driveOp, signInAtOp, step } from '../oidc/browserless.js';

/**
 * DynamoDB failing under the ACS and the role picker, through a proxy that answers as DynamoDB
 * does (see test/support/faults/dynamodb-proxy.ts). The functions' client is
 * DYNAMODB_CLIENT_DEFAULTS: 3 attempts (the SDK's standard strategy: exponential backoff with
 * full jitter), 1 s connect / 3 s request timeout. The rules each case holds are in ./README.md.
 */
describe('DynamoDB faults', () => {
  let rig: FaultRig;
  const puts = () => rig.proxy.calls().filter((c) => c.operation === 'PutItem');
  const deletes = () => rig.proxy.calls().filter((c) => c.operation === 'DeleteItem');
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
      rig.proxy.setFault({ ...f, operations: ['PutItem'], times: 2 });
      const before = sessions();
      expectSignedIn(await signIn(rig, 'carol'));
      expect(puts().map((c) => c.fault ?? 'ok')).toEqual([f.kind, f.kind, 'ok']);
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
      rig.proxy.setFault({ ...f, operations: ['PutItem'] });
      const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
      const before = sessions();
      await expectUnavailable(await signIn(rig, 'carol', response));
      expect(puts()).toHaveLength(3);
      expect(sessions()).toBe(before);
      // The replay key was never written and nothing was issued: the same response may still be
      // used, once.
      rig.proxy.setFault(undefined);
      expectSignedIn(await signIn(rig, 'carol', response));
      await expectRefused(await signIn(rig, 'carol', response), 400, 'replay_detected');
      await nextSignInWorks();
    },
  );

  it('a DynamoDB that accepts the connection and never answers: 503 within the timeouts, nothing issued', async () => {
    rig.proxy.setFault({ kind: 'hang', operations: ['PutItem'] });
    const before = sessions();
    await expectUnavailable(await signIn(rig, 'carol'));
    // Each attempt was cut off by the client's timeout; none hung the function.
    expect(puts().map((c) => c.fault)).toEqual(['hang', 'hang', 'hang']);
    expect(sessions()).toBe(before);
    await nextSignInWorks();
  }, 60_000);

  it('a slow DynamoDB (every call 1 s, within the 3 s timeout): the sign-in succeeds without a retry', async () => {
    rig.proxy.setFault({ kind: 'slow', delayMs: 1000 });
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol'));
    expect(puts()).toHaveLength(1);
    expect(sessions()).toBe(before + 1);
  }, 60_000);

  it('every DynamoDB call failing (reads too): 503, nothing issued', async () => {
    rig.proxy.setFault({ kind: 'internal' });
    const before = sessions();
    // The attribute cache may answer the IdP read; the replay write cannot be skipped.
    await expectUnavailable(await signIn(rig, 'carol'));
    expect(rig.proxy.calls().every((c) => c.fault === 'internal')).toBe(true);
    expect(sessions()).toBe(before);
    await nextSignInWorks();
  });

  it('the replay write applied but its answer lost: the retry sees its own write and the sign-in succeeds, once', async () => {
    rig.proxy.setFault({ kind: 'lost-answer', operations: ['PutItem'], times: 1 });
    const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'carol');
    const before = sessions();
    expectSignedIn(await signIn(rig, 'carol', response));
    expect(sessions()).toBe(before + 1);
    // The key stays: the same response is a replay afterwards.
    await expectRefused(await signIn(rig, 'carol', response), 400, 'replay_detected');
  });

  describe('role picker ticket', () => {
    it('the ticket write fails: 503, no picker, no ticket cookie; the next sign-in gets one', async () => {
      // The replay write is the first PutItem, the ticket the second: fail from the second on.
      const response = await demoSamlResponse(rig.gateway.url, 'demo-okta', 'alice');
      rig.proxy.setFault({ kind: 'internal', operations: ['PutItem'], skip: 1 });
      const res = await signIn(rig, 'alice', response);
      await expectUnavailable(res);
      expect(res.headers.getSetCookie().some((c) => /ticket=[^;]/.test(c))).toBe(false);
      rig.proxy.setFault(undefined);
      await readPicker(await signIn(rig, 'alice'));
    });

    it('consuming the ticket fails: 503, the ticket survives, and the same choice then succeeds once', async () => {
      const picker = await readPicker(await signIn(rig, 'alice'));
      rig.proxy.setFault({ kind: 'internal', operations: ['DeleteItem'] });
      const before = sessions();
      await expectUnavailable(await selectRole(rig, picker));
      expect(deletes()).toHaveLength(3);
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      expectSignedIn(await selectRole(rig, picker));
      expect(sessions()).toBe(before + 1);
      await expectRefused(await selectRole(rig, picker), 403, 'ticket_invalid');
    });

    it('the consume applied but its answer lost: refused as used (never issued twice), the next sign-in works', async () => {
      const picker = await readPicker(await signIn(rig, 'alice'));
      rig.proxy.setFault({ kind: 'lost-answer', operations: ['DeleteItem'], times: 1 });
      const before = sessions();
      await expectRefused(await selectRole(rig, picker), 403, 'ticket_invalid');
      expect(sessions()).toBe(before);
      rig.proxy.setFault(undefined);
      await expectRefused(await selectRole(rig, picker), 403, 'ticket_invalid');
      expectSignedIn(await selectRole(rig, await readPicker(await signIn(rig, 'alice'))));
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
