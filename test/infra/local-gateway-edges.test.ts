import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../../functions/compose/index.js';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { startEmbeddedDynamoDb } from '../../infra/local/embedded-dynamodb.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';
import type { LocalPlugin } from '../../infra/local/plugin.js';
import { startDynamoFaultProxy } from '../support/faults/dynamodb-proxy.js';
import { spawnCapturedRunner } from '../support/log-capture.js';

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

/**
 * Lambda gives a container one request at a time and starts another container for a request that
 * arrives meanwhile; the runner does the same, so two requests at once never share a function's
 * module state (its logger with the request's context and keys, its clients, its caches).
 */
describe('the local runner under concurrent requests', () => {
  it('runs overlapping requests to one function in separate containers: each log line keeps its own request id', async () => {
    const db = await startEmbeddedDynamoDb({ prefer: 'dynalite' });
    const proxy = await startDynamoFaultProxy(db.endpoint);
    // `npm start` as people run it, logging at INFO.
    const runner = await spawnCapturedRunner(['--dynamodb-endpoint', proxy.endpoint], {
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    try {
      // Every DynamoDB call takes 300 ms: the second request arrives while the first waits.
      proxy.setFault({ kind: 'slow', delayMs: 300 });
      const answers = await Promise.all([fetch(runner.url), fetch(runner.url)]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      const completed = runner.capture
        .text()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.message === 'request completed' && line.function === 'home');
      expect(completed).toHaveLength(2);
      expect(new Set(completed.map((line) => line.function_request_id)).size).toBe(2);
    } finally {
      runner.capture.stop();
      await runner.stop();
      await proxy.stop();
      await db.stop();
    }
  });
});
