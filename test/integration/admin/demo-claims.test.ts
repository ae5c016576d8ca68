import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../../infra/local/demo/demo-users.js';
import { DEMO_OIDC_USERS } from '../../../infra/local/demo/oidc-op.js';
import { createDemoKeys, createWorkspace, runCli, writeDemoWorkspace } from './support.js';

/**
 * infra/local/demo/claims/<idp>/<person>.json: the demo people's claims, ready for
 * `fedgate-admin explain --idp <idp> --claims …` on the demo config (infra/admin/README.md).
 */

const CLAIMS_DIR = fileURLToPath(new URL('../../../infra/local/demo/claims/', import.meta.url));
const claimsFile = (idp: string, person: string) => `${CLAIMS_DIR}${idp}/${person}.json`;

let ws: { dir: string; remove(): Promise<void> };
let demoConfig: string;

beforeAll(async () => {
  ws = await createWorkspace();
  demoConfig = await writeDemoWorkspace(ws.dir, await createDemoKeys());
});
afterAll(() => ws.remove());

describe('the demo claims files', () => {
  it('are the demo people as their IdPs send them: SAML attributes, an ID token payload', async () => {
    const expected: Record<string, unknown> = {};
    for (const [idp, people] of Object.entries(DEMO_USERS)) {
      for (const p of people) {
        expected[`${idp}/${p.id}.json`] = { subject: p.nameId, claims: p.attributes };
      }
    }
    for (const p of DEMO_OIDC_USERS) {
      // what the demo OP puts in its ID tokens (its findAccount): sub, name and the claims
      expected[`demo-oidc/${p.id}.json`] = { sub: p.id, name: p.name, ...p.claims };
    }
    const found: Record<string, unknown> = {};
    for (const idp of await readdir(CLAIMS_DIR)) {
      if (!idp.startsWith('demo-')) continue;
      for (const name of await readdir(`${CLAIMS_DIR}${idp}`)) {
        found[`${idp}/${name}`] = JSON.parse(await readFile(`${CLAIMS_DIR}${idp}/${name}`, 'utf8'));
      }
    }
    expect(found).toEqual(expected);
  });

  it.each([
    ['demo-okta', 'alice', ['aws-groups-readonly', 'developers-sandbox', 'platform-admins']],
    // the gateway-wide contractor deny takes both production roles
    ['demo-okta', 'carol', ['developers-sandbox']],
    ['demo-okta', 'dave', []],
    ['demo-entra', 'erin', ['app-role-developer', 'cloud-admins']],
    ['demo-oidc', 'olivia', ['developers', 'platform-admins']],
    ['demo-oidc', 'paul', ['developers']],
    ['demo-oidc', 'quinn', []],
  ])('explain --idp %s --claims …/%s.json: the grants of the demo', async (idp, person, rules) => {
    const run = await runCli(
      [
        'explain',
        '--idp',
        idp,
        '--claims',
        claimsFile(idp, person),
        '--config',
        demoConfig,
        '--json',
      ],
      { cwd: ws.dir },
    );
    expect(run.code).toBe(0);
    const grants = run.json<{ grants: { ruleId: string }[] }>().grants;
    expect(grants.map((g) => g.ruleId).sort()).toEqual(rules);
  });

  it.each([
    ['frank', 'saml_tenant_not_allowed'],
    ['grace', 'saml_group_overage'],
  ])(
    'explain --idp demo-entra --claims …/%s.json: refused before mapping (%s)',
    async (person, code) => {
      const run = await runCli(
        [
          'explain',
          '--idp',
          'demo-entra',
          '--claims',
          claimsFile('demo-entra', person),
          '--config',
          demoConfig,
          '--json',
        ],
        { cwd: ws.dir },
      );
      expect(run.code).toBe(1);
      expect(run.json<{ error: { code: string } }>().error.code).toBe(code);
    },
  );
});
