import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { subjectRefOf } from '../../../shared/mapping/index.js';
import { directoryKeys, revocationKey } from '../../../shared/store/index.js';
import { queryAll } from '../../../shared/store/paginate.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { createScimRig, SCIM_TOKENS, type ScimRig } from '../../support/scim-rig.js';

/**
 * Okta- and Entra-shaped provisioning sequences (test/fixtures/scim/*-sequence.json, shaped as
 * the vendors' published SCIM guides show their requests) replayed against DynamoDB Local through
 * the SCIM function's composition, then the attribute and state tables read back.
 */
const db = useDynamoDb();

interface Step {
  name: string;
  method: string;
  path: string;
  status: number;
  body?: unknown;
  save?: Record<string, string>;
  expect?: Record<string, unknown>;
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/scim/${name}-sequence.json`, 'utf8')) as {
    idp: string;
    steps: Step[];
  };

const substitute = <T>(value: T, vars: Map<string, string>): T =>
  JSON.parse(
    JSON.stringify(value).replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const v = vars.get(name);
      if (v === undefined) throw new Error(`no {{${name}}} yet`);
      return v;
    }),
  ) as T;

const replay = async (rig: ScimRig, name: string, token: string) => {
  const { steps } = fixture(name);
  const vars = new Map<string, string>();
  for (const raw of steps) {
    const step = substitute(raw, vars);
    const res = await rig.request(step.method, step.path, {
      token,
      ...(step.body !== undefined ? { body: step.body } : {}),
    });
    expect({ step: step.name, status: res.status }).toEqual({
      step: step.name,
      status: step.status,
    });
    if (step.expect) expect(res.body, step.name).toMatchObject(step.expect);
    for (const [v, field] of Object.entries(step.save ?? {}))
      vars.set(v, String(res.body?.[field]));
  }
  return vars;
};

const partition = async (pk: string) =>
  (
    await queryAll(db.createClient(), {
      TableName: db.names.attributeTableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
    })
  ).map((i) => i.sk?.S);

const revoked = async (idp: string, subject: string) => {
  const items = await queryAll(db.createClient(), {
    TableName: db.names.stateTableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: {
      ':pk': { S: revocationKey({ kind: 'subject', idp, subjectRef: subjectRefOf(idp, subject) }) },
    },
  });
  return items.length === 1;
};

const tableText = async () =>
  JSON.stringify(
    (await db.createClient().send(new ScanCommand({ TableName: db.names.attributeTableName })))
      .Items,
  );

describe('SCIM provisioning sequences against DynamoDB Local', () => {
  let rig: ScimRig;
  beforeAll(() => {
    rig = createScimRig({ client: db.createClient(), names: db.names });
  });

  it('Okta: create, PUT update, deactivate and reactivate, Push Groups, delete, re-create', async () => {
    const vars = await replay(rig, 'okta', SCIM_TOKENS.OKTA_SCIM_TOKEN);
    const [recreated, second, group] = ['recreated', 'second', 'group'].map(
      (v) => vars.get(v) as string,
    ) as [string, string, string];

    // The re-created person: a new SCIM id, the same subject, no memberships left from before.
    const person = await rig.store.readPerson('okta', '00ujl29u0le5T6Aj10h7');
    expect(person.user).toMatchObject({
      id: recreated,
      active: true,
      userName: 'test.user@okta.local',
    });
    expect(person.groupIds).toEqual([]);
    expect(await partition(directoryKeys.person('okta', '00ujl29u0le5T6Aj10h7'))).toEqual([
      'A#PROFILE',
    ]);
    // Deactivated, still there, out of the group.
    const other = await rig.store.readPerson('okta', '00ujl29u0le5T6Aj10h8');
    expect(other.user).toMatchObject({ id: second, active: false });
    expect(other.groupIds).toEqual([]);
    // The group: renamed (the old name's index gone), no members.
    expect(await rig.store.getGroup('okta', group)).toMatchObject({
      displayName: 'Test SCIMv2 renamed',
    });
    expect(await rig.store.findGroupsByDisplayName('okta', 'Test SCIMv2')).toEqual([]);
    expect(await rig.store.findGroupsByDisplayName('okta', 'test scimv2 RENAMED')).toEqual([group]);
    expect(await partition(directoryKeys.group('okta', group))).toEqual([]);
    // userName belongs to the re-created user; the catalog lists both live users.
    expect(await rig.store.findUserByUserName('okta', 'Test.User@okta.local')).toBe(recreated);
    expect((await rig.store.listUsers('okta', 1, 10)).ids.sort()).toEqual(
      [recreated, second].sort(),
    );
    // Deprovisioning revoked both people's sessions; the password Okta sent was never stored.
    expect(await revoked('okta', '00ujl29u0le5T6Aj10h7')).toBe(true);
    expect(await revoked('okta', '00ujl29u0le5T6Aj10h8')).toBe(true);
    const text = await tableText();
    expect(text).not.toContain('1mz050nq');
    expect(text).not.toContain('another-one');
  });

  it('Entra ID: capitalised ops, member batches, "False", soft delete, delete and re-create', async () => {
    const vars = await replay(rig, 'entra', SCIM_TOKENS.ENTRA_SCIM_TOKEN);
    const [recreated, second, group] = ['recreated', 'second', 'group'].map(
      (v) => vars.get(v) as string,
    ) as [string, string, string];
    // externalId lower-cased into the subject (directory.subject.lowercase), as Entra's tokens carry it.
    const subject = '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef';
    const person = await rig.store.readPerson('entra', subject);
    expect(person.user).toMatchObject({ id: recreated, active: true });
    expect(person.groupIds).toEqual([group]);
    expect(
      (await rig.store.readPerson('entra', '1b32a1a3-9e3b-4f9f-8fa9-8474d5bfe5f0')).user,
    ).toMatchObject({
      id: second,
      active: false,
    });
    expect(await rig.store.getGroup('entra', group)).toMatchObject({
      displayName: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
    });
    expect(await rig.store.listMembers('entra', group, 10)).toEqual([
      { type: 'User', id: recreated, subject },
    ]);
    expect(await revoked('entra', subject)).toBe(true);
    expect(await revoked('entra', '1b32a1a3-9e3b-4f9f-8fa9-8474d5bfe5f0')).toBe(true);
    const audit = rig.log.lines.filter((l) => l.message === 'directory user deprovisioned');
    expect(audit.map((l) => (l.attrs[0] as { reason: string }).reason)).toEqual(
      expect.arrayContaining(['deactivated', 'deleted']),
    );
  });

  it('keeps the two IdPs apart: one IdP token reads nothing of the other directory', async () => {
    const okta = await rig.request('GET', '/scim/v2/okta/Users', {
      token: SCIM_TOKENS.OKTA_SCIM_TOKEN,
    });
    const ids = ((okta.body?.Resources ?? []) as { id: string }[]).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const res = await rig.request('GET', `/scim/v2/entra/Users/${id}`, {
        token: SCIM_TOKENS.ENTRA_SCIM_TOKEN,
      });
      expect(res.status).toBe(404);
    }
  });
});
