import { describe, expect, it } from 'vitest';
import { editAwsConfig, lineDiff } from '../../../shared/cli-client/aws-config.js';
import { markerLineOf } from '../../../shared/cli-client/profiles.js';

const HOST = 'sso.example.com';
const M = markerLineOf(HOST);
const profile = (name: string, role = name, region = 'eu-west-1') => ({
  name,
  lines: [
    `[profile ${name}]`,
    `credential_process = fedgate credentials --role ${role}`,
    `region = ${region}`,
  ],
});

const EXISTING = `[default]
region = us-east-1
# my own, hands off
[profile work]
sso_session = corp
sso_account_id = 111111111111

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
`;

describe('editAwsConfig', () => {
  it('appends fedgate profiles, each after its marker, leaving every other line as it was', () => {
    const edit = editAwsConfig(EXISTING, HOST, [profile('fedgate-a'), profile('fedgate-b')]);
    expect(edit.text).toBe(
      `${EXISTING}\n${M}\n${profile('fedgate-a').lines.join('\n')}\n\n${M}\n${profile('fedgate-b').lines.join('\n')}\n`,
    );
    expect(edit).toMatchObject({ written: ['fedgate-a', 'fedgate-b'], removed: [], skipped: [] });
  });

  it('rewrites its own profiles in place and removes those no longer granted', () => {
    const first = editAwsConfig(EXISTING, HOST, [profile('fedgate-a'), profile('fedgate-b')]);
    const withTail = `${first.text}\n[profile after]\nregion = eu-central-1\n`;
    const second = editAwsConfig(withTail, HOST, [profile('fedgate-b', 'other', 'us-west-2')]);
    expect(second.removed).toEqual(['fedgate-a']);
    expect(second.written).toEqual(['fedgate-b']);
    expect(second.text).toBe(
      `${EXISTING}\n${M}\n${profile('fedgate-b', 'other', 'us-west-2').lines.join('\n')}\n\n[profile after]\nregion = eu-central-1\n`,
    );
  });

  it('is idempotent: the same wanted profiles give the same file', () => {
    const wanted = [profile('fedgate-a'), profile('fedgate-b')];
    const once = editAwsConfig(EXISTING, HOST, wanted).text;
    expect(editAwsConfig(once, HOST, wanted).text).toBe(once);
  });

  it('never touches a profile without its marker, even one named like a wanted one', () => {
    const mine = '[profile fedgate-a]\ncredential_process = my-own-thing\n';
    const edit = editAwsConfig(mine, HOST, [profile('fedgate-a'), profile('fedgate-b')]);
    expect(edit.skipped).toEqual(['fedgate-a']);
    expect(edit.text.startsWith(mine)).toBe(true);
    expect(edit.text).toContain('[profile fedgate-b]');
    expect(edit.text.match(/\[profile fedgate-a\]/g)).toHaveLength(1);
  });

  it("leaves another gateway's fedgate profiles alone", () => {
    const other = editAwsConfig('', 'other.example.com', [profile('fedgate-x')]).text;
    const edit = editAwsConfig(other, HOST, []);
    expect(edit.text).toBe(other);
    expect(edit.removed).toEqual([]);
  });

  it('a marker separated from its header by a blank line no longer claims it', () => {
    const text = `${M}\n\n[profile fedgate-a]\nregion = x\n`;
    const edit = editAwsConfig(text, HOST, []);
    expect(edit.text).toBe(text);
  });

  it('keeps CRLF line ends', () => {
    const edit = editAwsConfig('[default]\r\nregion = us-east-1\r\n', HOST, [profile('fedgate-a')]);
    expect(edit.text).toBe(
      `[default]\r\nregion = us-east-1\r\n\r\n${M}\r\n${profile('fedgate-a').lines.join('\r\n')}\r\n`,
    );
  });

  it('writes into an empty file', () => {
    expect(editAwsConfig('', HOST, [profile('fedgate-a')]).text).toBe(
      `${M}\n${profile('fedgate-a').lines.join('\n')}\n`,
    );
  });
});

describe('lineDiff', () => {
  it('shows removed and added lines with a little context', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const after = 'a\nb\nc\nd\nE\nf\ng\nh\ni\n';
    expect(lineDiff(before, after)).toBe('@@\n  c\n  d\n- e\n+ E\n  f\n  g\n  h\n+ i\n');
  });

  it('is empty when nothing changes', () => {
    expect(lineDiff('a\n', 'a\n')).toBe('');
  });
});
