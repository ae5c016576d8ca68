import type { AccessKeysView, PortalGrant, PortalView } from '../../../shared/portal/index.js';

/**
 * Demo data for the portal pages (unit tests, the browser test, the screenshots and the bench):
 * two accounts, sandbox 111111111111 and production 222222222222, a few roles each.
 */
export const BASE = new URL('https://aws.example.com/');

const grant = (
  id: string,
  label: string,
  account: [alias: string | undefined, id: string],
  role: string,
  durationSeconds = 3600,
  tagKeys: readonly string[] = [],
): PortalGrant => ({
  id,
  label,
  roleArn: `arn:aws:iam::${account[1]}:role/${role}`,
  accountId: account[1],
  ...(account[0] ? { accountAlias: account[0] } : {}),
  durationSeconds,
  tagKeys,
});

const SANDBOX: [string, string] = ['sandbox', '111111111111'];
const PRODUCTION: [string, string] = ['production', '222222222222'];

export const DEMO_GRANTS: readonly PortalGrant[] = [
  grant('g-prod-admin', 'Administrator', PRODUCTION, 'fedgate-Administrator', 3600, [
    'team',
    'costCenter',
  ]),
  grant('g-prod-read', 'ReadOnly', PRODUCTION, 'fedgate-ReadOnly', 43_200, ['team']),
  grant('g-prod-deploy', 'Deployer', PRODUCTION, 'ci/fedgate-Deployer', 5400),
  grant('g-sbx-admin', 'Administrator', SANDBOX, 'fedgate-Administrator', 28_800, ['team']),
  grant('g-sbx-dev', 'Developer', SANDBOX, 'fedgate-Developer', 28_800, ['team', 'project']),
  grant('g-sbx-billing', 'Billing', SANDBOX, 'fedgate-Billing'),
];

export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'eu-north-1',
  'ap-northeast-1',
  'ap-southeast-2',
  'sa-east-1',
] as const;

/** The demo portal view; `now` (epoch s) anchors the session's end 7 h 50 min later. */
export const demoPortalView = (now: number, over: Partial<PortalView> = {}): PortalView => ({
  person: { displayName: 'Alice Example', idpDisplayName: 'Okta' },
  session: { expiresAt: now + 7 * 3600 + 50 * 60, idleExpiresAt: now + 3600 },
  grants: DEMO_GRANTS,
  recent: ['g-prod-read', 'g-gone', 'g-sbx-dev', 'g-prod-read'],
  csrf: 'csrf-4f1c2e9a',
  regions: REGIONS,
  defaultRegion: 'eu-west-1',
  actions: { open: new URL('/open', BASE), signOut: new URL('/sign-out', BASE) },
  requestId: 'req-7d1e0c',
  support: { text: 'IT help desk', url: 'https://help.example.com/aws' },
  ...over,
});

const LABELS = [
  'Administrator',
  'Developer',
  'ReadOnly',
  'Billing',
  'Deployer',
  'SecurityAudit',
  'DataScientist',
  'NetworkAdmin',
  'SupportUser',
  'PowerUser',
];

/** 150 grants in 40 accounts (accounts team-00 … team-39; every fifth without an alias). */
export const manyGrants = (): PortalGrant[] =>
  Array.from({ length: 150 }, (_, i) => {
    const a = i % 40;
    const id = String(300_000_000_000 + a * 1_000_003);
    const alias = a % 5 === 4 ? undefined : `team-${String(a).padStart(2, '0')}`;
    const label = LABELS[(i * 7 + Math.floor(i / 40)) % LABELS.length] as string;
    return grant(
      `g-${i}`,
      `${label}${i >= 100 ? ' (break-glass)' : ''}`,
      [alias, id],
      `r-${i}`,
      3600,
      ['team'],
    );
  });

/** The demo access keys view (fake values of AWS's shapes: the local STS stand-in's kind). */
export const demoAccessKeysView = (
  now: number,
  over: Partial<AccessKeysView> = {},
): AccessKeysView => ({
  credentials: {
    accessKeyId: 'ASIAXLOCALDEMO7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
    sessionToken: `IQoJb3JpZ2luX2VjEDEMO//////////wEaCWV1LXdlc3QtMSJHMEUCIQ${'Dx7vEXAMPLE+tokenPart/'.repeat(24)}==`,
    expiration: new Date((now + 3600) * 1000),
  },
  grant: DEMO_GRANTS[0] as PortalGrant,
  region: 'eu-west-1',
  portal: new URL('/', BASE),
  requestId: 'req-2b9f41',
  support: { text: 'IT help desk', url: 'https://help.example.com/aws' },
  ...over,
});
