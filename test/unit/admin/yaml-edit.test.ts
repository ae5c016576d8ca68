import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyEditToValue, editYamlText, type YamlEdit } from '../../../infra/admin/yaml-edit.js';

// A config written the way people write them: comments everywhere, sequences flush with their
// key, flow maps with and without padding, quotes of both kinds, a blank line.
const FILE = `# ops-owned: keep this comment
version: 1   # the only version

idps:
- id: okta          # the Okta org
  displayName: "Okta"
  protocol: saml
  saml: {entityId: 'http://www.okta.com/exk1', signingCertificates: [AAAA]}
  rules:
  # admins first
  - id: admins
    priority: 10
    effect: allow
    when:
    - { claim: groups, op: equals, value: aws-admins }
    grant:
      roleArn: "arn:aws:iam::111111111111:role/Admin"
  - id: readers
    priority: 100
    effect: allow
    when: [{claim: groups, op: startsWith, value: aws-}]
    grant: { roleArn: 'arn:aws:iam::111111111111:role/ReadOnly' }
# trailing comment
`;

const RULE = {
  id: 'devs',
  priority: 20,
  effect: 'allow',
  when: [{ claim: 'groups', op: 'equals', value: 'devs' }],
  grant: { roleArn: 'arn:aws:iam::111111111111:role/Dev' },
};

const edit = (text: string, e: YamlEdit) => {
  const out = editYamlText(text, e);
  if (out === undefined) throw new Error('not editable in place');
  // Whatever the splice, the result means exactly the intended document.
  expect(parse(out)).toEqual(applyEditToValue(parse(text), e));
  return out;
};

