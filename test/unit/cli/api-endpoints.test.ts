import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEVICE_GRANT_TYPE } from '../../../shared/cli/index.js';
import { apiEvent } from '../../support/events.js';
import { ADMIN, alice, cliConfig, codeOf, createCliRig, DEV, LOOPBACK } from './rig.js';

type Rig = ReturnType<typeof createCliRig>;

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** The browser half: consent in the browser, the code back on the loopback URI. */
const loopbackCode = async (rig: Rig, challenge: string, client = 'alice@laptop') => {
  const { cookies, csrf } = await rig.browser();
  const res = await rig.pages.consent(
    rig.formPost(
      '/cli/authorize',
      {
        csrf,
        decision: 'allow',
        redirect_uri: LOOPBACK,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 'S'.repeat(43),
        client,
      },
      cookies,
    ),
  );
  return new URL(res.headers.location as string).searchParams.get('code') as string;
};

const json = (res: { body?: string }) => JSON.parse(res.body as string);

/** A signed-in CLI: its bearer token, through the loopback sign-in. */
const signedInCli = async (rig: Rig, client = 'alice@laptop') => {
  const { verifier, challenge } = pkce();
  const code = await loopbackCode(rig, challenge, client);
  const res = await rig.api.token(
    rig.apiCall('/cli/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: LOOPBACK,
    }),
  );
  return json(res).access_token as string;
};

describe('POST /cli/token, authorization_code', () => {
  it('redeems the code once for a CLI session token (JSON, never a URL)', async () => {
    const rig = createCliRig();
    const { verifier, challenge } = pkce();
    const code = await loopbackCode(rig, challenge);
    const call = () =>
      rig.api.token(
        rig.apiCall('/cli/token', {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: LOOPBACK,
        }),
      );
    const res = await call();
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body).toEqual({
      token_type: 'Bearer',
      access_token: expect.stringMatching(/^okta\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/),
      expires_in: 8 * 3600,
      session: {
        endsAt: new Date((rig.now() + 8 * 3600) * 1000).toISOString(),
        idp: 'okta',
        idpDisplayName: 'Okta',
        displayName: 'alice@example.com',
        client: 'alice@laptop',
      },
    });
    // A CLI session of this client (the browser's session is another one).
    const records = [...rig.signIn.sessionStore.sessions.values()].map((s) => JSON.parse(s.data));
    expect(records.map((r) => [r.kind, r.client])).toEqual([
      ['browser', undefined],
      ['cli', 'alice@laptop'],
    ]);
    expect(await codeOf(call())).toBe('invalid_grant');
  });

  it.each([
    ['a wrong verifier', { code_verifier: pkce().verifier }],
    ['another redirect_uri', { redirect_uri: 'http://127.0.0.1:53124/callback' }],
  ])('refuses %s (invalid_grant), and the code is burnt', async (_, over) => {
    const rig = createCliRig();
    const { verifier, challenge } = pkce();
    const code = await loopbackCode(rig, challenge);
    const body = {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: LOOPBACK,
    };
    expect(await codeOf(rig.api.token(rig.apiCall('/cli/token', { ...body, ...over })))).toBe(
      'invalid_grant',
    );
    expect(await codeOf(rig.api.token(rig.apiCall('/cli/token', body)))).toBe('invalid_grant');
  });

  it('refuses an expired code (60 s)', async () => {
    const rig = createCliRig();
    const { verifier, challenge } = pkce();
    const code = await loopbackCode(rig, challenge);
    rig.advance(61);
    expect(
      await codeOf(
        rig.api.token(
          rig.apiCall('/cli/token', {
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            redirect_uri: LOOPBACK,
          }),
        ),
      ),
    ).toBe('invalid_grant');
  });

  it('refuses a code whose approving session was revoked since (session_revoked)', async () => {
    const rig = createCliRig();
    const { verifier, challenge } = pkce();
    const code = await loopbackCode(rig, challenge);
    rig.advance(5);
    await rig.signIn.sessionStore.revoke(
      { kind: 'subject', idp: 'okta', subjectRef: alice.subjectRef },
      rig.now() * 1000,
      rig.now() + 86_400,
    );
    expect(
      await codeOf(
        rig.api.token(
          rig.apiCall('/cli/token', {
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            redirect_uri: LOOPBACK,
          }),
        ),
      ),
    ).toBe('session_revoked');
    expect(rig.signIn.sessionStore.calls.create).toBe(1); // the browser's only
    expect(rig.api.tokenSteps).toEqual([
      'requirePost',
      'redeemGrant',
      'checkApprovingSession',
      'loadSignedInIdp',
      'startSession',
    ]);
    expect(rig.log.lines.filter((l) => l.message === 'flow step failed').at(-1)?.attrs).toEqual([
      { flow: 'cli-token', step: 'checkApprovingSession', code: 'session_revoked' },
    ]);
  });

  it.each([
    ['an unknown grant_type', { grant_type: 'password' }, 'unsupported_grant_type'],
    [
      'extra fields',
      {
        grant_type: 'authorization_code',
        code: 'x',
        code_verifier: 'y',
        redirect_uri: 'z',
        scope: 'all',
      },
      'invalid_request',
    ],
  ])('refuses %s', async (_, body, code) => {
    const rig = createCliRig();
    expect(await codeOf(rig.api.token(rig.apiCall('/cli/token', body)))).toBe(code);
  });

  it('refuses a browser (an Origin header) and a form post', async () => {
    const rig = createCliRig();
    expect(
      await codeOf(
        rig.api.token(
          rig.apiCall(
            '/cli/token',
            { grant_type: 'password' },
            {
              headers: { origin: 'https://evil.example' },
            },
          ),
        ),
      ),
    ).toBe('invalid_request');
    expect(
      await codeOf(
        rig.api.token(
          apiEvent({
            method: 'POST',
            path: '/cli/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'grant_type=authorization_code',
          }),
        ),
      ),
    ).toBe('invalid_request');
  });
});

