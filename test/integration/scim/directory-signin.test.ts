import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultPlugins } from '../../../infra/local/default-plugins.js';
import { demoEntraObjectId } from '../../../infra/local/demo/demo-directory.js';
import { demoScimTokenFile } from '../../../infra/local/demo/provisioning.js';
import { type LocalGateway, startLocalGateway } from '../../../infra/local/gateway.js';
import { demoSamlResponse, postToAcs, spawnRunner } from '../../support/local-runner.js';
import {
  completeConfirmation,
  getPortal,
  postPortalOpen,
  readPortal,
  SESSION_COOKIE,
  setCookiePair,
} from '../../support/portal-flow.js';

/**
 * Sign-in flows that use the directory, through the runner (`npm start`'s gateway with the demo
 * IdPs, provisioned at start by the demo provisioning run) and a second runner process sharing
 * its table (two Lambda containers): directory attributes in conditions and tags, Entra overage
 * resolved from the directory, nested groups, the tag budget policy, and deprovisioning ending a
 * live session at the other runner.
 */
const WORK = '.local';
const CONFIG = join(WORK, 'scim-signin-config.yaml');
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface StsSession {
  roleName: string;
  tags: { key: string; value: string }[];
  sourceIdentity?: string;
}

/** The demo config, with one more demo-okta rule that reads nesting and directory attributes. */
const writeConfig = async () => {
  const demo = parse(await readFile('infra/local/demo-config.yaml', 'utf8'));
  for (const idp of demo.idps) {
    if (idp.saml?.metadataFile) idp.saml.metadataFile = `demo/${idp.id}.metadata.xml`;
  }
  const okta = demo.idps.find((i: { id: string }) => i.id === 'demo-okta');
  okta.rules.push({
    id: 'nested-developers',
    priority: 5,
    effect: 'allow',
    description: 'aws-developers holds the team groups: a member of a team is a member of it.',
    when: [
      { claim: 'directory.groupNames', op: 'equals', value: 'aws-developers', quantifier: 'any' },
    ],
    grant: {
      roleArn: 'arn:aws:iam::111111111111:role/fedgate-demo-developer',
      label: 'Developer (directory)',
      sessionTags: {
        teams: { value: '{directory.groupNames}', fit: { prefixes: ['aws-dev'] } },
        'cost-center': '{directory.costCenter}',
      },
    },
  });
  await mkdir(WORK, { recursive: true });
  await writeFile(CONFIG, stringify(demo));
};

