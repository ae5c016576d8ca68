import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSubject } from '../../../shared/log.js';
import { parseSessionToken, sessionIdOf } from '../../../shared/session/index.js';
import { codeKey } from '../../../shared/spa/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { ADMIN, createSpaRig, DEV, RULES, type SpaRig } from './rig.js';

/**
 * SPA sessions on the one session model, against DynamoDB Local and oidc-provider: a session
 * remembers the verified identity, and every refresh re-reads it with its revocation marks and
 * runs the CURRENT rules, filtered by the client's allowedRoles. An operator's change reaches the
 * attribute table with `applyConfig` (what `fedgate-admin apply` runs) between two refreshes.
 */
const db = useDynamoDb();
let rig: SpaRig;

beforeAll(async () => {
  rig = await createSpaRig(db);
});
afterAll(async () => {
  await rig?.stop();
});
beforeEach(async () => {
  await rig.apply(rig.configWith([RULES.developers, RULES.admins]));
  rig.assumed.splice(0);
});

const grantIds = (json: Record<string, unknown>) =>
  Object.fromEntries((json.grants as { id: string; label: string }[]).map((g) => [g.label, g.id]));

describe('re-evaluation at every refresh', () => {
  it('a deleted rule: the next refresh of that role is refused, the other role still refreshes', async () => {
    const olivia = rig.browser();
    const redeemed = await olivia.session('olivia');
    const ids = grantIds(redeemed.json);
    expect((await olivia.call('/credentials', { grant: ids.Administrator })).status).toBe(200);

    await rig.apply(rig.configWith([RULES.developers]));
    const admin = await olivia.call('/credentials', { grant: ids.Administrator });
    expect([admin.status, admin.json.error]).toEqual([403, 'grant_not_available']);
    const listed = await olivia.call('/grants', {});
    expect((listed.json.grants as { label: string }[]).map((g) => g.label)).toEqual(['Developer']);
    const dev = await olivia.call('/credentials', {});
    expect(dev.json).toMatchObject({ role: { arn: DEV } });
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([ADMIN, DEV]);
  });

  it('a new deny: the next refresh issues nothing', async () => {
    const paul = rig.browser();
    await paul.session('paul');
    expect(rig.assumed).toHaveLength(1);
    await rig.apply(rig.configWith([RULES.denyData, RULES.developers, RULES.admins]));
    const refused = await paul.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([403, 'no_role_matched']);
    expect((await paul.call('/grants', {})).json.grants).toEqual([]);
    expect(rig.assumed).toHaveLength(1);
    // Lifting the deny gives the role back to the same session: nothing was remembered.
    await rig.apply(rig.configWith([RULES.developers]));
    expect((await paul.call('/credentials', {})).status).toBe(200);
  });

  it('a removed IdP: the session ends at the next refresh', async () => {
    const paul = rig.browser();
    await paul.session('paul');
    await rig.apply(rig.configWith([], {}, false));
    const refused = await paul.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed).toHaveLength(1);
  });

  it('a revocation of the subject (the session store’s revoke): the next refresh is refused', async () => {
    const paul = rig.browser();
    const olivia = rig.browser();
    await paul.session('paul');
    await olivia.session('olivia', undefined);
    await rig.sessionStore.revoke(
      { kind: 'subject', idp: 'corp', subjectRef: hashSubject('corp:paul') },
      Date.now() + 1,
      Math.floor(Date.now() / 1000) + 86_400,
    );
    const refused = await paul.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([401, 'session_revoked']);
    // Someone else's session is not touched by it.
    expect((await olivia.call('/grants', {})).status).toBe(200);
  });

  it('allowedRoles: the client never hands out a role outside its list, whatever the rules grant', async () => {
    await rig.apply(rig.configWith([RULES.developers, RULES.admins], { allowedRoles: [DEV] }));
    const olivia = rig.browser();
    // Two grants by the rules, one for this client: redemption issues it at once.
    const redeemed = await olivia.session('olivia');
    expect(redeemed.json).toMatchObject({ role: { arn: DEV } });
    expect((await olivia.call('/grants', {})).json.grants).toHaveLength(1);
    // Narrowed to an account the person has no role in: nothing any more, at the next refresh.
    await rig.apply(
      rig.configWith([RULES.developers, RULES.admins], { allowedRoles: ['333333333333'] }),
    );
    const refused = await olivia.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([403, 'no_role_matched']);
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([DEV]);
  });
});

