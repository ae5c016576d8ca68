import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';

/**
 * Two runners behind one public URL sharing one DynamoDB (DynamoDB Local): like two Lambda
 * containers. A response accepted by one is refused by the other, and after a restart.
 */
describe('SAML replay across two runners sharing one table', () => {
  let a: LocalGateway;
  let b: Awaited<ReturnType<typeof spawnRunner>>;

  beforeAll(async () => {
    a = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: defaultPlugins(),
    });
    b = await spawnRunner([
      '--dynamodb-endpoint',
      a.dynamo.endpoint,
      '--public-base-url',
      a.url.origin,
    ]);
  }, 90_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('accepts a response once, at either runner, and refuses it at the other', async () => {
    for (const [first, second] of [
      [a.url, b.url],
      [b.url, a.url],
    ] as const) {
      const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
      const ok = await postToAcs(first, 'demo-okta', response);
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toContain('/_local/federation?Action=login');
      const replay = await postToAcs(second, 'demo-okta', response);
      expect(replay.status).toBe(400);
      const body = await replay.text();
      expect(body).toContain('<code>replay_detected</code>');
      expect(replay.headers.get('location')).toBeNull();
      expect(body).not.toContain('SigninToken');
    }
  });

  it('fires 20 concurrent posts of one response at both runners: exactly one succeeds', async () => {
    const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postToAcs(i % 2 ? a.url : b.url, 'demo-okta', response)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
  });
});
