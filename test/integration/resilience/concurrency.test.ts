import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsStandIns } from '../../../infra/local/aws/index.js';
import { demoOidcIdp } from '../../../infra/local/demo/oidc-idp.js';
import { demoSamlIdps } from '../../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';
import {
  CONFIRM_COOKIE,
  postConfirmation,
  readConfirmation,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';
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

  /** The browser sessions in the shared state table (SESSION# items), read consistently. */
  const sessionItems = async () => {
    const client = new DynamoDBClient({
      endpoint: a.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const out = await client.send(
        new ScanCommand({
          TableName: 'fedgate-state',
          ConsistentRead: true,
          FilterExpression: 'begins_with(pk, :session)',
          ExpressionAttributeValues: { ':session': { S: 'SESSION#' } },
        }),
      );
      return out.Items?.length ?? 0;
    } finally {
      client.destroy();
    }
  };

  it('the same SAML response posted 50 times at once: accepted once (the confirmation), 49 replays; one sign-in', async () => {
    const response = await demoSamlResponse(a.url, 'demo-okta', 'carol');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postToAcs(runner(i), 'demo-okta', response)),
    );
    // demo-okta confirms IdP-initiated sign-ins: the one accepted copy is answered with the
    // confirmation page, and only it holds a sign-in.
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => setCookiePair(r, CONFIRM_COOKIE) !== undefined)).toHaveLength(1);
    const lost = results.filter((r) => r.status !== 200);
    expect(lost.map((r) => r.status)).toEqual(Array(49).fill(400));
    expect(new Set(await Promise.all(lost.map(codeOf)))).toEqual(new Set(['replay_detected']));
    for (const r of lost) expect(r.headers.get('location')).toBeNull();
    const before = standIns.sessions().length;
    const signedIn = await postConfirmation(a.url, await readConfirmation(won[0] as Response));
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toContain('/_local/federation?Action=login');
    expect(standIns.sessions().length).toBe(before + 1);
  }, 120_000);

  it('the same confirmation posted 20 times at once: exactly one session', async () => {
    const confirmation = await readConfirmation(
      await postToAcs(a.url, 'demo-okta', await demoSamlResponse(a.url, 'demo-okta', 'alice')),
    );
    const before = await sessionItems();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postConfirmation(runner(i), confirmation, { origin: a.url.origin }),
      ),
    );
    // Alice has several grants: the one completed sign-in goes to the portal with a session.
    const won = results.filter((r) => r.status === 303);
    expect(won).toHaveLength(1);
    expect(won[0]?.headers.get('location')).toBe(new URL('/', a.url).href);
    expect(results.filter((r) => setCookiePair(r, SESSION_COOKIE) !== undefined)).toHaveLength(1);
    const lost = results.filter((r) => r.status !== 303);
    expect(lost.map((r) => r.status)).toEqual(Array(19).fill(403));
    expect(new Set(await Promise.all(lost.map(codeOf)))).toEqual(
      new Set(['signin_confirmation_invalid']),
    );
    // The CONFIRM# item is single use: one session item in the table, whichever runner won.
    expect(await sessionItems()).toBe(before + 1);
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