describe('forged and edited items get nothing beyond what their identity gets now', () => {
  it('a session item edited to carry grants is refused', async () => {
    const paul = rig.browser();
    await paul.session('paul');
    const token = parseSessionToken(paul.jar.get('__Host-fedgate-spa-app'));
    if (!token) throw new Error('no session token');
    const key = { pk: { S: `SESSION#${sessionIdOf(token)}` } };
    const item = (
      await rig.dynamo.send(
        new GetItemCommand({ TableName: rig.stateTableName, Key: key, ConsistentRead: true }),
      )
    ).Item;
    if (!item?.data?.S) throw new Error('no session item');
    const record = JSON.parse(item.data.S) as Record<string, unknown>;
    await rig.dynamo.send(
      new PutItemCommand({
        TableName: rig.stateTableName,
        Item: { ...item, data: { S: JSON.stringify({ ...record, grants: [{ roleArn: ADMIN }] }) } },
      }),
    );
    const refused = await paul.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([401, 'session_invalid']);
    expect(rig.assumed.map((a) => a.grant.roleArn)).toEqual([DEV]);
  });

  it('a session item whose claims were edited gets what the current rules give those claims, and a deny still applies', async () => {
    const paul = rig.browser();
    await paul.session('paul');
    const token = parseSessionToken(paul.jar.get('__Host-fedgate-spa-app'));
    if (!token) throw new Error('no session token');
    const key = { pk: { S: `SESSION#${sessionIdOf(token)}` } };
    const item = (
      await rig.dynamo.send(
        new GetItemCommand({ TableName: rig.stateTableName, Key: key, ConsistentRead: true }),
      )
    ).Item;
    const record = JSON.parse(String(item?.data?.S)) as {
      identity: { claims: Record<string, string[]> };
    };
    // Whoever can write the table can claim any group: the rules decide on what is there now —
    // the defence is that a deny or a removed rule still applies to it.
    record.identity.claims.groups = ['developers', 'platform-admins'];
    await rig.dynamo.send(
      new PutItemCommand({
        TableName: rig.stateTableName,
        Item: { ...item, data: { S: JSON.stringify(record) } },
      }),
    );
    const labels = (await paul.call('/grants', {})).json.grants as { label: string }[];
    expect(labels.map((g) => g.label)).toEqual(['Developer', 'Administrator']);
    await rig.apply(rig.configWith([RULES.denyData, RULES.developers, RULES.admins]));
    const refused = await paul.call('/credentials', {});
    expect([refused.status, refused.json.error]).toEqual([403, 'no_role_matched']);
  });

  it('a one-time code item forged with grants is refused, and so is one of the former shape', async () => {
    const paul = rig.browser();
    const s = await paul.signIn('paul');
    const stored = (
      await rig.dynamo.send(
        new GetItemCommand({
          TableName: rig.stateTableName,
          Key: { pk: { S: codeKey(s.code) } },
          ConsistentRead: true,
        }),
      )
    ).Item;
    if (!stored?.data?.S) throw new Error('no code item');
    const code = JSON.parse(stored.data.S) as Record<string, unknown>;
    await rig.dynamo.send(
      new PutItemCommand({
        TableName: rig.stateTableName,
        Item: {
          ...stored,
          data: { S: JSON.stringify({ ...code, grants: [{ id: 'x', roleArn: ADMIN }] }) },
        },
      }),
    );
    const refused = await paul.call('/redeem', { code: s.code, code_verifier: s.verifier });
    expect([refused.status, refused.json.error]).toEqual([400, 'spa_code_invalid']);
    expect(rig.assumed).toEqual([]);
  });
});

describe('what the state table holds', () => {
  /** Every item of the state table, as stored (all attributes), as one string. */
  const scan = async () =>
    JSON.stringify(
      (
        await rig.dynamo.send(
          new ScanCommand({ TableName: rig.stateTableName, ConsistentRead: true }),
        )
      ).Items ?? [],
    );

  it('never a one-time code, a login-binding cookie, a session token or a PKCE verifier', async () => {
    // Only this test's items: the tests above forged some on purpose.
    const before = await rig.dynamo.send(new ScanCommand({ TableName: rig.stateTableName }));
    for (const item of before.Items ?? []) {
      await rig.dynamo.send(
        new DeleteItemCommand({ TableName: rig.stateTableName, Key: { pk: item.pk as never } }),
      );
    }
    const olivia = rig.browser();
    const s = await olivia.signIn('olivia');
    const binding = olivia.jar.get('__Host-fedgate-spa-login') as string;
    expect(binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const afterCallback = await scan();
    expect(afterCallback).toContain('CODE#');
    for (const secret of [s.code, binding, s.verifier]) expect(afterCallback).not.toContain(secret);

    const redeemed = await olivia.call('/redeem', { code: s.code, code_verifier: s.verifier });
    expect(redeemed.status).toBe(200);
    const tokenValue = olivia.jar.get('__Host-fedgate-spa-app') as string;
    const token = parseSessionToken(tokenValue);
    if (!token) throw new Error('no session token');
    const ids = grantIds(redeemed.json);
    await olivia.call('/credentials', { grant: ids.Developer });
    const afterUse = await scan();
    expect(afterUse).toContain(`SESSION#${sessionIdOf(token)}`);
    for (const secret of [s.code, binding, s.verifier, tokenValue, token.secret]) {
      expect(afterUse).not.toContain(secret);
    }
    // Nor credentials, nor grants: the session item is the identity.
    expect(afterUse).not.toContain('fake-secret');
    expect(afterUse).not.toContain(ADMIN);
  });
});
