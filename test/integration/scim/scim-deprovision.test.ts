import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAwsKillSwitch,
  createDirectoryJoin,
  createDirectoryReader,
} from '../../../shared/directory/index.js';
import { createMapperCache, subjectRefOf } from '../../../shared/mapping/index.js';
import {
  createSessionService,
  parseSessionToken,
  type SessionIdentity,
  sessionIdOf,
} from '../../../shared/session/index.js';
import { createDynamoSessionStore } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createScimRig, SCIM_TOKENS, scimTestConfig } from '../../support/scim-rig.js';

/**
 * Deprovisioning ends access (shared/directory/deprovision.ts): a SCIM delete or `active: false`
 * revokes the person's live fedgate sessions at once (their next use is refused), writes one audit
 * line with how many sessions it ended, and with the IdP's awsKillSwitch applies the AWS kill
 * switch in each target account, recording each account's outcome.
 */
const db = useDynamoDb();
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('deprovisioning', () => {
  const config = scimTestConfig({ entraKillSwitch: true });
  const applied: { account: string; sourceIdentities: readonly string[] }[] = [];
  let rig: ReturnType<typeof createScimRig>;
  let sessions: ReturnType<typeof createSessionService>;

  beforeAll(() => {
    const client = db.createClient();
    rig = createScimRig({
      client,
      names: db.names,
      config,
      // The kill switch's account loop over a stand-in for infra/admin/kill-switch-aws.ts `apply`:
      // the second account refuses, as an account without the writer role's trust would.
      killSwitch: createAwsKillSwitch(() => async (target, revocation) => {
        if (target.account === '222222222222') {
          throw Object.assign(new Error('denied'), { code: 'kill_switch_access_denied' });
        }
        applied.push({
          account: target.account,
          sourceIdentities: revocation.scope.sourceIdentities,
        });
      }),
    });
    // The config from memory, the directory from the table (what createDynamoAttributeStore joins).
    const attributes = {
      ...createMemoryAttributeStore(config),
      joinDirectory: createDirectoryJoin(createDirectoryReader({ store: rig.store })),
    };
    sessions = createSessionService({
      store: createDynamoSessionStore({ client, tableName: db.names.stateTableName }),
      loadIdp: (id) => attributes.getIdp(id),
      mapperFor: createMapperCache(attributes),
      log: captureLogger(),
    });
  });

  const provision = async (idp: 'okta' | 'entra', externalId: string) => {
    const token = idp === 'okta' ? SCIM_TOKENS.OKTA_SCIM_TOKEN : SCIM_TOKENS.ENTRA_SCIM_TOKEN;
    const res = await rig.request('POST', `/scim/v2/${idp}/Users`, {
      token,
      body: { userName: `${externalId}@x`, externalId, active: true },
    });
    expect(res.status).toBe(201);
    return { id: res.body?.id as string, token };
  };
  const signIn = async (idp: string, subject: string) => {
    const identity: SessionIdentity = {
      idp,
      protocol: 'saml',
      issuer: 'https://idp.example',
      subject,
      subjectRef: subjectRefOf(idp, subject),
      claims: {},
    };
    const idpConfig = config.idps.find((i) => i.id === idp);
    if (!idpConfig) throw new Error(idp);
    return (await sessions.start({ identity, idp: idpConfig, kind: 'browser' })).tokenValue;
  };
  const audit = () =>
    rig.log.lines
      .filter((l) => l.message === 'directory user deprovisioned')
      .map((l) => l.attrs[0] as Record<string, unknown>);

  // A session as `fedgate-admin sessions list` shows it: the first 12 characters of its table id.
  const shortIdOf = (tokenValue: string) => {
    const token = parseSessionToken(tokenValue);
    if (!token) throw new Error('not a session token');
    return sessionIdOf(token).slice(0, 12);
  };

  it('active: false ends both live sessions at their next use; the audit line names them', async () => {
    const { id, token } = await provision('okta', '00u1dana');
    await provision('okta', '00u1other');
    const first = await signIn('okta', '00u1dana');
    const second = await signIn('okta', '00u1dana');
    // A session of someone else is untouched.
    const bystander = await signIn('okta', '00u1other');
    await expect(sessions.resume(first, { kind: 'browser' })).resolves.toMatchObject({
      grants: [],
    });
    const res = await rig.request('PATCH', `/scim/v2/okta/Users/${id}`, {
      token,
      body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(res.status).toBe(200);
    for (const t of [first, second]) {
      await expect(sessions.resume(t, { kind: 'browser' })).rejects.toMatchObject({
        code: 'session_revoked',
      });
    }
    await expect(sessions.resume(bystander, { kind: 'browser' })).resolves.toMatchObject({
      grants: [],
    });
    expect(audit().at(-1)).toMatchObject({
      idp: 'okta',
      subject: subjectRefOf('okta', '00u1dana'),
      scimId: id,
      reason: 'deactivated',
      by: 'scim',
      sessionsEnded: 2,
    });
    expect([...((audit().at(-1)?.sessions as string[] | undefined) ?? [])].sort()).toEqual(
      [shortIdOf(first), shortIdOf(second)].sort(),
    );
    // A session started after the deprovisioning (a new upstream sign-in) is refused by the
    // directory join: the person is inactive.
    const again = await signIn('okta', '00u1dana');
    await expect(sessions.resume(again, { kind: 'browser' })).rejects.toMatchObject({
      code: 'directory_user_inactive',
    });
  });

  it("Okta's PUT with active: false (its custom integrations' deactivation) ends the sessions too", async () => {
    const { id, token } = await provision('okta', '00u1erin');
    const live = await signIn('okta', '00u1erin');
    const res = await rig.request('PUT', `/scim/v2/okta/Users/${id}`, {
      token,
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id,
        userName: '00u1erin@x',
        name: { givenName: 'Erin', familyName: 'Example' },
        emails: [{ primary: true, value: '00u1erin@x', type: 'work' }],
        displayName: 'Erin Example',
        locale: 'en-US',
        externalId: '00u1erin',
        groups: [],
        active: false,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body?.active).toBe(false);
    await expect(sessions.resume(live, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
    expect(audit().at(-1)).toMatchObject({
      idp: 'okta',
      scimId: id,
      reason: 'deactivated',
      sessionsEnded: 1,
      sessions: [shortIdOf(live)],
    });
  });

  it('delete ends the sessions too, and the kill switch runs in every account of the IdP', async () => {
    const subject = '7f1e2d3c-0000-4000-8000-000000000abc';
    const { id, token } = await provision('entra', subject);
    const live = await signIn('entra', subject);
    expect((await rig.request('DELETE', `/scim/v2/entra/Users/${id}`, { token })).status).toBe(204);
    await expect(sessions.resume(live, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
    const line = audit().at(-1);
    expect(line).toMatchObject({
      idp: 'entra',
      reason: 'deleted',
      sessionsEnded: 1,
      sessions: [shortIdOf(live)],
      awsKillSwitch: [
        { account: '111111111111', applied: true },
        { account: '222222222222', applied: false, code: 'kill_switch_access_denied' },
      ],
    });
    expect(applied).toEqual([
      { account: '111111111111', sourceIdentities: [`entra.${subjectRefOf('entra', subject)}`] },
    ]);
    expect(
      rig.log.lines.some(
        (l) => l.level === 'error' && l.message === 'deprovisioning kill switch incomplete',
      ),
    ).toBe(true);
  });

  it('a deactivated person stays deactivated unless a write says active: true (a PUT without it, a PATCH removing it)', async () => {
    const token = SCIM_TOKENS.OKTA_SCIM_TOKEN;
    const { id } = await provision('okta', '00u1gone');
    const deactivate = await rig.request('PATCH', `/scim/v2/okta/Users/${id}`, {
      token,
      body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(deactivate.body?.active).toBe(false);
    const put = await rig.request('PUT', `/scim/v2/okta/Users/${id}`, {
      token,
      body: { userName: '00u1gone@x', externalId: '00u1gone', displayName: 'Gone' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Gone', active: false });
    const removed = await rig.request('PATCH', `/scim/v2/okta/Users/${id}`, {
      token,
      body: { schemas: [PATCH], Operations: [{ op: 'remove', path: 'active' }] },
    });
    expect(removed.status).toBe(200);
    expect(removed.body?.active).toBe(false);
    expect((await rig.store.getUser('okta', id))?.active).toBe(false);
    // Only an explicit true re-activates.
    const back = await rig.request('PUT', `/scim/v2/okta/Users/${id}`, {
      token,
      body: { userName: '00u1gone@x', externalId: '00u1gone', active: true },
    });
    expect(back.body?.active).toBe(true);
  });

  it('no deprovisioning for a user created inactive, a repeated deactivation or a reactivation', async () => {
    const res = await rig.request('POST', '/scim/v2/okta/Users', {
      token: SCIM_TOKENS.OKTA_SCIM_TOKEN,
      body: { userName: 'idle@x', externalId: '00u1idle', active: false },
    });
    const before = audit().length;
    const id = res.body?.id as string;
    for (const active of [false, true]) {
      await rig.request('PATCH', `/scim/v2/okta/Users/${id}`, {
        token: SCIM_TOKENS.OKTA_SCIM_TOKEN,
        body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: active }] },
      });
    }
    expect(audit().length).toBe(before);
  });
});