describe('sign-in with the directory, across two runners', () => {
  let a: LocalGateway;
  let b: Awaited<ReturnType<typeof spawnRunner>>;
  const tokens = new Map<string, string>();
  let bStderr = '';

  beforeAll(async () => {
    await writeConfig();
    a = await startLocalGateway({ port: 0, configPath: CONFIG, plugins: defaultPlugins() });
    b = await spawnRunner([
      '--config',
      CONFIG,
      '--dynamodb-endpoint',
      a.dynamo.endpoint,
      '--public-base-url',
      a.url.origin,
    ]);
    b.child.stderr?.on('data', (chunk: Buffer) => {
      bStderr += chunk.toString();
    });
    for (const idp of ['demo-okta', 'demo-entra']) {
      tokens.set(idp, (await readFile(demoScimTokenFile(WORK, idp), 'utf8')).trim());
    }
  }, 120_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const scim = (runner: URL, idp: string, method: string, path: string, body?: unknown) =>
    fetch(new URL(`/scim/v2/${idp}${path}`, runner), {
      method,
      headers: {
        authorization: `Bearer ${tokens.get(idp)}`,
        ...(body ? { 'content-type': 'application/scim+json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const scimId = async (runner: URL, idp: string, externalId: string) => {
    const res = await scim(
      runner,
      idp,
      'GET',
      `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`,
    );
    return ((await res.json()) as { Resources: { id: string }[] }).Resources[0]?.id as string;
  };
  const stsSessions = async (runner: URL): Promise<StsSession[]> =>
    (await fetch(new URL('/_local/sts/sessions', runner))).json() as Promise<StsSession[]>;
  const errorCode = async (res: Response) => /<code>([a-z_]+)<\/code>/.exec(await res.text())?.[1];

  it('Grace, in 300 groups, signs in although Entra sent a groups link (overage resolved); her teams tag is filtered and spread', async () => {
    const before = (await stsSessions(a.url)).length;
    const res = await postToAcs(
      a.url,
      'demo-entra',
      await demoSamlResponse(a.url, 'demo-entra', 'grace'),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('/_local/federation?Action=login');
    const [session] = (await stsSessions(a.url)).slice(before);
    expect(session?.roleName).toBe('fedgate-demo-readonly');
    const tags = Object.fromEntries((session?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['cost-center']).toBe('cc-5005');
    // fit: team-000…team-049 kept (49 of her 300 groups), spread over teams1 and teams2.
    expect(
      Object.keys(tags)
        .filter((k) => k.startsWith('teams'))
        .sort(),
    ).toEqual(['teams1', 'teams2']);
    const teams = `${tags.teams1}:${tags.teams2}`.split(':');
    expect(teams).toHaveLength(49);
    expect(teams.every((t) => /^team-0[0-4]\d$/.test(t))).toBe(true);
    expect(tags.teams1?.length).toBeLessThanOrEqual(256);
  });

  it('Carol gets the developer role through a nested group, tagged from the directory', async () => {
    const before = (await stsSessions(a.url)).length;
    const held = await postToAcs(
      a.url,
      'demo-okta',
      await demoSamlResponse(a.url, 'demo-okta', 'carol'),
    );
    const res = await completeConfirmation(a.url, held);
    expect(res.status).toBe(302);
    const [session] = (await stsSessions(a.url)).slice(before);
    expect(session?.roleName).toBe('fedgate-demo-developer');
    expect(session?.tags).toEqual(
      expect.arrayContaining([
        { key: 'teams', value: 'aws-dev-web:aws-developers' },
        { key: 'cost-center', value: 'cc-2002' },
      ]),
    );
  });

  it('deprovisioning at one runner ends a live session at the other at once; re-activation lets the person back in', async () => {
    const held = await postToAcs(
      a.url,
      'demo-okta',
      await demoSamlResponse(a.url, 'demo-okta', 'alice'),
    );
    const signedIn = await completeConfirmation(a.url, held);
    expect(signedIn.status).toBe(303);
    const cookie = setCookiePair(signedIn, SESSION_COOKIE) as string;
    const portal = readPortal(await (await getPortal(b.url, cookie)).text());
    expect(portal.rows.length).toBeGreaterThan(1);

    const alice = await scimId(a.url, 'demo-okta', '00ualice00o1demo');
    const off = await scim(a.url, 'demo-okta', 'PATCH', `/Users/${alice}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.status).toBe(200);

    // The other runner refuses the session at its next use: no portal, no role.
    const open = await postPortalOpen(b.url, cookie, {
      csrf: portal.csrf,
      grant: portal.grantFor('fedgate-demo-readonly'),
      target: 'console',
    });
    expect(open.status).toBe(401);
    expect(await errorCode(open)).toBe('session_revoked');
    expect(await (await getPortal(b.url, cookie)).text()).not.toContain('<h1>AWS access</h1>');
    // A new sign-in is refused by the directory: she is inactive.
    const again = await postToAcs(
      b.url,
      'demo-okta',
      await demoSamlResponse(a.url, 'demo-okta', 'alice'),
    );
    const refused = await completeConfirmation(b.url, again);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('directory_user_inactive');

    // Re-activated (at the other runner): she signs in again.
    const on = await scim(b.url, 'demo-okta', 'PATCH', `/Users/${alice}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(on.status).toBe(200);
    const back = await postToAcs(
      b.url,
      'demo-okta',
      await demoSamlResponse(a.url, 'demo-okta', 'alice'),
    );
    expect((await completeConfirmation(b.url, back)).status).toBe(303);
  });

  it('a person the IdP deletes from the directory is refused as not provisioned', async () => {
    const erin = await scimId(a.url, 'demo-entra', demoEntraObjectId('erin'));
    expect((await scim(a.url, 'demo-entra', 'DELETE', `/Users/${erin}`)).status).toBe(204);
    const res = await postToAcs(
      b.url,
      'demo-entra',
      await demoSamlResponse(a.url, 'demo-entra', 'erin'),
    );
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('directory_user_not_provisioned');
  });

  it("prints each demo IdP's SCIM base URL and where its token is, as npm start does", () => {
    for (const idp of ['demo-okta', 'demo-entra']) {
      const line = a.summary.find((l) => l.includes(`SCIM ${idp} `));
      expect(line, idp).toContain(new URL(`/scim/v2/${idp}`, a.url).href);
      expect(line, idp).toContain(`(bearer token in ${demoScimTokenFile(resolve(WORK), idp)})`);
    }
  });

  it('stayed within every declaration: the IAM stand-in refused no call of the provisioning run, SCIM or a sign-in above', () => {
    expect(a.iam.refusals()).toEqual([]);
    // Runner b's stand-in reports on its stderr (read from its start on).
    expect(bStderr).not.toContain('iam stand-in: refused');
  });
});
