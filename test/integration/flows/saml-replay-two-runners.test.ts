import { afterAll } from 'vitest';
import type { LocalGateway } from '../../../infra/local/gateway.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';
import {
  CONFIRM_COOKIE,
  postConfirmation,
  readConfirmation,
  setCookiePair,
} from '../../support/portal-flow.js';

/**
 * Two runners behind one public URL sharing one DynamoDB (DynamoDB Local): like two Lambda
 * containers. A response accepted by one is refused by the other, and after a restart. demo-okta
 * confirms IdP-initiated sign-ins: a response is accepted by answering with the confirmation page
 * (its assertion id is consumed then), and the held sign-in completes at either runner.
 */
describe('SAML replay across two runners sharing one table', () => {
  let a: LocalGateway;
  let b: Awaited<ReturnType<typeof spawnRunner>>;

  // A is the kit's runner for this file (the `gateway` fixture, stopped after the file); B is a
  // second process on A's DynamoDB.
  test.beforeAll(async ({ gateway }) => {
    a = gateway;
    b = await spawnRunner([
      '--dynamodb-endpoint',
      a.dynamo.endpoint,
      '--public-base-url',
      a.url.origin,
    ]);
  }, 90_000);
  afterAll(async () => {
    await b?.stop();
  });

  it('accepts a response once, at either runner, and refuses it at the other', async () => {
    for (const [first, second] of [
      [a.url, b.url],
      [b.url, a.url],
    ] as const) {
      const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
      const confirmation = await readConfirmation(await postToAcs(first, 'demo-okta', response));
      const replay = await postToAcs(second, 'demo-okta', response);
      expect(replay.status).toBe(400);
      const body = await replay.text();
      expect(body).toContain('<code>replay_detected</code>');
      expect(replay.headers.get('location')).toBeNull();
      expect(setCookiePair(replay, CONFIRM_COOKIE)).toBeUndefined();
      expect(body).not.toContain('SigninToken');
      // The sign-in held by the first runner completes at the other one (one shared table).
      const ok = await postConfirmation(second, confirmation);
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toContain('/_local/federation?Action=login');
    }
  });

  it('fires 20 concurrent posts of one response at both runners: exactly one is accepted', async () => {
    const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postToAcs(i % 2 ? a.url : b.url, 'demo-okta', response)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    // The one accepted answer is the confirmation (and the only one holding a sign-in).
    expect(results.filter((r) => setCookiePair(r, CONFIRM_COOKIE) !== undefined)).toHaveLength(1);
  });
});
