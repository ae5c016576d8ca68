import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKeyPair, type TestKeyPair } from '../../kit/keys.js';
import { createWorkspace, runCli } from './support.js';

/**
 * `validate` reports every problem of a config file in one run, each where it is (line and
 * column), with a "did you mean" for an unknown key; a YAML syntax error comes out whole.
 */

let ws: { dir: string; remove(): Promise<void> };
let strong: TestKeyPair;
let weak: TestKeyPair;
const cli = (...argv: string[]) => runCli(argv, { cwd: ws.dir });
const file = (name: string) => join(ws.dir, name);

beforeAll(async () => {
  ws = await createWorkspace();
  strong = await createTestKeyPair('validate errors strong');
  weak = await createTestKeyPair('validate errors weak', { modulusLength: 1024 });
});
afterAll(() => ws.remove());

/** Line and column (1-based) of the first `needle` in `text`, plus `offset` columns. */
const at = (text: string, needle: string, offset = 0) => {
  const index = text.indexOf(needle);
  expect(index).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 + offset };
};

type Issue = { path: string; message: string; line?: number; column?: number; suggestion?: string };

describe('validate reports every problem in one run, where it is', () => {
  it('unreadable metadata, unknown keys, the schema, RE2 and certificates, all at once', async () => {
    const text = `version: 1
idps:
  - id: okta
    displayName: Okta
    protocol: saml
    saml:
      metadataFile: nowhere.xml
      allowedTenant: [x]
    rules:
      - id: admins
        priority: 10
        effect: allow
        when: [{ claim: groups, op: matches, value: '(a)\\1' }]
        grant: { roleArn: "arn:aws:iam::111:role/Admin", sesionTags: {} }
  - id: weak
    displayName: Weak
    protocol: saml
    saml:
      entityId: http://www.okta.com/weak
      signingCertificates: [${weak.certificateB64}]
  - id: corp
    displayName: Corp
    protocol: oidc
    oidc: { issuer: "https://idp.example.com", clientID: fedgate }
`;
    await writeFile(file('all.yaml'), text);
    const run = await cli('validate', 'all.yaml', '--json');
    expect(run.code).toBe(1);
    const { issues } = run.json<{ issues: Issue[] }>();
    const where = (needle: string, offset = 0) => at(text, needle, offset);
    expect(
      issues.map(({ path, line, column, suggestion }) => ({ path, line, column, suggestion })),
    ).toEqual([
      { path: 'idps[0].saml.metadataFile', ...where('nowhere.xml'), suggestion: undefined },
      {
        path: 'idps[0].saml.allowedTenant',
        ...where('allowedTenant'),
        suggestion: 'allowedTenants',
      },
      // RE2 refuses what JavaScript's engine takes: checked although the IdP is invalid
      { path: 'idps[0].rules[0].when[0].value', ...where("'(a)"), suggestion: undefined },
      {
        path: 'idps[0].rules[0].grant.roleArn',
        ...where('"arn:aws:iam::111:'),
        suggestion: undefined,
      },
      {
        path: 'idps[0].rules[0].grant.sesionTags',
        ...where('sesionTags'),
        suggestion: 'sessionTags',
      },
      // certificates are checked for every IdP that is valid on its own
      {
        path: 'idps[1].saml',
        ...where('entityId: http://www.okta.com/weak'),
        suggestion: undefined,
      },
      // a missing key is shown where its mapping is
      { path: 'idps[2].oidc.clientId', ...where('{ issuer'), suggestion: undefined },
      { path: 'idps[2].oidc.clientID', ...where('clientID'), suggestion: 'clientId' },
    ]);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['idps[0].saml.metadataFile']).toBe(
      `not found: ${file('nowhere.xml')} (line 7, column 21)`,
    );
    expect(byPath['idps[0].saml.allowedTenant']).toBe(
      'unknown key; did you mean "allowedTenants"? (line 8, column 7)',
    );
    expect(byPath['idps[1].saml']).toContain('1024 bits (RSA ≥ 2048 only)');
    expect(byPath['idps[2].oidc.clientId']).toMatch(/^missing \(want string\) \(line 24/);

    const human = await cli('validate', 'all.yaml');
    expect(human.stdout).toContain('all.yaml is invalid (8 problems):\n');
    expect(human.stdout).toContain(
      '  - idps[2].oidc.clientID: unknown key; did you mean "clientId"? (line 24, column 48)\n',
    );
  });

  it('places problems in a JSON file too', async () => {
    const json = `{
  "version": 1,
  "idps": [
    {
      "id": "corp",
      "displayName": "Corp",
      "protocol": "oidc",
      "oidc": { "issuer": "https://idp.example.com", "clientId": "fedgate", "scope": ["openid"] }
    }
  ]
}
`;
    await writeFile(file('gw.json'), json);
    const run = await cli('validate', 'gw.json', '--json');
    expect(run.json<{ issues: Issue[] }>().issues).toEqual([
      {
        path: 'idps[0].oidc.scope',
        message: 'unknown key; did you mean "scopes"? (line 8, column 77)',
        ...at(json, '"scope"'),
        suggestion: 'scopes',
      },
    ]);
  });

  it('prints every YAML syntax error whole: the message and the lines around it', async () => {
    await writeFile(
      file('syntax.yaml'),
      'version: 1\nidps:\n  - id: a: b\n    displayName: A\nversion: 2\n',
    );
    const run = await cli('validate', 'syntax.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `syntax.yaml is invalid (2 problems):
  - (root): Nested mappings are not allowed in compact mappings at line 3, column 9:

      - id: a: b
            ^
  - (root): Map keys must be unique at line 5, column 1:

        displayName: A
    version: 2
    ^
`,
    );
    const json = await cli('validate', 'syntax.yaml', '--json');
    expect(json.json<{ issues: Issue[] }>().issues.map((i) => [i.line, i.column])).toEqual([
      [3, 9],
      [5, 1],
    ]);
  });

  it('a valid file with a strong certificate passes (the checks above are not noise)', async () => {
    await writeFile(
      file('good.yaml'),
      `version: 1
idps:
  - id: okta
    displayName: Okta
    protocol: saml
    subjectClaim: oktaUserId
    saml: { entityId: "http://www.okta.com/ok", signingCertificates: [${strong.certificateB64}] }
    rules:
      - id: admins
        priority: 10
        effect: allow
        when: [{ claim: groups, op: matches, value: 'aws-[a-z]+' }]
        grant: { roleArn: "arn:aws:iam::111111111111:role/Admin" }
`,
    );
    const run = await cli('validate', 'good.yaml');
    expect(run.stdout).toContain('good.yaml is valid: 1 IdPs (okta saml), 1 rules');
    expect(run.code).toBe(0);
  });
});
