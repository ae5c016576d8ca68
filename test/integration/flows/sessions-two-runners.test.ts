import { afterAll } from 'vitest';
import { main } from '../../../infra/admin/cli.js';
import type { LocalGateway } from '../../../infra/local/gateway.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';
import { getPortal, SESSION_COOKIE, setCookiePair } from '../../support/portal-flow.js';

/**
 * Revocation across two runner processes sharing one table (two Lambda containers): a session
 * started at one is used at both; `sessions revoke` by subject, by IdP and for everyone (the
 * admin CLI against the shared DynamoDB) ends it at both from the next use, and a new sign-in
 * after a revocation works at both.
 */
describe('revocation across two runners sharing one table', () => {
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

  /** Erin signs in at runner A through the Entra demo's trusted tile: a session, the portal. */
  const signIn = async (): Promise<string> => {
    const res = await postToAcs(
      a.url,
      'demo-entra',
      await demoSamlResponse(a.url, 'demo-entra', 'erin'),
    );
    expect(res.status).toBe(303);
    const cookie = setCookiePair(res, SESSION_COOKIE);
    expect(cookie).toBeDefined();
    return cookie as string;
  };
  const isPortal = async (runner: URL, cookie: string) => {
    const res = await getPortal(runner, cookie);
    const html = await res.text();
    expect(res.status).toBe(200);
    return html.includes('name="grant"');
  };
  const revoke = async (...args: string[]) => {
    let out = '';
    const code = await main(['sessions', 'revoke', ...args, '--endpoint', a.dynamo.endpoint], {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        out += t;
      },
      env: {},
      cwd: process.cwd(),
      fetch,
    });
    expect(code, out).toBe(0);
  };
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('by subject, by IdP and for everyone: refused at both runners from the next use', async () => {
    for (const scope of ['subject', 'idp', 'all'] as const) {
      const cookie = await signIn();
      expect(await isPortal(a.url, cookie)).toBe(true);
      expect(await isPortal(b.url, cookie)).toBe(true);
      const subjectRef = (cookie.split('=')[1] as string).split('.')[1] as string;
      await tick();
      await revoke(
        ...(scope === 'subject'
          ? ['--idp', 'demo-entra', '--subject-ref', subjectRef]
          : scope === 'idp'
            ? ['--idp', 'demo-entra', '--yes']
            : ['--all', '--yes']),
      );
      for (const runner of [a.url, b.url]) {
        const res = await getPortal(runner, cookie);
        const html = await res.text();
        expect(html, scope).not.toContain('name="grant"');
        expect(html, scope).toContain('ended by an administrator');
        // The dead cookie is cleared, so the next page is the plain sign-in page.
        expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(
          true,
        );
      }
      await tick();
      const again = await signIn();
      expect(await isPortal(b.url, again)).toBe(true);
    }
  });
});
