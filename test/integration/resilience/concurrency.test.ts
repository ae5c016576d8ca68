import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { demoOidcIdp } from '../../../infra/local/demo/oidc-idp.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { readPicker } from '../../support/faults/rig.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';
import { signInAtOp } from '../oidc/browserless.js';

/**
 * Single use under concurrency: two runners (two "containers", the second its own process) behind
 * one public URL, sharing one DynamoDB Local table. Every single-use artefact is consumed with a
 * conditional write, so however many copies race, across processes, exactly one wins.
 */
describe('single use under concurrency, across two runners sharing one table', () => {
  let a: LocalGateway;
  let b: Awaited<ReturnType<typeof spawnRunner>>;
  const standIns = awsStandIns();
  // Alternate the copies between the two runners.
  const runner = (i: number) => (i % 2 ? a.url : b.url);

  beforeAll(async () => {
    a = await startLocalGateway({
      port: 0,
      configPath: 'infra/local/demo-config.yaml',
      plugins: [demoSamlIdps(), demoOidcIdp(), ...standIns.plugins],
    });
    b = await spawnRunner([
      '--dynamodb-endpoint',
      a.dynamo.endpoint,
      '--public-base-url',
      a.url.origin,
    ]);
  }, 120_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const codeOf = async (res: Response) => /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1];

  it('the same SAML response posted 50 times at once: exactly one sign-in, 49 replays', async () => {
    const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postToAcs(runner(i), 'demo-okta', response)),
    );
    const won = results.filter((r) => r.status === 302);
    expect(won).toHaveLength(1);
    expect(won[0]?.headers.get('location')).toContain('/_local/federation?Action=login');
    const lost = results.filter((r) => r.status !== 302);
    expect(lost.map((r) => r.status)).toEqual(Array(49).fill(400));
    expect(new Set(await Promise.all(lost.map(codeOf)))).toEqual(new Set(['replay_detected']));
    for (const r of lost) expect(r.headers.get('location')).toBeNull();
  }, 120_000);

  it('the same role-picker choice posted 20 times at once: exactly one sign-in', async () => {
    const picker = await readPicker(
      await postToAcs(a.url, 'demo-okta', await demoSamlResponse(a.url, 'demo-okta', 'alice')),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(new URL('/select-role', runner(i)), {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie: picker.cookie,
            origin: a.url.origin,
          },
          body: new URLSearchParams({
            csrf: picker.csrf,
            grant: picker.grant,
            target: 'console',
          }).toString(),
        }),
      ),
    );
    expect(results.filter((r) => r.status === 302)).toHaveLength(1);
    const lost = results.filter((r) => r.status !== 302);
    expect(lost.map((r) => r.status)).toEqual(Array(19).fill(403));
    expect(new Set(await Promise.all(lost.map(codeOf)))).toEqual(new Set(['ticket_invalid']));
  }, 120_000);

  it('the same OIDC callback (state and transaction) sent 20 times at once: exactly one sign-in', async () => {
    // Paul has one grant: the callback goes straight to the console.
    const { callback, jar } = await signInAtOp(new URL('/oidc/demo-oidc/login', a.url), 'paul');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(new URL(callback.pathname + callback.search, runner(i)), {
          redirect: 'manual',
          headers: { cookie: jar.header() },
        }),
      ),
    );
    const won = results.filter((r) => r.status === 302);
    expect(won).toHaveLength(1);
    expect(won[0]?.headers.get('location')).toContain('/_local/federation?Action=login');
    const lost = results.filter((r) => r.status !== 302);
    expect(lost.map((r) => r.status)).toEqual(Array(19).fill(400));
    // Refused by fedgate's own single-use transaction, before the code reaches the OP a second time.
    expect(new Set(await Promise.all(lost.map(codeOf)))).toEqual(
      new Set(['oidc_transaction_invalid']),
    );
  }, 120_000);
});
