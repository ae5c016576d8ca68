import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache } from '../../../shared/mapping/index.js';
import { createPortalView } from '../../../shared/portal/index.js';
import { createSessionService, type SessionIdentity } from '../../../shared/session/index.js';
import { apiEvent } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemorySessionStore } from '../../support/memory-session-store.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, appendKeys() {} };
const T = Date.UTC(2026, 11, 7, 9, 0, 0);

const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'oidc',
      oidc: { issuer: 'https://okta.example.com', clientId: 'c' },
      session: { maxSeconds: 3600, idleSeconds: 900 },
      rules: [
        {
          id: 'admins',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/admin' },
        },
      ],
    },
  ],
});

const alice: SessionIdentity = {
  idp: 'okta',
  protocol: 'oidc',
  issuer: 'https://okta.example.com',
  subject: '00u1alice',
  subjectRef: hashSubject('okta:00u1alice'),
  claims: { groups: ['admins'] },
};

describe('the portal page (GET /)', () => {
  it('shows when the session idles out counting from its last recorded use, since viewing the page records none', async () => {
    let now = T;
    const attributes = createMemoryAttributeStore(config);
    const store = createMemorySessionStore(() => Math.floor(now / 1000));
    const sessions = createSessionService({
      store,
      loadIdp: (id) => attributes.getIdp(id),
      mapperFor: createMapperCache(attributes),
      log: silent,
      clock: () => now,
    });
    const view = createPortalView({
      sessions,
      settings: async () => ({ regions: ['us-east-1'], defaultRegion: 'us-east-1' }),
      idpDisplayName: async () => 'Okta',
      parseDestination: (raw) => new URL(raw ?? 'https://console.aws.amazon.com/'),
      publicBaseUrl: new URL('https://sso.example.com'),
      log: silent,
    });
    const { tokenValue } = await sessions.start({
      identity: alice,
      idp: config.idps[0] as never,
      kind: 'browser',
    });
    const get = () => view(apiEvent({ cookies: [`__Host-fedgate-session=${tokenValue}`] }));

    now = T + 600_000; // ten minutes later, the page is viewed: nothing is recorded
    const page = String((await get()).body);
    const idleEnd = new Date(T + 900_000).toISOString();
    expect(page).toContain(`Left unused, it ends at <time datetime="${idleEnd}"`);
    expect(store.calls.touch).toBe(0);
    // And so it does: five minutes after that view, the session has idled out.
    now = T + 901_000;
    await expect(get()).rejects.toMatchObject({ code: 'session_invalid' });
  });
});
