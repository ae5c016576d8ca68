import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDemoOp,
  DEMO_OIDC_USERS,
  type DemoOidcUser,
  type DemoOp,
} from '../../../infra/local/demo/oidc-op.js';
import { ENTRA_CONSUMER_TENANT } from '../../../shared/oidc/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { driveOp } from './browserless.js';
import { codeOf, cookieOf, createRig, oidcIdp, PUBLIC_BASE, type Rig } from './rig.js';

const TENANT = '0b1e3c5a-7d2f-4e8a-9c61-5f0a2b4d6e18';
const OTHER_TENANT = '7f3e2d1c-0b9a-4876-9543-210fedcba987';
/** What the two rules of `oidcIdp` grant someone in `developers`, in rule order. */
const BOTH_ROLES = ['arn:aws:iam::111111111111:role/dev', 'arn:aws:iam::111111111111:role/reader'];

const entraUsers: DemoOidcUser[] = [
  {
    id: 'erin',
    name: 'Erin',
    story: '',
    claims: { tid: TENANT, oid: '11111111-2222-4333-8444-555555555555', groups: ['developers'] },
  },
  {
    id: 'frank',
    name: 'Frank',
    story: '',
    claims: {
      tid: OTHER_TENANT,
      oid: '66666666-2222-4333-8444-555555555555',
      groups: ['developers'],
    },
  },
  {
    id: 'grace',
    name: 'Grace',
    story: '',
    claims: {
      tid: TENANT,
      oid: '77777777-2222-4333-8444-555555555555',
      _claim_names: { groups: 'src1' },
      _claim_sources: {
        src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' },
      },
    },
  },
  {
    id: 'consumer',
    name: 'Con',
    story: '',
    claims: { tid: ENTRA_CONSUMER_TENANT, oid: '88888888-2222-4333-8444-555555555555' },
  },
];
const googleUsers: DemoOidcUser[] = [
  {
    id: 'gina',
    name: 'Gina',
    story: '',
    claims: { hd: 'example.com', email: 'gina@example.com', email_verified: true },
  },
  {
    id: 'hank',
    name: 'Hank',
    story: '',
    claims: { email: 'hank@gmail.com', email_verified: true },
  },
  {
    id: 'ivan',
    name: 'Ivan',
    story: '',
    claims: { hd: 'other.example', email: 'ivan@other.example', email_verified: true },
  },
];

/** oidc-provider, the real OP, served at `path` on its own port with the issuer shape of a profile. */
const serveOp = async (path: string, idp: string, users?: readonly DemoOidcUser[]) => {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const op = await createDemoOp({
    issuer,
    clients: [
      {
        clientId: 'fedgate',
        clientSecret: 'fedgate-secret',
        redirectUris: [new URL(`/oidc/${idp}/callback`, PUBLIC_BASE).href],
      },
    ],
    ...(users ? { users } : {}),
  });
  server.on('request', (req, res) => void op.handle(req, res));
  return { op, issuer, server };
};