describe('the device flow (RFC 8628)', () => {
  const start = async (rig: Rig) =>
    json(await rig.api.device(rig.apiCall('/cli/device', { client: 'build-box', idp: 'okta' })));
  const poll = (rig: Rig, deviceCode: string) =>
    rig.api.token(
      rig.apiCall('/cli/token', { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode }),
    );
  const decide = async (rig: Rig, userCode: string, decision: 'approve' | 'deny') => {
    const { cookies, csrf } = await rig.browser();
    return rig.pages.confirm(
      rig.formPost('/cli/device/confirm', { csrf, user_code: userCode, decision }, cookies),
    );
  };

  it('answers with a device code, a XXXX-XXXX user code, where to enter it, 600 s, every 5 s', async () => {
    const rig = createCliRig();
    const body = await start(rig);
    expect(body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: 'https://sso.example.com/cli/device',
      verification_uri_complete: `https://sso.example.com/cli/device?user_code=${body.user_code}&idp=okta`,
      expires_in: 600,
      interval: 5,
    });
    const keys = [...rig.state.items.keys()];
    expect(keys.some((k) => k.includes(body.device_code))).toBe(false);
    expect(keys.some((k) => k.includes(body.user_code.replace('-', '')))).toBe(false);
  });

  it('pending, slow_down within the interval (which grows by 5 s), then the approval once', async () => {
    const rig = createCliRig();
    const { device_code, user_code } = await start(rig);
    expect(await codeOf(poll(rig, device_code))).toBe('authorization_pending');
    rig.advance(2);
    expect(await codeOf(poll(rig, device_code))).toBe('slow_down');
    rig.advance(5); // the interval is 10 s now
    expect(await codeOf(poll(rig, device_code))).toBe('slow_down');
    rig.advance(15);
    expect(await codeOf(poll(rig, device_code))).toBe('authorization_pending');
    await decide(rig, user_code, 'approve');
    const res = await poll(rig, device_code);
    expect(json(res)).toMatchObject({
      token_type: 'Bearer',
      session: { idp: 'okta', client: 'build-box' },
    });
    // Used: the next poll finds nothing.
    expect(await codeOf(poll(rig, device_code))).toBe('expired_token');
  });

  it('access_denied when the person denies, and nothing afterwards', async () => {
    const rig = createCliRig();
    const { device_code, user_code } = await start(rig);
    await decide(rig, user_code, 'deny');
    expect(await codeOf(poll(rig, device_code))).toBe('access_denied');
    expect(await codeOf(poll(rig, device_code))).toBe('expired_token');
  });

  it('expired_token after 600 s, and for a code never issued', async () => {
    const rig = createCliRig();
    const { device_code } = await start(rig);
    rig.advance(600);
    expect(await codeOf(poll(rig, device_code))).toBe('expired_token');
    expect(await codeOf(poll(rig, randomBytes(32).toString('base64url')))).toBe('expired_token');
    expect(await codeOf(poll(rig, 'short'))).toBe('invalid_grant');
  });

  it('an approval whose browser session was revoked before the poll starts no session', async () => {
    const rig = createCliRig();
    const { device_code, user_code } = await start(rig);
    await decide(rig, user_code, 'approve');
    rig.advance(1);
    await rig.signIn.sessionStore.revoke({ kind: 'all' }, rig.now() * 1000, rig.now() + 86_400);
    expect(await codeOf(poll(rig, device_code))).toBe('session_revoked');
  });

  it('refuses a malformed client label', async () => {
    const rig = createCliRig();
    expect(await codeOf(rig.api.device(rig.apiCall('/cli/device', { client: 'a b' })))).toBe(
      'invalid_request',
    );
  });
});