describe('editYamlText changes only the lines of the edited node', () => {
  it('appends a rule after the last one, in the file’s indentation (flush sequences)', () => {
    const out = edit(FILE, { op: 'append', path: ['idps', 0, 'rules'], value: RULE });
    expect(out).toBe(
      FILE.replace(
        '# trailing comment\n',
        `  - id: devs
    priority: 20
    effect: allow
    when:
    - claim: groups
      op: equals
      value: devs
    grant:
      roleArn: arn:aws:iam::111111111111:role/Dev
# trailing comment
`,
      ),
    );
  });

  it('replaces one rule, leaving its neighbours and the comment above it as they were', () => {
    const out = edit(FILE, { op: 'set', path: ['idps', 0, 'rules', 0], value: RULE });
    expect(out).toBe(
      FILE.replace(
        `  - id: admins
    priority: 10
    effect: allow
    when:
    - { claim: groups, op: equals, value: aws-admins }
    grant:
      roleArn: "arn:aws:iam::111111111111:role/Admin"
`,
        `  - id: devs
    priority: 20
    effect: allow
    when:
    - claim: groups
      op: equals
      value: devs
    grant:
      roleArn: arn:aws:iam::111111111111:role/Dev
`,
      ),
    );
  });

  it('removes a rule with the comment lines directly above it', () => {
    const out = edit(FILE, { op: 'remove', path: ['idps', 0, 'rules', 0] });
    expect(out).toBe(
      FILE.replace(
        `  # admins first
  - id: admins
    priority: 10
    effect: allow
    when:
    - { claim: groups, op: equals, value: aws-admins }
    grant:
      roleArn: "arn:aws:iam::111111111111:role/Admin"
`,
        '',
      ),
    );
  });

  it('removing the last rule leaves an empty list, not a null', () => {
    const one = edit(FILE, { op: 'remove', path: ['idps', 0, 'rules', 0] });
    const none = edit(one, { op: 'remove', path: ['idps', 0, 'rules', 0] });
    expect(parse(none).idps[0].rules).toEqual([]);
    expect(none.startsWith(FILE.slice(0, FILE.indexOf('  rules:')))).toBe(true);
    expect(none.endsWith('  rules: []\n# trailing comment\n')).toBe(true);
  });

  it('sets a scalar in place, keeping the comment after it', () => {
    const out = edit(FILE, { op: 'set', path: ['idps', 0, 'id'], value: 'okta-prod' });
    expect(out).toBe(FILE.replace('- id: okta          #', '- id: okta-prod          #'));
  });

  it('adds a key after the last key of a mapping', () => {
    const out = edit(FILE, { op: 'set', path: ['idps', 0, 'listed'], value: false });
    expect(out).toBe(
      FILE.replace(
        "    grant: { roleArn: 'arn:aws:iam::111111111111:role/ReadOnly' }\n",
        "    grant: { roleArn: 'arn:aws:iam::111111111111:role/ReadOnly' }\n  listed: false\n",
      ),
    );
  });

  it('rewrites a flow mapping it edits as one pair, on its own lines only', () => {
    const out = edit(FILE, {
      op: 'set',
      path: ['idps', 0, 'saml'],
      value: { entityId: 'http://www.okta.com/exk1', signingCertificates: ['BBBB'] },
    });
    expect(out).toBe(
      FILE.replace(
        "  saml: {entityId: 'http://www.okta.com/exk1', signingCertificates: [AAAA]}\n",
        `  saml:
    entityId: http://www.okta.com/exk1
    signingCertificates:
    - BBBB
`,
      ),
    );
  });

  it('appends an IdP with a blank line before it when the IdPs are set apart by blank lines', () => {
    const spaced = `idps:
  - id: a
    protocol: oidc

  - id: b
    protocol: oidc
spaClients: []
`;
    const out = edit(spaced, {
      op: 'append',
      path: ['idps'],
      value: { id: 'c', protocol: 'oidc' },
    });
    expect(out).toBe(spaced.replace('spaClients', '\n  - id: c\n    protocol: oidc\nspaClients'));
  });

  it('creates a missing list, and turns `rules: []` into a block list', () => {
    const text = 'idps:\n  - id: a # keep\n    rules: []\n  - id: b\n';
    expect(edit(text, { op: 'append', path: ['idps', 0, 'rules'], value: 'r' })).toBe(
      'idps:\n  - id: a # keep\n    rules:\n      - r\n  - id: b\n',
    );
    expect(edit(text, { op: 'append', path: ['idps', 1, 'rules'], value: 'r' })).toBe(
      'idps:\n  - id: a # keep\n    rules: []\n  - id: b\n    rules:\n      - r\n',
    );
  });

  it('places a new item at the column of the items before it', () => {
    const text = 'idps:\n    -   id: a\n        displayName: A\n';
    expect(edit(text, { op: 'append', path: ['idps'], value: { id: 'b', displayName: 'B' } })).toBe(
      `${text}    - id: b\n      displayName: B\n`,
    );
  });

  it('keeps CRLF line endings, and adds a line ending a last line lacks', () => {
    const crlf = 'version: 1\r\nidps:\r\n  - id: a\r\n    rules: []\r\n';
    const out = edit(crlf, { op: 'set', path: ['idps', 0, 'displayName'], value: 'A' });
    expect(out).toBe('version: 1\r\nidps:\r\n  - id: a\r\n    rules: []\r\n    displayName: A\r\n');
    expect(edit('a: 1', { op: 'set', path: ['b'], value: 2 })).toBe('a: 1\nb: 2\n');
  });

  it('returns the text itself for an edit that changes nothing', () => {
    expect(editYamlText(FILE, { op: 'set', path: ['idps', 0, 'displayName'], value: 'Okta' })).toBe(
      FILE,
    );
    expect(editYamlText(FILE, { op: 'remove', path: ['idps', 0, 'subjectClaim'] })).toBe(FILE);
  });

  it('says when an edit cannot be made in place (a flow document, the only key of a mapping)', () => {
    expect(
      editYamlText('{version: 1, idps: []}', { op: 'append', path: ['idps'], value: 1 }),
    ).toBeUndefined();
    expect(
      editYamlText('idps:\n  - saml:\n      metadataFile: x\n', {
        op: 'remove',
        path: ['idps', 0, 'saml', 'metadataFile'],
      }),
    ).toBeUndefined();
    expect(editYamlText('a: [', { op: 'set', path: ['a'], value: 1 })).toBeUndefined();
  });
});
