import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../functions/compose/index.js';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';
import type { LocalPlugin } from '../../infra/local/plugin.js';

/** The runner's own edges: requests before it is ready, a body past API Gateway's limit. */
describe('the local runner at its edges', () => {
  let gateway: LocalGateway;
  beforeAll(async () => {
    gateway = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      engine: 'dynalite',
      plugins: defaultPlugins(),
    });
  });
  afterAll(() => gateway?.stop());

  it('answers a request that arrives while it is still starting with a 503, and still stops', async () => {
    let release!: () => void;
    let listening!: (url: URL) => void;
    const url = new Promise<URL>((r) => {
      listening = r;
    });
    // A plugin that holds the start-up after the server listens (as a slow DynamoDB would).
    const slow: LocalPlugin = {
      name: 'slow start',
      prepare: async (ctx) => {
        listening(ctx.listenUrl);
        await new Promise<void>((r) => {
          release = r;
        });
        return {};
      },
    };
    const starting = startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      engine: 'dynalite',
      plugins: [slow, ...defaultPlugins()],
    });
    const res = await fetch(await url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ message: 'Service Unavailable' });
    release();
    const second = await starting;
    expect((await fetch(second.url)).status).toBe(200);
    await second.stop();
  });

  it('answers a body over 10 MB with API Gateway’s 413, not a reset connection', async () => {
    const res = await fetch(new URL('/saml/demo-okta/acs', gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `SAMLResponse=${'A'.repeat(10 * 1024 * 1024 + 1)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
  });

  it('gives every function its own logger, labelled with its name', () => {
    const env = {
      ATTRIBUTE_TABLE_NAME: 'attrs',
      STATE_TABLE_NAME: 'state',
      PUBLIC_BASE_URL: 'https://sso.example.com',
      AWS_REGION: 'eu-west-1',
      SIGNING_KEY_REF: 'file:/unused',
    };
    const portal = compose('portal', { env });
    const home = compose('home', { env });
    expect(portal.logger).not.toBe(home.logger);
    expect(portal.logger.getPersistentLogAttributes()).toMatchObject({ function: 'portal' });
    expect(home.logger.getPersistentLogAttributes()).toMatchObject({ function: 'home' });
  });
});