describe('the bearer API: roles, credentials, console, logout', () => {
  it('lists the roles the current rules grant, with the regions and the session', async () => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const body = json(
      await rig.api.roles(rig.apiCall('/cli/roles', { client: 'alice@laptop' }, { bearer: token })),
    );
    expect(body.roles.map((r: { roleArn: string }) => r.roleArn)).toEqual([DEV, ADMIN]);
    expect(body.roles[0]).toEqual({
      id: expect.any(String),
      label: 'Developer',
      accountId: '111111111111',
      accountAlias: 'sandbox',
      roleArn: DEV,
      durationSeconds: 28800,
    });
    expect(body).toMatchObject({
      regions: ['eu-west-1', 'us-east-1'],
      defaultRegion: 'eu-west-1',
      session: { idp: 'okta', displayName: 'alice@example.com' },
    });
  });

  it('issues credentials in the credential_process shape for a role by alias/label', async () => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const res = await rig.api.credentials(
      rig.apiCall(
        '/cli/credentials',
        { client: 'alice@laptop', role: 'sandbox/Developer' },
        { bearer: token },
      ),
    );
    expect(json(res)).toMatchObject({
      Version: 1,
      AccessKeyId: 'ASIATEST',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: expect.any(String),
      role: { roleArn: DEV },
    });
    // The grant's 8 h are bounded by the idle timeout (2 h): a CLI in use refreshes before the
    // session would idle out, and so keeps it alive.
    expect(rig.signIn.assume).toHaveBeenCalledWith(
      expect.objectContaining({ roleArn: DEV, durationSeconds: 7200 }),
      expect.objectContaining({ idp: 'okta', subjectRef: alice.subjectRef }),
    );
  });

  it('takes an offered region (echoed) and refuses another, the credentials being the same kind', async () => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const ask = (region: string) =>
      rig.api.credentials(
        rig.apiCall(
          '/cli/credentials',
          { client: 'alice@laptop', role: 'Admin', region },
          { bearer: token },
        ),
      );
    expect(json(await ask('us-east-1'))).toMatchObject({ Version: 1, region: 'us-east-1' });
    expect(await codeOf(ask('ap-south-1'))).toBe('invalid_request');
  });

  it('re-evaluates at every call: a removed rule refuses the next one (grant_not_available)', async () => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const ask = () =>
      rig.api.credentials(
        rig.apiCall(
          '/cli/credentials',
          { client: 'alice@laptop', role: 'production/Admin' },
          { bearer: token },
        ),
      );
    expect((await ask()).statusCode).toBe(200);
    rig.setConfig(
      cliConfig([
        {
          id: 'devs',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
          grant: { roleArn: DEV, label: 'Developer' },
        },
      ]),
    );
    expect(await codeOf(ask())).toBe('grant_not_available');
  });

  it('refuses after revocation (session_revoked) and after logout (session_invalid)', async () => {
    const rig = createCliRig();
    const ask = (token: string) =>
      rig.api.roles(rig.apiCall('/cli/roles', { client: 'alice@laptop' }, { bearer: token }));
    const first = await signedInCli(rig);
    rig.advance(1);
    await rig.signIn.sessionStore.revoke(
      { kind: 'idp', idp: 'okta' },
      rig.now() * 1000,
      rig.now() + 86_400,
    );
    expect(await codeOf(ask(first))).toBe('session_revoked');

    rig.advance(1);
    const second = await signedInCli(rig);
    expect((await ask(second)).statusCode).toBe(200);
    const out = await rig.api.logout(
      rig.apiCall('/cli/logout', { client: 'alice@laptop' }, { bearer: second }),
    );
    expect(out.statusCode).toBe(204);
    expect(await codeOf(ask(second))).toBe('session_invalid');
    // Logging out again is fine.
    expect(
      (
        await rig.api.logout(
          rig.apiCall('/cli/logout', { client: 'alice@laptop' }, { bearer: second }),
        )
      ).statusCode,
    ).toBe(204);
  });

  it.each([
    ['no bearer token', undefined, 'alice@laptop'],
    ['another client label', 'TOKEN', 'mallory@box'],
    ['a malformed token', 'not-a-token', 'alice@laptop'],
  ])('refuses %s (session_invalid)', async (_, bearer, client) => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const use = bearer === 'TOKEN' ? token : bearer;
    expect(
      await codeOf(
        rig.api.roles(rig.apiCall('/cli/roles', { client }, use ? { bearer: use } : {})),
      ),
    ).toBe('session_invalid');
  });

  it("a browser session's cookie token is not a CLI token", async () => {
    const rig = createCliRig();
    const { tokenValue } = await rig.browser();
    expect(
      await codeOf(
        rig.api.roles(
          rig.apiCall('/cli/roles', { client: 'alice@laptop' }, { bearer: tokenValue }),
        ),
      ),
    ).toBe('session_invalid');
  });

  it('opens the console in an offered region, or at an allowlisted deep link', async () => {
    const rig = createCliRig();
    const token = await signedInCli(rig);
    const open = (body: Record<string, string>) =>
      rig.api.console(
        rig.apiCall(
          '/cli/console',
          { client: 'alice@laptop', role: 'Admin', ...body },
          { bearer: token },
        ),
      );
    expect(json(await open({ region: 'us-east-1' })).url).toMatch(
      /^https:\/\/signin\.aws\.amazon\.com\/federation/,
    );
    expect(rig.signIn.consoleUrl).toHaveBeenLastCalledWith(
      expect.objectContaining({ accessKeyId: 'ASIATEST', sessionToken: 'token' }),
      new URL('https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1'),
      expect.any(Number),
    );
    await open({ destination: 'https://console.aws.amazon.com/s3/' });
    expect(rig.signIn.consoleUrl).toHaveBeenLastCalledWith(
      expect.objectContaining({ accessKeyId: 'ASIATEST', sessionToken: 'token' }),
      new URL('https://console.aws.amazon.com/s3/'),
      expect.any(Number),
    );
    expect(await codeOf(open({ region: 'ap-south-1' }))).toBe('invalid_request');
  });
});
