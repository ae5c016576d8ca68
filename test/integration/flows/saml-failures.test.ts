import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { startEmbeddedDynamoDb } from '../../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs } from '../../support/local-runner.js';

/** What a person sees when a dependency fails: a clear 503 page, and nothing issued. */
describe('SAML sign-in when a dependency fails', () => {
  let gateway: LocalGateway;
  let db: Awaited<ReturnType<typeof startEmbeddedDynamoDb>>;
  const faults = (body: object | null) =>
    fetch(new URL('/_local/faults', gateway.url), {
      method: body ? 'PUT' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    db = await startEmbeddedDynamoDb({ prefer: 'dynalite' });
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: defaultPlugins(),
      dynamoEndpoint: db.endpoint,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await db?.stop();
  });

  const expect503 = async (res: Response) => {
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(body).toContain('<code>temporarily_unavailable</code>');
    for (const leak of ['ASIALOCAL', 'SigninToken', 'at ', 'Error:'])
      expect(body).not.toContain(leak);
  };

  it.each([
    ['STS throttles', { sts: 'throttle' }],
    ['STS is down', { sts: 'down' }],
    ['STS resets the connection', { sts: 'reset' }],
    ['the federation endpoint is down', { federation: 'down' }],
  ])('%s: 503, and the next sign-in works once it recovers', async (_, fault) => {
    expect((await faults(fault)).ok).toBe(true);
    await expect503(
      await postToAcs(
        gateway.url,
        'demo-okta',
        await demoSamlResponse(gateway.url, 'demo-okta', 'carol'),
      ),
    );
    await faults(null);
    const ok = await postToAcs(
      gateway.url,
      'demo-okta',
      await demoSamlResponse(gateway.url, 'demo-okta', 'carol'),
    );
    expect(ok.status).toBe(302);
  });

  it('DynamoDB down: 503 with nothing issued (last: it stops the table)', async () => {
    const response = await demoSamlResponse(gateway.url, 'demo-okta', 'carol');
    await db.stop();
    await expect503(await postToAcs(gateway.url, 'demo-okta', response));
  });
});
