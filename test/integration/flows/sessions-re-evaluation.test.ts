import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { LocalGateway } from '../../../infra/local/gateway.js';
import { describe, expect, it, test } from '../../kit/index.js';
import { demoSamlResponse, postToAcs } from '../../support/local-runner.js';
import {
  getPortal,
  postPortalOpen,
  readPortal,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';
import { runCli } from '../admin/support.js';
import { formOf } from '../cli/support.js';
import { createJar, step } from '../oidc/browserless.js';

/**
 * Every use runs the CURRENT rules, for the browser portal and for a CLI session, on the local
 * runner (DynamoDB Local, every function as deployed, the IAM stand-in checking each call): Erin
 * signs in once at demo-entra, uses the portal and approves a CLI through the device flow; then
 * an operator deletes a rule, adds a deny or removes the IdP, and the next use of each session is
 * reduced or refused. The runner caches the attribute table for 5 s (CONFIG_CACHE_SECONDS), so
 * each next use is polled for, never slept on. (SPA sessions: test/integration/spa/re-evaluation.)
 */
const IDP = 'demo-entra';
const ADMIN_ROLE = 'fedgate-demo-admin';
const DEV_ROLE = 'fedgate-demo-developer';
const ATTRIBUTES = 'fedgate-attributes';
const POLL = { timeout: 20_000, interval: 500 };

describe('re-evaluation at every use: portal and CLI sessions on the runner', () => {
  let gw: LocalGateway;
  let dynamo: DynamoDBClient;

  test.beforeAll(async ({ gateway }) => {
    gw = gateway;
    dynamo = new DynamoDBClient({
      endpoint: gateway.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 90_000);
  test.afterAll(() => {
    dynamo?.destroy();
  });

  const admin = async (...argv: string[]) => {
    const run = await runCli([...argv, '--endpoint', gw.dynamo.endpoint, '--json'], {
      cwd: process.cwd(),
    });
    expect(run.code, `${argv.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
  };

  /** Erin through the Entra demo's trusted tile: a browser session (several roles: the portal). */
  const signIn = async (): Promise<string> => {
    const res = await postToAcs(gw.url, IDP, await demoSamlResponse(gw.url, IDP, 'erin'));
    expect(res.status).toBe(303);
    const cookie = setCookiePair(res, SESSION_COOKIE);
    expect(cookie).toBeDefined();
    return cookie as string;
  };

  /** A CLI session for the person of `cookie`: the device flow, approved in that browser. */
  const approveCli = async (cookie: string): Promise<string> => {
    const cli = (path: string, body: object) =>
      fetch(new URL(path, gw.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const device = (await (await cli('/cli/device', { client: 'erin@laptop' })).json()) as {
      device_code: string;
      user_code: string;
    };
    const jar = createJar();
    jar.cookies.set(SESSION_COOKIE, cookie.slice(SESSION_COOKIE.length + 1));
    const page = await step(jar, new URL(`/cli/device?user_code=${device.user_code}`, gw.url));
    const confirm = formOf(await page.text());
    const approved = await step(jar, new URL(confirm.action, gw.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...confirm.fields, decision: 'approve' }).toString(),
    });
    expect(approved.status).toBe(200);
    const token = (await (
      await cli('/cli/token', {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.device_code,
      })
    ).json()) as { access_token?: string };
    expect(token.access_token).toBeDefined();
    return token.access_token as string;
  };

  /** `POST /cli/roles` with the CLI's bearer token: the status and the role names, or the error. */
  const cliRoles = async (token: string) => {
    const res = await fetch(new URL('/cli/roles', gw.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ client: 'erin@laptop' }),
    });
    const json = (await res.json()) as { roles?: { roleArn: string }[]; error?: string };
    return {
      status: res.status,
      error: json.error,
      roles: (json.roles ?? []).map((r) => r.roleArn.split('/').pop()).sort(),
    };
  };

  /** The role names the portal lists for `cookie` now, or the error code it answers with. */
  const portalRoles = async (cookie: string) => {
    const res = await getPortal(gw.url, cookie);
    const html = await res.text();
    if (!html.includes('<h1>AWS access</h1>')) return { status: res.status, roles: undefined };
    return {
      status: res.status,
      roles: readPortal(html)
        .rows.map((r) => r.roleName)
        .sort(),
    };
  };

  /** Console for `roleName` from the page the person already holds (the next use). */
  const openConsole = async (cookie: string, page: ReturnType<typeof readPortal>, role: string) => {
    const res = await postPortalOpen(gw.url, cookie, {
      csrf: page.csrf,
      grant: page.grantFor(role),
      target: 'console',
    });
    const body = await res.text();
    return { status: res.status, code: /<code>([a-z_]+)<\/code>/.exec(body)?.[1] };
  };

  /**
   * Two sessions of one sign-in, both used once with every role the rules give Erin. A test
   * before may have just put a rule back: the sign-in is repeated until every function's cache
   * holds the whole rule set again.
   */
  const liveSessions = async () => {
    let cookie = '';
    let page: ReturnType<typeof readPortal> | undefined;
    await expect
      .poll(async () => {
        cookie = await signIn();
        const res = await getPortal(gw.url, cookie);
        page = readPortal(await res.text());
        return page.rows.map((r) => r.roleName);
      }, POLL)
      .toEqual(expect.arrayContaining([ADMIN_ROLE, DEV_ROLE]));
    const token = await approveCli(cookie);
    const portal = page as ReturnType<typeof readPortal>;
    expect((await openConsole(cookie, portal, ADMIN_ROLE)).status).toBe(303);
    await expect
      .poll(async () => (await cliRoles(token)).roles, POLL)
      .toEqual(expect.arrayContaining([ADMIN_ROLE, DEV_ROLE]));
    return { cookie, token, page: portal };
  };

  it('a deleted rule: the next use no longer has its role, the other roles still work', async () => {
    const { cookie, token, page } = await liveSessions();
    await admin('rules', 'remove', '--idp', IDP, '--rule-id', 'cloud-admins', '--yes');
    try {
      await expect
        .poll(async () => (await openConsole(cookie, page, ADMIN_ROLE)).code, POLL)
        .toBe('grant_not_available');
      await expect
        .poll(async () => (await portalRoles(cookie)).roles?.includes(ADMIN_ROLE), POLL)
        .toBe(false);
      expect((await portalRoles(cookie)).roles).toContain(DEV_ROLE);
      expect((await openConsole(cookie, page, DEV_ROLE)).status).toBe(303);
      await expect
        .poll(async () => (await cliRoles(token)).roles.includes(ADMIN_ROLE), POLL)
        .toBe(false);
      expect(await cliRoles(token)).toMatchObject({ status: 200 });
      expect((await cliRoles(token)).roles).toContain(DEV_ROLE);
    } finally {
      await admin(
        'rules',
        'add',
        '--idp',
        IDP,
        '--rule',
        JSON.stringify({
          id: 'cloud-admins',
          priority: 10,
          effect: 'allow',
          when: [
            {
              claim: 'groups',
              op: 'equals',
              value: '5f2c8a3e-1b4d-4c6a-8e9f-0a1b2c3d4e5f',
              quantifier: 'any',
            },
          ],
          grant: {
            roleArn: `arn:aws:iam::222222222222:role/${ADMIN_ROLE}`,
            label: 'Administrator',
            sourceIdentity: '{claims.email}',
            sessionTags: { department: '{claims.department}' },
          },
        }),
      );
    }
  }, 90_000);

  it('a new deny: the next use of either session gets no role at all', async () => {
    const { cookie, token, page } = await liveSessions();
    await admin(
      'rules',
      'add',
      '--idp',
      IDP,
      '--rule',
      JSON.stringify({
        id: 'emergency-stop',
        priority: 1,
        effect: 'deny',
        when: [{ claim: 'department', op: 'equals', value: 'platform', quantifier: 'any' }],
      }),
    );
    try {
      await expect
        .poll(async () => (await openConsole(cookie, page, DEV_ROLE)).code, POLL)
        .toBe('grant_not_available');
      await expect.poll(async () => (await portalRoles(cookie)).roles, POLL).toEqual([]);
      await expect.poll(async () => (await cliRoles(token)).roles, POLL).toEqual([]);
      const credentials = await fetch(new URL('/cli/credentials', gw.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ client: 'erin@laptop', role: `production/Administrator` }),
      });
      expect(credentials.status).toBe(403);
    } finally {
      await admin('rules', 'remove', '--idp', IDP, '--rule-id', 'emergency-stop', '--yes');
    }
    // Lifting the deny gives the same sessions their roles back: nothing was remembered.
    await expect
      .poll(async () => (await portalRoles(cookie)).roles?.includes(ADMIN_ROLE), POLL)
      .toBe(true);
    await expect
      .poll(async () => (await cliRoles(token)).roles.includes(ADMIN_ROLE), POLL)
      .toBe(true);
  }, 90_000);

  it('a removed IdP: the next use of either session is refused as ended', async () => {
    const { cookie, token, page } = await liveSessions();
    const { Items = [] } = await dynamo.send(
      new QueryCommand({
        TableName: ATTRIBUTES,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `IDP#${IDP}` } },
      }),
    );
    expect(Items.length).toBeGreaterThan(1);
    const removed: Record<string, AttributeValue>[] = Items;
    for (const item of removed) {
      await dynamo.send(
        new DeleteItemCommand({
          TableName: ATTRIBUTES,
          Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
        }),
      );
    }
    try {
      await expect
        .poll(async () => (await openConsole(cookie, page, DEV_ROLE)).code, POLL)
        .toBe('session_invalid');
      await expect.poll(async () => (await portalRoles(cookie)).roles, POLL).toBeUndefined();
      await expect
        .poll(async () => {
          const r = await cliRoles(token);
          return [r.status, r.error];
        }, POLL)
        .toEqual([401, 'session_invalid']);
    } finally {
      for (const item of removed) {
        await dynamo.send(new PutItemCommand({ TableName: ATTRIBUTES, Item: item }));
      }
    }
  }, 90_000);
});
