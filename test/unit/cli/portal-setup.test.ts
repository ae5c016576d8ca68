import { describe, expect, it } from 'vitest';
import { cliSetupFor } from '../../../shared/cli/index.js';
import { editAwsConfig } from '../../../shared/cli-client/aws-config.js';
import { profileLines } from '../../../shared/cli-client/profiles.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { createPortalActions } from '../../../shared/portal/index.js';
import { apiEvent } from '../../support/events.js';
import { testParseDestination } from '../../support/signin-rig.js';
import { BASE, createCliRig } from './rig.js';

const grant = (over: Partial<Grant>): Grant =>
  ({
    id: 'AbCdEfGhIjKlMnOpQrStUv',
    label: 'Developer',
    accountId: '111111111111',
    accountAlias: 'sandbox',
    roleArn: 'arn:aws:iam::111111111111:role/dev',
    durationSeconds: 3600,
    tags: [],
    ...over,
  }) as unknown as Grant;

const unescapeHtml = (s: string) =>
  s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&');

describe('cliSetupFor: the access keys page shows what fedgate configure writes', () => {
  it('gives the login and configure commands, and the very profile configure would write', () => {
    const g = grant({});
    const out = cliSetupFor({
      grant: g,
      grants: [g],
      region: 'eu-west-1',
      publicBaseUrl: BASE,
    }).value;
    expect(out).toContain('fedgate login --gateway https://sso.example.com\nfedgate configure');
    const block = unescapeHtml(/<code id="cli-profile">([^<]*)<\/code>/.exec(out)?.[1] ?? '');
    const lines = profileLines({
      name: 'fedgate-sandbox-Developer',
      command: 'fedgate',
      roleArgument: 'sandbox/Developer',
      region: 'eu-west-1',
    });
    expect(block).toBe(lines.join('\n'));
    // configure writes the same lines (after its marker).
    const written = editAwsConfig('', 'sso.example.com', [
      { name: 'fedgate-sandbox-Developer', lines },
    ]).text;
    expect(written).toContain(block);
    expect(out).toContain('data-copy="cli-profile"');
  });

  it('names the role by id when account/label is not unique, and escapes labels', () => {
    const a = grant({ label: '<b>x</b>' });
    const b = grant({
      id: 'other',
      label: '<b>x</b>',
      roleArn: 'arn:aws:iam::111111111111:role/y',
    });
    const out = cliSetupFor({
      grant: a,
      grants: [a, b],
      region: 'eu-west-1',
      publicBaseUrl: BASE,
    }).value;
    expect(out).toContain('--role AbCdEfGhIjKlMnOpQrStUv');
    expect(out).not.toContain('<b>');
  });

  it('is on the portal access keys page', async () => {
    const rig = createCliRig();
    const { cookies } = await rig.browser();
    const portal = createPortalActions({
      sessions: rig.signIn.sessions,
      access: rig.signIn.access,
      settings: async () => ({ regions: ['eu-west-1'], defaultRegion: 'eu-west-1' }),
      parseDestination: testParseDestination,
      publicBaseUrl: BASE,
      log: rig.log,
    });
    const live = await rig.signIn.sessions.resume(cookies[0]?.split('=')[1], { kind: 'browser' });
    const admin = live.grants.find((g) => g.label === 'Admin') as Grant;
    const res = await portal.keys(
      apiEvent({
        path: '/portal/keys',
        rawQueryString: `grant=${admin.id}&region=eu-west-1`,
        cookies,
      }),
    );
    expect(res.body).toContain(
      '<section class="card" id="cli-setup"><h2 id="cli-heading">From the fedgate CLI</h2>',
    );
    expect(res.body).toContain('credential_process = fedgate credentials --role production/Admin');
  });
});
