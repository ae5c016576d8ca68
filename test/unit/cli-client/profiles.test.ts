import { describe, expect, it } from 'vitest';
import {
  markerHostOf,
  markerLineOf,
  type ProfileRole,
  profileNameOf,
  roleArgumentOf,
} from '../../../shared/cli-client/profiles.js';

const role = (over: Partial<ProfileRole>): ProfileRole => ({
  id: 'AbCdEfGhIjKlMnOpQrStUv',
  label: 'Developer',
  accountId: '111111111111',
  accountAlias: 'sandbox',
  roleArn: 'arn:aws:iam::111111111111:role/dev',
  ...over,
});

describe('profile names and role arguments', () => {
  it('names profiles <prefix><alias or account>-<label>, reduced to safe characters', () => {
    expect(profileNameOf('fedgate-', role({}))).toBe('fedgate-sandbox-Developer');
    expect(profileNameOf('', role({ accountAlias: undefined }))).toBe('111111111111-Developer');
    expect(profileNameOf('p-', role({ label: 'Data Scientist (read) ' }))).toBe(
      'p-sandbox-Data-Scientist-read',
    );
    expect(profileNameOf('p-', role({ label: 'ops]\n[profile x' }))).toBe(
      'p-sandbox-ops-profile-x',
    );
  });

  it('names the role by account/label when that is unique, else by id', () => {
    const dev = role({});
    const prodDev = role({ id: 'prod-dev-id', accountAlias: 'production' });
    expect(roleArgumentOf(dev, [dev, prodDev])).toBe('sandbox/Developer');
    const twin = role({ id: 'twin', roleArn: 'arn:aws:iam::111111111111:role/dev2' });
    expect(roleArgumentOf(dev, [dev, twin])).toBe(dev.id);
    // Case-insensitively equal names are ambiguous too.
    const lower = role({ id: 'lower', label: 'developer' });
    expect(roleArgumentOf(dev, [dev, lower])).toBe(dev.id);
  });

  it('quotes a name with spaces, and falls back to the id for characters a shell would read', () => {
    const spaced = role({ label: 'Data Scientist' });
    expect(roleArgumentOf(spaced, [spaced])).toBe('"sandbox/Data Scientist"');
    for (const label of ['a"b', 'a$b', 'a`b', 'a\\b', "a'b", 'a%b', 'a!b']) {
      const r = role({ label });
      expect(roleArgumentOf(r, [r]), label).toBe(r.id);
    }
  });

  it('marks its profiles with a line naming the gateway, and reads it back', () => {
    const line = markerLineOf('sso.example.com');
    expect(markerHostOf(line)).toBe('sso.example.com');
    expect(markerHostOf('# managed by someone else')).toBeUndefined();
  });
});