describe('OIDC relying party against oidc-provider, per IdP profile', () => {
  const db = useDynamoDb();
  const servers: Server[] = [];
  type Served = { op: DemoOp; issuer: string; server: Server };
  let generic: Served;
  let okta: Served;
  let entra: Served;
  let google: Served;
  const secretEnv = { env: { OP_SECRET: 'fedgate-secret' } };
  const client = (issuer: string, extra: Record<string, unknown> = {}) => ({
    issuer,
    clientId: 'fedgate',
    clientSecretRef: 'env:OP_SECRET',
    ...extra,
  });

  beforeAll(async () => {
    generic = await serveOp('', 'generic');
    okta = await serveOp('/oauth2/default', 'okta');
    entra = await serveOp(`/${TENANT}/v2.0`, 'entra', entraUsers);
    google = await serveOp('', 'google', googleUsers);
    for (const s of [generic, okta, entra, google]) servers.push(s.server);
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((done) => s.close(done));
    }
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const signIn = async (rig: Rig, idp: string, user: string) => {
    const login = await rig.login(idp);
    expect(login.statusCode).toBe(302);
    const { callback } = await driveOp(new URL(String(login.headers?.location)), user);
    return rig.callback(idp, callback, cookieOf(login));
  };

  describe('generic', () => {
    let rig: Rig;
    beforeAll(() => {
      rig = createRig(db, [oidcIdp('generic', client(generic.issuer))], secretEnv);
    });

    it('a person in two rules gets the portal with both; one in one rule goes to the console', async () => {
      rig.assumed.length = 0;
      const olivia = await signIn(rig, 'generic', 'olivia');
      expect(await rig.portalRoles(olivia)).toEqual(BOTH_ROLES);
      // Nothing is assumed until a role is used from the portal.
      expect(rig.assumed).toEqual([]);
      const quinn = await signIn(rig, 'generic', 'quinn');
      expect(quinn.statusCode).toBe(302);
      expect(rig.assumed.map((a) => a.roleArn)).toEqual(['arn:aws:iam::111111111111:role/reader']);
    });

    it('PKCE is required by the OP, and fedgate sends S256', async () => {
      const login = await rig.login('generic');
      const authorize = new URL(String(login.headers?.location));
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      authorize.searchParams.delete('code_challenge');
      authorize.searchParams.delete('code_challenge_method');
      const res = await fetch(authorize, { redirect: 'manual' });
      expect(new URL(String(res.headers.get('location'))).searchParams.get('error')).toBe(
        'invalid_request',
      );
    });

    it('key rotation: the OP signs with a new key; a minute later fedgate refetches the JWKS and verifies', async () => {
      expect(await rig.portalRoles(await signIn(rig, 'generic', 'paul'))).toEqual(BOTH_ROLES);
      await generic.op.rotateKeys();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61_000);
      rig.assumed.length = 0;
      expect(await rig.portalRoles(await signIn(rig, 'generic', 'paul'))).toEqual(BOTH_ROLES);
    });

    it('a wrong client secret: an operator error (500); once fixed, the next sign-in works', async () => {
      const env = { OP_SECRET: 'nope' };
      const wrong = createRig(db, [oidcIdp('generic', client(generic.issuer))], { env });
      expect(await codeOf(() => signIn(wrong, 'generic', 'paul'))).toBe('server_error');
      expect(wrong.assumed).toEqual([]);
      expect(wrong.sessions.calls.create).toBe(0);
      // A rotated secret: the cached configuration was dropped, the secret is resolved again.
      env.OP_SECRET = 'fedgate-secret';
      expect(await wrong.portalRoles(await signIn(wrong, 'generic', 'paul'))).toEqual(BOTH_ROLES);
    });
  });

  describe('okta (custom authorization server issuer)', () => {
    it('signs in through /oauth2/default', async () => {
      const rig = createRig(
        db,
        [oidcIdp('okta', client(okta.issuer, { profile: 'okta' }))],
        secretEnv,
      );
      expect(await rig.portalRoles(await signIn(rig, 'okta', 'paul'))).toEqual(BOTH_ROLES);
    });

    it('signs in through an org authorization server (the issuer is the origin)', async () => {
      const rig = createRig(
        db,
        [oidcIdp('okta', client(generic.issuer, { profile: 'okta' }))],
        secretEnv,
      );
      const login = await rig.login('okta');
      expect(new URL(String(login.headers?.location)).pathname).toBe('/auth');
    });

    it('an Okta issuer that is neither an org nor a custom authorization server is a configuration error', async () => {
      const rig = createRig(
        db,
        [
          oidcIdp(
            'okta',
            client(`${okta.issuer.replace('/oauth2/default', '')}/sso/x`, { profile: 'okta' }),
          ),
        ],
        secretEnv,
      );
      expect(await codeOf(() => rig.login('okta'))).toBe('server_error');
    });
  });

  describe('entra', () => {
    let rig: Rig;
    beforeAll(() => {
      rig = createRig(
        db,
        [oidcIdp('entra', client(entra.issuer, { profile: 'entra', allowedTenants: [TENANT] }))],
        secretEnv,
      );
    });

    it('an allowed tenant signs in, keyed on tid/oid', async () => {
      const res = await signIn(rig, 'entra', 'erin');
      expect(await rig.portalRoles(res)).toEqual(BOTH_ROLES);
    });

    it.each([
      ['a foreign tenant', 'frank', 'oidc_tenant_not_allowed'],
      ['the consumer tenant (not listed)', 'consumer', 'oidc_tenant_not_allowed'],
      ['group overage (_claim_names.groups)', 'grace', 'oidc_group_overage'],
    ])('%s is refused', async (_, user, code) => {
      rig.assumed.length = 0;
      const created = rig.sessions.calls.create;
      expect(await codeOf(() => signIn(rig, 'entra', user))).toBe(code);
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(created);
    });
  });

  describe('google', () => {
    let rig: Rig;
    beforeAll(() => {
      rig = createRig(
        db,
        [
          oidcIdp(
            'google',
            client(google.issuer, { profile: 'google', allowedHostedDomains: ['example.com'] }),
          ),
        ],
        secretEnv,
      );
    });

    it('an allowed Workspace domain signs in', async () => {
      expect((await signIn(rig, 'google', 'gina')).statusCode).toBe(302);
    });

    it.each([
      ['a consumer account (no hd)', 'hank'],
      ['another Workspace domain', 'ivan'],
    ])('%s is refused', async (_, user) => {
      rig.assumed.length = 0;
      const created = rig.sessions.calls.create;
      expect(await codeOf(() => signIn(rig, 'google', user))).toBe(
        'oidc_hosted_domain_not_allowed',
      );
      expect(rig.assumed).toEqual([]);
      expect(rig.sessions.calls.create).toBe(created);
    });
  });

  it('the demo users have the claims the demo config reads', () => {
    for (const u of DEMO_OIDC_USERS) expect(u.claims).toHaveProperty('department');
  });
});
