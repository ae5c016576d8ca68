import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createLocalDynamoDbClient } from '../../../infra/local/embedded-dynamodb.js';
import type { LocalGateway } from '../../../infra/local/gateway.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { demoSamlResponse, postToAcs } from '../../support/local-runner.js';

const IDP = 'demo-okta';
const COOKIE = `__Host-fedgate-authn-${IDP}`;

/**
 * SP-initiated SAML on the local runner (DynamoDB Local, the demo SAML IdP signing real
 * responses): the pending AuthnRequest is spent only by a verified answer to it, and the state
 * table never holds the request id (a bearer value: it is the browser's cookie).
 */
describe('SP-initiated SAML: the pending request', () => {
  /** The kit's runner for this file (the `gateway` fixture), for the helpers below. */
  let gateway: LocalGateway;
  test.beforeAll(({ gateway: runner }) => {
    gateway = runner;
  }, 90_000);

  /** `GET /saml/<idp>/login`: the cookie to send back and the AuthnRequest id. */
  const startLogin = async () => {
    const res = await fetch(
      new URL(
        `/saml/${IDP}/login?return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F`,
        gateway.url,
      ),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
    expect(cookie.startsWith(`${COOKIE}=`)).toBe(true);
    return { cookie, requestId: cookie.slice(COOKIE.length + 1) };
  };
  const codeOf = async (res: Response) => /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1];

  it('a POST from another site carrying the cookie (SAMLResponse=Zm9v, or a response for someone else) is refused and cancels nothing', async () => {
    const { cookie, requestId } = await startLogin();
    // Login CSRF in reverse: another site makes the browser post garbage to the ACS, cookie
    // included (SameSite=None). Before, this spent the pending request and the real answer
    // was then refused.
    const garbage = await postToAcs(gateway.url, IDP, 'Zm9v', cookie);
    expect(garbage.status).toBe(400);
    expect(await codeOf(garbage)).toBe('saml_malformed');
    // A genuine, signed, unsolicited response (the attacker's own, IdP-initiated): refused too,
    // since this browser is waiting for an answer to its own request.
    const foreign = await postToAcs(
      gateway.url,
      IDP,
      await demoSamlResponse(gateway.url, IDP, 'carol'),
      cookie,
    );
    expect(foreign.status).toBe(400);
    expect(await codeOf(foreign)).toBe('saml_in_response_to_invalid');

    const answer = await demoSamlResponse(gateway.url, IDP, 'carol', requestId);
    const ok = await postToAcs(gateway.url, IDP, answer, cookie);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toContain('/_local/federation?Action=login');
    expect(ok.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=;`))).toBe(true);

    // Spent: another answer to the same request is refused.
    const again = await postToAcs(
      gateway.url,
      IDP,
      await demoSamlResponse(gateway.url, IDP, 'carol', requestId),
      cookie,
    );
    expect(again.status).toBe(400);
    expect(await codeOf(again)).toBe('saml_in_response_to_invalid');
  });

  it('two verified answers to one request at once: exactly one signs in', async () => {
    const { cookie, requestId } = await startLogin();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => demoSamlResponse(gateway.url, IDP, 'carol', requestId)),
    );
    const results = await Promise.all(answers.map((a) => postToAcs(gateway.url, IDP, a, cookie)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 302);
    expect(await Promise.all(refused.map(codeOf))).toEqual(
      Array(5).fill('saml_in_response_to_invalid'),
    );
  });

  it('the state table keys the pending request by the SHA-256 of its id, and holds the id nowhere', async () => {
    const { requestId } = await startLogin();
    const client = createLocalDynamoDbClient(gateway.dynamo.endpoint);
    try {
      const { Items = [] } = await client.send(
        new ScanCommand({ TableName: 'fedgate-state', ConsistentRead: true }),
      );
      const hashed = createHash('sha256').update(requestId).digest('base64url');
      expect(Items.map((i) => i.pk?.S)).toContain(`AUTHNREQ#${hashed}`);
      expect(JSON.stringify(Items)).not.toContain(requestId);
    } finally {
      client.destroy();
    }
  });
});
