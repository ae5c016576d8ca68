import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandback, type SignedInPerson } from '../../../shared/handback/index.js';
import type { Grant } from '../../../shared/mapping/index.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';

const grant = (id: string, account: string, label: string): Grant => ({
  id,
  ruleId: `rule-${id}`,
  roleArn: `arn:aws:iam::${account}:role/${label}`,
  accountId: account,
  accountAlias: account === '111111111111' ? 'sandbox' : undefined,
  label,
  durationSeconds: 3600,
  sessionName: 'alice',
  tags: [{ key: 'department', value: 'eng' }],
  transitiveTagKeys: [],
});
const person: SignedInPerson = {
  idp: 'okta',
  protocol: 'saml',
  subjectRef: 'abc123',
  displayName: 'alice@example.com',
};
const session = {
  accessKeyId: 'ASIALOCALEXAMPLE',
  secretAccessKey: 'sEcReT/kEy+value',
  sessionToken: 'tOkEn-fedgate-local',
  expiration: new Date('2026-11-22T10:00:00Z'),
};
const destination = new URL('https://console.aws.amazon.com/s3/');

describe('hand-back', () => {
  let state: ReturnType<typeof createMemoryStateStore>;
  let log: ReturnType<typeof captureLogger>;
  const assume = vi.fn(async () => session);
  const consoleUrl = vi.fn(
    async () => new URL('https://signin.aws.amazon.com/federation?Action=login&SigninToken=SECRET'),
  );
  const make = () =>
    createHandback({
      state,
      assume: { saml: assume, oidc: assume },
      consoleUrl,
      publicBaseUrl: new URL('https://sso.example.com'),
      region: 'eu-west-1',
      log: log as never,
    });

  beforeEach(() => {
    state = createMemoryStateStore();
    log = captureLogger();
    assume.mockClear();
    consoleUrl.mockClear();
  });

  const pickerFor = async (grants: Grant[]) => {
    const res = await make().complete({ person, grants, destination, requestId: 'r1' });
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.body as string)?.[1] as string;
    const cookie = String(res.cookies?.[0]).split(';')[0] as string;
    return { res, csrf, cookie };
  };
  const post = (fields: Record<string, string>, cookie?: string) =>
    apiEvent({
      method: 'POST',
      path: '/select-role',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(new URLSearchParams(fields).toString()).toString('base64'),
      isBase64Encoded: true,
      ...(cookie ? { cookies: [cookie] } : {}),
    });

  it('goes straight to the console for one grant, logging the outcome without secrets', async () => {
    const res = await make().complete({
      person,
      grants: [grant('g1', '111111111111', 'Dev')],
      destination,
      requestId: 'r1',
    });
    expect(res).toEqual({
      statusCode: 302,
      headers: {
        location: 'https://signin.aws.amazon.com/federation?Action=login&SigninToken=SECRET',
      },
      body: '',
    });
    expect(consoleUrl).toHaveBeenCalledWith(session, destination, 3600);
    expect(log.lines.map((l) => l.message)).toEqual(['federation completed']);
    for (const secret of ['SECRET', session.secretAccessKey, session.sessionToken])
      expect(log.text()).not.toContain(secret);
  });

  it('counts a completed sign-in once, by protocol and target, and nothing when STS fails', async () => {
    const counted: unknown[] = [];
    const meter = {
      count: (name: string, dimensions: Record<string, string>) =>
        counted.push({ name, dimensions }),
      milliseconds: () => undefined,
    };
    const deps = {
      state,
      consoleUrl,
      publicBaseUrl: new URL('https://sso.example.com'),
      region: 'eu-west-1',
      log: log as never,
      meter,
    };
    const one = [grant('g1', '111111111111', 'Dev')];
    await createHandback({ ...deps, assume: { saml: assume, oidc: assume } }).complete({
      person,
      grants: one,
      destination,
      requestId: 'r1',
    });
    expect(counted).toEqual([
      { name: 'SignIns', dimensions: { protocol: person.protocol, target: 'console' } },
    ]);
    const failing = vi.fn(async () => {
      throw new Error('sts down');
    });
    await expect(
      createHandback({ ...deps, assume: { saml: failing, oidc: failing } }).complete({
        person,
        grants: one,
        destination,
        requestId: 'r2',
      }),
    ).rejects.toThrow('sts down');
    expect(counted).toHaveLength(1);
  });

  it('refuses when nothing was granted', async () => {
    await expect(
      make().complete({ person, grants: [], destination, requestId: 'r1' }),
    ).rejects.toMatchObject({
      code: 'no_role_matched',
      status: 403,
    });
  });

  it('shows the picker grouped by account, with opaque grant ids and a Strict __Host- cookie', async () => {
    const { res } = await pickerFor([
      grant('g1', '111111111111', 'Dev'),
      grant('g2', '222222222222', 'Admin'),
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.body as string;
    expect(body).toContain('value="g1"');
    expect(body).not.toContain('value="arn:aws');
    expect(body.indexOf('222222222222')).toBeLessThan(body.indexOf('sandbox')); // account id sorts before alias "sandbox"
    expect(res.cookies?.[0]).toMatch(
      /^__Host-fedgate-ticket=[\w-]+; Max-Age=300; Path=\/; Secure; HttpOnly; SameSite=Strict$/,
    );
    expect(state.items.size).toBe(1);
  });

  it('hands over the chosen grant once, and the ticket cannot be used again', async () => {
    const { csrf, cookie } = await pickerFor([
      grant('g1', '111111111111', 'Dev'),
      grant('g2', '222222222222', 'Admin'),
    ]);
    const res = await make().select(post({ csrf, grant: 'g2', target: 'console' }, cookie));
    expect(res.statusCode).toBe(302);
    expect(assume).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'g2', roleArn: 'arn:aws:iam::222222222222:role/Admin' }),
      person,
    );
    expect(res.cookies?.[0]).toContain('Max-Age=0');
    await expect(
      make().select(post({ csrf, grant: 'g2', target: 'console' }, cookie)),
    ).rejects.toMatchObject({ code: 'ticket_invalid' });
  });

  it.each([
    ['without the cookie', (f: Record<string, string>) => post(f)],
    [
      'with a forged CSRF token',
      (f: Record<string, string>, c: string) => post({ ...f, csrf: 'forged' }, c),
    ],
    [
      'with a grant id that is not in the ticket',
      (f: Record<string, string>, c: string) =>
        post({ ...f, grant: 'arn:aws:iam::999999999999:role/Evil' }, c),
    ],
  ])('refuses a choice %s, calling no STS', async (_, make403) => {
    const { csrf, cookie } = await pickerFor([
      grant('g1', '111111111111', 'Dev'),
      grant('g2', '222222222222', 'Admin'),
    ]);
    await expect(
      make().select(make403({ csrf, grant: 'g1', target: 'console' }, cookie)),
    ).rejects.toMatchObject({
      code: 'ticket_invalid',
    });
    expect(assume).not.toHaveBeenCalled();
  });

  it('keeps the ticket when the CSRF token is wrong, so a forged post cannot burn it', async () => {
    const { csrf, cookie } = await pickerFor([
      grant('g1', '111111111111', 'Dev'),
      grant('g2', '222222222222', 'Admin'),
    ]);
    await expect(
      make().select(post({ csrf: 'x', grant: 'g1', target: 'keys' }, cookie)),
    ).rejects.toThrow();
    expect(
      (await make().select(post({ csrf, grant: 'g1', target: 'keys' }, cookie))).statusCode,
    ).toBe(200);
  });

  it('shows access keys as exports, a credentials profile and credential_process JSON', async () => {
    const { csrf, cookie } = await pickerFor([
      grant('g1', '111111111111', 'Dev'),
      grant('g2', '222222222222', 'Admin'),
    ]);
    const res = await make().select(post({ csrf, grant: 'g1', target: 'keys' }, cookie));
    const body = res.body as string;
    expect(body).toContain('export AWS_SECRET_ACCESS_KEY=&#39;sEcReT/kEy+value&#39;');
    expect(body).toContain('[sandbox-Dev]');
    expect(body).toContain('&quot;Version&quot;: 1');
    expect(body).toContain('2026-11-22T10:00:00.000Z');
    expect(consoleUrl).not.toHaveBeenCalled();
  });

  it('refuses a malformed form', async () => {
    await expect(
      make().select(post({ csrf: 'x', grant: 'g1', target: 'shell' })),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
