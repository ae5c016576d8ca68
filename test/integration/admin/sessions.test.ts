import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import { hashSubject } from '../../../shared/log.js';
import { createMapperCache } from '../../../shared/mapping/index.js';
import { createSessionService, type SessionIdentity } from '../../../shared/session/index.js';
import { createDynamoSessionStore } from '../../../shared/store/index.js';
import { useDynamoDb } from '../../support/dynamodb.js';
import { captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { runCli } from './support.js';

const dynamo = useDynamoDb();

const config = parseGatewayConfig({
  version: 1,
  idps: ['okta', 'entra'].map((id) => ({
    id,
    displayName: id,
    protocol: 'oidc',
    oidc: { issuer: `https://${id}.example.com`, clientId: 'c' },
    rules: [
      {
        id: 'all',
        priority: 10,
        effect: 'allow',
        when: [{ claim: 'groups', op: 'contains', value: 'staff' }],
        grant: { roleArn: 'arn:aws:iam::111111111111:role/reader' },
      },
    ],
  })),
});

const person = (idp: string, subject: string): SessionIdentity => ({
  idp,
  protocol: 'oidc',
  issuer: `https://${idp}.example.com`,
  subject,
  subjectRef: hashSubject(`${idp}:${subject}`),
  claims: { groups: ['staff'], email: [`${subject}@example.com`] },
  displayName: `${subject}@example.com`,
});

const sessions = () => {
  const attributes = createMemoryAttributeStore(config);
  return createSessionService({
    store: createDynamoSessionStore({
      client: dynamo.createClient(),
      tableName: dynamo.names.stateTableName,
    }),
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor: createMapperCache(attributes),
    log: captureLogger(),
  });
};

const cli = (...args: string[]) =>
  runCli([...args, '--endpoint', dynamo.endpoint, '--state-table', dynamo.names.stateTableName], {
    cwd: process.cwd(),
  });

const idpOf = (id: string) => config.idps.find((i) => i.id === id) as never;

describe('fedgate-admin sessions against DynamoDB Local', () => {
  it('lists live sessions without any secret, filtered by IdP and person', async () => {
    const s = sessions();
    const alice = await s.start({
      identity: person('okta', 'alice'),
      idp: idpOf('okta'),
      kind: 'browser',
    });
    await s.start({
      identity: person('okta', 'bob'),
      idp: idpOf('okta'),
      kind: 'cli',
      client: 'laptop',
    });
    await s.start({ identity: person('entra', 'carol'), idp: idpOf('entra'), kind: 'browser' });

    const all = await cli('sessions', 'list', '--json');
    expect(all.code).toBe(0);
    const rows = all.json<{ sessions: { idp: string; subjectRef: string; kind: string }[] }>()
      .sessions;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(all.stdout).not.toContain(alice.tokenValue.split('.')[2]);

    const one = await cli('sessions', 'list', '--idp', 'okta', '--subject', 'alice', '--json');
    const mine = one.json<{ sessions: { subjectRef: string; displayName: string }[] }>().sessions;
    expect(mine.map((r) => r.subjectRef)).toEqual([hashSubject('okta:alice')]);
    expect(mine[0]?.displayName).toBe('alice@example.com');

    const text = await cli('sessions', 'list', '--idp', 'entra');
    expect(text.stdout).toMatch(/^1 session in the state table /);
    expect(text.stdout).toContain('carol@example.com');
  });

  it('revokes one person at once, and an IdP or everyone only with --yes', async () => {
    const s = sessions();
    const dave = await s.start({
      identity: person('okta', 'dave'),
      idp: idpOf('okta'),
      kind: 'browser',
    });
    const erin = await s.start({
      identity: person('okta', 'erin'),
      idp: idpOf('okta'),
      kind: 'browser',
    });
    const frank = await s.start({
      identity: person('entra', 'frank'),
      idp: idpOf('entra'),
      kind: 'browser',
    });
    await new Promise((r) => setTimeout(r, 5));

    const one = await cli('sessions', 'revoke', '--idp', 'okta', '--subject', 'dave', '--json');
    expect(one.code).toBe(0);
    expect(one.json()).toMatchObject({
      revoked: { kind: 'subject', idp: 'okta', subjectRef: hashSubject('okta:dave') },
      sessionsEnded: 1,
    });
    await expect(s.resume(dave.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
    await s.resume(erin.tokenValue, { kind: 'browser' });

    const refused = await cli('sessions', 'revoke', '--idp', 'okta');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    await s.resume(erin.tokenValue, { kind: 'browser' });

    expect((await cli('sessions', 'revoke', '--idp', 'okta', '--yes')).code).toBe(0);
    await expect(s.resume(erin.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
    await s.resume(frank.tokenValue, { kind: 'browser' });

    expect((await cli('sessions', 'revoke', '--all')).code).toBe(1);
    expect((await cli('sessions', 'revoke', '--all', '--yes')).code).toBe(0);
    await expect(s.resume(frank.tokenValue, { kind: 'browser' })).rejects.toMatchObject({
      code: 'session_revoked',
    });
  });

  it('says so when a person revoked by subject has no session: the subject may be mistyped', async () => {
    const s = sessions();
    const gina = await s.start({
      identity: person('okta', '00u1Gina'),
      idp: idpOf('okta'),
      kind: 'browser',
    });
    await new Promise((r) => setTimeout(r, 5));
    // Subjects are case-sensitive, as the IdP sends them: this names nobody signed in.
    const typo = await cli('sessions', 'revoke', '--idp', 'okta', '--subject', '00u1gina');
    expect(typo.code).toBe(0);
    expect(typo.stdout).toContain('0 live sessions');
    expect(typo.stdout).toContain('no live session has this subject');
    expect(typo.stdout).toContain('sessions list --idp okta');
    await s.resume(gina.tokenValue, { kind: 'browser' });
    const right = await cli('sessions', 'revoke', '--idp', 'okta', '--subject', '00u1Gina');
    expect(right.stdout).not.toContain('no live session has this subject');
  });

  it('says what is wrong with the arguments (exit 2), never a stack trace', async () => {
    for (const args of [
      ['sessions', 'revoke'],
      ['sessions', 'revoke', '--all', '--idp', 'okta'],
      ['sessions', 'revoke', '--subject', 'x'],
      ['sessions', 'revoke', '--idp', 'okta', '--subject-ref', 'nothex'],
      ['sessions', 'list', '--idp', 'Not An Id'],
    ]) {
      const run = await cli(...args);
      expect(run.code).toBe(2);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const noTable = await runCli(['sessions', 'list', '--region', 'eu-west-1'], {
      cwd: process.cwd(),
    });
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain('--state-table');
  });
});
