import { copyFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  createDemoKeys,
  createWorkspace,
  DEMO_VARS,
  type DemoKeys,
  oktaMetadata,
  runCli,
  writeDemoWorkspace,
} from './support.js';

/**
 * `import-idp` and `rules` edit a YAML config in place: every line they do not touch stays byte
 * for byte as it was (comments, flow maps, quotes, blank lines), and an edit that changes nothing
 * writes nothing, not even the file's modification time.
 */

let ws: { dir: string; remove(): Promise<void> };
let keys: DemoKeys;
let demoConfig: string;
const cli = (...argv: string[]) => runCli(argv, { cwd: ws.dir });
const file = (name: string) => join(ws.dir, name);
const read = (name: string) => readFile(file(name), 'utf8');

beforeAll(async () => {
  ws = await createWorkspace();
  keys = await createDemoKeys();
  demoConfig = await writeDemoWorkspace(ws.dir, keys);
});
afterAll(() => ws.remove());
// Every test starts from the repo's own demo config, as shipped.
beforeEach(() =>
  copyFile(new URL('../../../infra/local/demo-config.yaml', import.meta.url), file(demoConfig)),
);

/**
 * The one block of lines in which `after` differs from `before`: every line above and below it
 * is identical, so the edit touched only `removed` (gone) and `inserted` (new).
 */
const changedBlock = (before: string, after: string) => {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  return { removed: a.slice(head, a.length - tail), inserted: b.slice(head, b.length - tail) };
};

/** The lines of the demo config from `first` up to (not including) the line `next`. */
const linesOf = (text: string, first: string, next: string) => {
  const lines = text.split('\n');
  const from = lines.indexOf(first);
  const to = lines.indexOf(next, from + 1);
  expect(from).toBeGreaterThan(0);
  expect(to).toBeGreaterThan(from);
  return lines.slice(from, to);
};

const RULE = {
  id: 'admins',
  priority: 30,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'contains', value: 'aws-admins' }],
  grant: {
    roleArn: 'arn:aws:iam::111111111111:role/Admin',
    sessionTags: { team: '{claims.team}' },
  },
};
const RULE_LINES = [
  '      - id: admins',
  '        priority: 30',
  '        effect: allow',
  '        when:',
  '          - claim: groups',
  '            op: contains',
  '            value: aws-admins',
  '        grant:',
  '          roleArn: arn:aws:iam::111111111111:role/Admin',
  '          sessionTags:',
  '            team: "{claims.team}"',
];

describe('rules edit only their own lines of the demo config', () => {
  const rules = (...argv: string[]) =>
    cli('rules', ...argv, '--config', demoConfig, ...DEMO_VARS, '--json');

  it('rules add inserts the new rule and changes no other line', async () => {
    const before = await read(demoConfig);
    const run = await rules('add', '--idp', 'demo-okta', '--rule', JSON.stringify(RULE));
    expect(run.code).toBe(0);
    expect(changedBlock(before, await read(demoConfig))).toEqual({
      removed: [],
      inserted: RULE_LINES,
    });
  });

  it('rules add --replace swaps that rule’s lines only (its neighbours’ flow maps stay)', async () => {
    const before = await read(demoConfig);
    const old = linesOf(
      before,
      '      - id: developers-sandbox',
      '      - id: aws-groups-readonly',
    );
    const run = await rules(
      'add',
      '--idp',
      'demo-okta',
      '--replace',
      '--rule',
      JSON.stringify({ ...RULE, id: 'developers-sandbox' }),
    );
    expect(run.code).toBe(0);
    // The rule's first line (`- id: developers-sandbox`) is the same before and after.
    expect(changedBlock(before, await read(demoConfig))).toEqual({
      removed: old.slice(1),
      inserted: RULE_LINES.slice(1),
    });
  });

  it('rules remove takes the rule’s lines (and the comments inside it) and nothing else', async () => {
    const before = await read(demoConfig);
    const old = linesOf(before, '      - id: cloud-admins', '      - id: app-role-developer');
    expect(old).toContain('          # Entra sends group object ids, not names');
    const run = await rules('remove', '--idp', 'demo-entra', '--rule-id', 'cloud-admins');
    expect(run.code).toBe(0);
    expect(changedBlock(before, await read(demoConfig))).toEqual({ removed: old, inserted: [] });
  });
});

describe('import-idp edits only its own lines', () => {
  beforeAll(async () => {
    await writeFile(file('okta.xml'), oktaMetadata({ certificates: [keys.okta.certificateB64] }));
    await writeFile(
      file('okta-rolled.xml'),
      oktaMetadata({ certificates: [keys.entra.certificateB64] }),
    );
  });
  const importOkta = (metadata: string, ...more: string[]) =>
    cli(
      'import-idp',
      '--id',
      'okta',
      '--metadata',
      metadata,
      '--config',
      demoConfig,
      ...DEMO_VARS,
      ...more,
    );

  it('adds an IdP after the last one (set apart by a blank line, as the demo IdPs are)', async () => {
    const before = await read(demoConfig);
    const run = await importOkta('okta.xml');
    expect(run.code).toBe(0);
    const after = await read(demoConfig);
    const { removed, inserted } = changedBlock(before, after);
    expect(removed).toEqual([]);
    expect(parseYaml(inserted.join('\n'))).toEqual([
      expect.objectContaining({ id: 'okta', protocol: 'saml', rules: [] }),
    ]);
    // After demo-oidc's last line, a blank line, then the new IdP; the SPA section follows.
    expect(after).toContain('transitiveTagKeys: [department]\n\n  - id: okta\n');
    expect(after).toContain('    rules: []\n\n# Single-page apps');
  });

  it('--update (a certificate rollover) changes the certificate lines only', async () => {
    // An IdP written by hand, in the demo config's own style.
    const handWritten = `
  - id: okta
    displayName: Okta
    protocol: saml
    subjectClaim: oktaUserId   # user.id, never the email
    saml:
      entityId: "http://www.okta.com/exk1fedgateadmin"
      signingCertificates: [${keys.okta.certificateB64}]
    rules: []
`;
    const shipped = await read(demoConfig);
    await writeFile(
      file(demoConfig),
      shipped.replace('\n# Single-page apps', `${handWritten}\n# Single-page apps`),
    );
    const before = await read(demoConfig);
    const run = await importOkta('okta-rolled.xml', '--update');
    expect(run.code).toBe(0);
    expect(changedBlock(before, await read(demoConfig))).toEqual({
      removed: [`      signingCertificates: [${keys.okta.certificateB64}]`],
      inserted: [
        '      signingCertificates:',
        `        - ${keys.entra.certificateB64}`,
        '      ssoUrl: https://dev-4242.okta.com/app/dev-4242_fedgate_1/exk1fedgateadmin/sso/saml',
      ],
    });
  });

  it('--update that changes nothing writes nothing, not even the modification time', async () => {
    expect((await importOkta('okta.xml')).code).toBe(0);
    const past = new Date('2001-02-03T04:05:06Z');
    await utimes(file(demoConfig), past, past);
    const before = await read(demoConfig);
    const run = await importOkta('okta.xml', '--update', '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      action: 'unchanged',
      saved: { kind: 'file', changed: false, written: false },
    });
    expect(await read(demoConfig)).toBe(before);
    expect((await stat(file(demoConfig))).mtime).toEqual(past);
  });

  it('the same for a JSON config, and a JSON edit keeps the file’s own indentation', async () => {
    expect((await importOkta('okta-rolled.xml')).code).toBe(0);
    const demo = parseYaml(await read(demoConfig)) as { idps: { id: string }[] };
    const json = `${JSON.stringify({ version: 1, idps: demo.idps.filter((i) => i.id === 'okta') }, null, 4)}\n`;
    await writeFile(file('gw.json'), json);
    const past = new Date('2001-02-03T04:05:06Z');
    await utimes(file('gw.json'), past, past);
    const update = (metadata: string) =>
      cli('import-idp', '--id', 'okta', '--metadata', metadata, '--update', '--config', 'gw.json');
    expect((await update('okta-rolled.xml')).code).toBe(0);
    expect(await read('gw.json')).toBe(json);
    expect((await stat(file('gw.json'))).mtime).toEqual(past);
    expect((await update('okta.xml')).code).toBe(0);
    expect(changedBlock(json, await read('gw.json'))).toEqual({
      removed: [`                    "${keys.entra.certificateB64}"`],
      inserted: [`                    "${keys.okta.certificateB64}"`],
    });
  });
});
