import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseGatewayConfig, type SamlIdpConfig } from '../../../shared/config/index.js';
import { createAcsEndpoint } from '../../../shared/saml/acs-endpoint.js';
import { SamlMalformedError, SamlSignatureInvalidError } from '../../../shared/saml/errors.js';
import { createSamlLoginEndpoints } from '../../../shared/saml/login-endpoints.js';
import { pendingRequestKey } from '../../../shared/saml/sp-urls.js';
import type { VerifiedAssertion } from '../../../shared/saml/types.js';
import { createReplayCache, type StateKey } from '../../../shared/store/index.js';
import { clockAtSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { cookiePair, createSignInRig } from '../../support/signin-rig.js';

const NOW = 1_795_338_000;
const CERT = 'MIIC'.padEnd(200, 'A');
const config = parseGatewayConfig({
  version: 1,
  accounts: [{ id: '111111111111', alias: 'sandbox' }],
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: {
        entityId: 'http://www.okta.com/exk1',
        ssoUrl: 'https://corp.okta.com/app/sso/saml',
        signingCertificates: [CERT],
        // The demo tile is trusted here; `confirm` (the default) is tested on `tile` below.
        idpInitiated: 'allow',
      },
      rules: [
        {
          id: 'devs',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/Dev' },
        },
        {
          id: 'admins',
          priority: 20,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'admins' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/Admin' },
        },
      ],
    },
    {
      id: 'tile',
      displayName: 'Tile',
      protocol: 'saml',
      saml: {
        entityId: 'http://www.okta.com/exk1',
        ssoUrl: 'https://corp.okta.com/app/sso/saml',
        signingCertificates: [CERT],
      },
      rules: [
        {
          id: 'devs',
          priority: 10,
          effect: 'allow',
          when: [{ claim: 'groups', op: 'contains', value: 'devs' }],
          grant: { roleArn: 'arn:aws:iam::111111111111:role/Dev' },
        },
      ],
    },
    {
      id: 'strict',
      displayName: 'Strict',
      protocol: 'saml',
      saml: {
        entityId: 'https://idp.example.com',
        ssoUrl: 'https://idp.example.com/sso',
        signingCertificates: [CERT],
        idpInitiated: 'deny',
      },
    },
    {
      id: 'google',
      displayName: 'Google',
      protocol: 'oidc',
      oidc: { issuer: 'https://accounts.google.com', clientId: 'c' },
    },
  ],
});

const assertion = (over: Partial<VerifiedAssertion> = {}): VerifiedAssertion => ({
  assertionId: '_a1',
  issuer: 'http://www.okta.com/exk1',
  nameId: 'alice@example.com',
  notOnOrAfter: NOW + 300,
  attributes: { groups: ['devs'], email: ['alice@example.com'] },
  ...over,
});

describe('SAML SSO endpoints', () => {
  let state: ReturnType<typeof createMemoryStateStore>;
  /** The credentials the rig's role assumption returns: what a console link is built from. */
  const ASSUMED_SESSION = expect.objectContaining({
    accessKeyId: 'ASIATEST',
    secretAccessKey: 'secret',
    sessionToken: 'token',
  });
  let verify: ReturnType<typeof vi.fn>;
  let rig: ReturnType<typeof createSignInRig>;
  const assume = () => rig.assume;
  const consoleUrl = () => rig.consoleUrl;

  const make = () => {
    const log = captureLogger();
    rig ??= createSignInRig({
      attributes: createMemoryAttributeStore(config),
      state,
      now: () => NOW,
      log: log as never,
    });
    const parseDestination = (raw: string | undefined) =>
      new URL(
        raw?.startsWith('https://console.aws.amazon.com/')
          ? raw
          : 'https://console.aws.amazon.com/',
      );
    const login = createSamlLoginEndpoints({
      attributes: createMemoryAttributeStore(config),
      state,
      parseDestination,
      publicBaseUrl: new URL('https://sso.example.com'),
      log: log as never,
      clock: clockAtSeconds(NOW),
    });
    const acs = createAcsEndpoint({
      attributes: createMemoryAttributeStore(config),
      state,
      replay: createReplayCache({ state }),
      verify: verify as never,
      toIdentity: (idp: SamlIdpConfig, a: VerifiedAssertion) => ({
        idp: idp.id,
        issuer: a.issuer,
        subject: a.nameId,
        claims: a.attributes,
      }),
      parseDestination,
      complete: rig.complete,
      confirmation: rig.confirmation,
      publicBaseUrl: new URL('https://sso.example.com'),
      log: log as never,
      clock: clockAtSeconds(NOW),
    });
    return { ...login, ...acs, log };
  };
  const acsPost = (idp: string, fields: Record<string, string>, cookies?: string[]) =>
    apiEvent({
      method: 'POST',
      path: `/saml/${idp}/acs`,
      pathParameters: { idp },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(new URLSearchParams(fields).toString()).toString('base64'),
      isBase64Encoded: true,
      ...(cookies ? { cookies } : {}),
    });

  beforeEach(() => {
    state = createMemoryStateStore(clockAtSeconds(NOW));
    verify = vi.fn(async () => assertion());
    rig = undefined as never;
  });

  it("publishes SP metadata with this IdP's own entity id and ACS", async () => {
    const res = await make().metadata(
      apiEvent({ path: '/saml/okta/metadata', pathParameters: { idp: 'okta' } }),
    );
    expect(res.headers['content-type']).toBe('application/samlmetadata+xml; charset=utf-8');
    expect(res.body).toContain('entityID="https://sso.example.com/saml/okta/metadata"');
    expect(res.body).toContain('Location="https://sso.example.com/saml/okta/acs"');
  });

  it('IdP-initiated: verifies with no InResponseTo expected, then goes straight to the console for one grant', async () => {
    const res = await make().acs(
      acsPost('okta', {
        SAMLResponse: 'PHNhbWw+',
        RelayState: 'https://console.aws.amazon.com/ec2/',
      }),
    );
    expect(verify).toHaveBeenCalledWith(expect.objectContaining({ id: 'okta' }), {
      samlResponseB64: 'PHNhbWw+',
      acsUrl: 'https://sso.example.com/saml/okta/acs',
      spEntityId: 'https://sso.example.com/saml/okta/metadata',
      expectedInResponseTo: undefined,
      now: NOW,
    });
    expect(res.statusCode).toBe(302);
    expect(consoleUrl()).toHaveBeenCalledWith(
      ASSUMED_SESSION,
      new URL('https://console.aws.amazon.com/ec2/'),
      3600,
    );
  });

  it('refuses a replayed assertion, calling no STS', async () => {
    await make().acs(acsPost('okta', { SAMLResponse: 'x' }));
    assume().mockClear();
    await expect(make().acs(acsPost('okta', { SAMLResponse: 'x' }))).rejects.toMatchObject({
      code: 'replay_detected',
    });
    expect(assume()).not.toHaveBeenCalled();
  });

  it('the ACS runs as named steps; a replay stops at consumeReplayKey, logged with its code', async () => {
    const first = make();
    expect(first.steps).toEqual([
      'requirePost',
      'loadSamlIdp',
      'parseAcsForm',
      'peekPendingRequest',
      'refuseUnsolicited',
      'verifySamlResponse',
      'spendPendingRequest',
      'consumeReplayKey',
      'mapSamlIdentity',
      'chooseDestination',
      'completeSignIn',
    ]);
    await first.acs(acsPost('okta', { SAMLResponse: 'x' }));
    const second = make();
    await expect(second.acs(acsPost('okta', { SAMLResponse: 'x' }))).rejects.toMatchObject({
      code: 'replay_detected',
    });
    expect(second.log.lines.filter((l) => l.message === 'flow step failed')).toEqual([
      {
        level: 'warn',
        message: 'flow step failed',
        attrs: [{ flow: 'saml-acs', step: 'consumeReplayKey', code: 'replay_detected' }],
      },
    ]);
  });

  it('SP-initiated: the AuthnRequest id is single-use and bound to the browser cookie', async () => {
    const login = await make().login(
      apiEvent({
        path: '/saml/okta/login',
        pathParameters: { idp: 'okta' },
        rawQueryString: 'return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F',
      }),
    );
    expect(login.statusCode).toBe(302);
    const location = new URL(login.headers.location as string);
    expect(location.origin + location.pathname).toBe('https://corp.okta.com/app/sso/saml');
    expect(location.searchParams.get('SAMLRequest')).toBeTruthy();
    expect(location.searchParams.has('RelayState')).toBe(false);
    const cookie = login.cookies?.[0] as string;
    expect(cookie).toMatch(
      /^__Host-fedgate-authn-okta=_[\w-]+; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=None$/,
    );
    const pair = cookie.split(';')[0] as string;
    const requestId = pair.split('=')[1] as string;

    const res = await make().acs(acsPost('okta', { SAMLResponse: 'x' }, [pair]));
    expect(verify).toHaveBeenLastCalledWith(
      expect.objectContaining({ id: 'okta' }),
      expect.objectContaining({ expectedInResponseTo: requestId }),
    );
    expect(consoleUrl()).toHaveBeenLastCalledWith(
      ASSUMED_SESSION,
      new URL('https://console.aws.amazon.com/s3/'),
      3600,
    );
    expect(res.cookies?.some((c) => c.startsWith('__Host-fedgate-authn-okta=; Max-Age=0'))).toBe(
      true,
    );

    // The request id is used up: a second response to it is verified as unsolicited.
    verify.mockResolvedValue(assertion({ assertionId: '_a2' }));
    await make().acs(acsPost('okta', { SAMLResponse: 'x' }, [pair]));
    expect(verify).toHaveBeenLastCalledWith(
      expect.objectContaining({ id: 'okta' }),
      expect.objectContaining({ expectedInResponseTo: undefined }),
    );
  });

  describe('SP-initiated: the pending request is spent only by a verified answer', () => {
    /** The pending-request items in the state table. */
    const pendingKeys = () =>
      [...state.items.keys()].filter((k): k is StateKey => k.startsWith('AUTHNREQ#'));
    /** Starts an SP-initiated sign-in: the cookie pair and the AuthnRequest id. */
    const startLogin = async (idp = 'okta') => {
      const login = await make().login(
        apiEvent({
          path: `/saml/${idp}/login`,
          pathParameters: { idp },
          rawQueryString: 'return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F',
        }),
      );
      const pair = String(login.cookies?.[0]).split(';')[0] as string;
      return { pair, requestId: pair.split('=')[1] as string };
    };

    it.each([
      ['garbage (SAMLResponse=Zm9v)', new SamlMalformedError('not XML')],
      ['a forged signature', new SamlSignatureInvalidError('digest mismatch')],
    ])(
      '%s posted with the cookie from another site is refused and cancels nothing: the real answer still signs in',
      async (_, failure) => {
        const { pair, requestId } = await startLogin();
        verify.mockRejectedValueOnce(failure);
        await expect(
          make().acs(acsPost('okta', { SAMLResponse: 'Zm9v' }, [pair])),
        ).rejects.toMatchObject({ code: failure.code });
        expect(assume()).not.toHaveBeenCalled();

        const res = await make().acs(acsPost('okta', { SAMLResponse: 'x' }, [pair]));
        expect(verify).toHaveBeenLastCalledWith(
          expect.objectContaining({ id: 'okta' }),
          expect.objectContaining({ expectedInResponseTo: requestId }),
        );
        expect(res.statusCode).toBe(302);
        expect(consoleUrl()).toHaveBeenLastCalledWith(
          ASSUMED_SESSION,
          new URL('https://console.aws.amazon.com/s3/'),
          3600,
        );
        expect(pendingKeys()).toEqual([]); // spent by the verified answer
      },
    );

    it('a verified answer that loses the race for the pending request is refused (saml_in_response_to_invalid), no STS', async () => {
      const { pair } = await startLogin();
      // While this response is verified, a concurrent one (another container) spends the request.
      verify.mockImplementationOnce(async () => {
        for (const key of pendingKeys()) await state.consume(key);
        return assertion();
      });
      await expect(
        make().acs(acsPost('okta', { SAMLResponse: 'x' }, [pair])),
      ).rejects.toMatchObject({ code: 'saml_in_response_to_invalid' });
      expect(assume()).not.toHaveBeenCalled();
      // Its assertion id was not remembered: the refusal came before the replay step.
      expect([...state.items.keys()].filter((k) => k.startsWith('REPLAY#'))).toEqual([]);
    });

    it('the state table holds the SHA-256 of the request id, never the id itself', async () => {
      const { requestId } = await startLogin();
      expect(pendingKeys()).toEqual([pendingRequestKey(requestId)]);
      const keys = [...state.items.keys()];
      const hashed = createHash('sha256').update(requestId).digest('base64url');
      expect(keys).toEqual([`AUTHNREQ#${hashed}`]);
      expect(keys.some((k) => k.includes(requestId))).toBe(false);
      expect(JSON.stringify([...state.items.values()])).not.toContain(requestId);
    });
  });

  it('refuses unsolicited responses where the IdP is configured for SP-initiated only', async () => {
    await expect(make().acs(acsPost('strict', { SAMLResponse: 'x' }))).rejects.toMatchObject({
      code: 'saml_unsolicited_refused',
    });
    expect(verify).not.toHaveBeenCalled();
  });

  it('starts a session and sends several grants to the access portal (303 to /)', async () => {
    verify.mockResolvedValue(assertion({ attributes: { groups: ['devs', 'admins'] } }));
    const res = await make().acs(acsPost('okta', { SAMLResponse: 'x' }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://sso.example.com/');
    expect(res.cookies?.at(-1)).toMatch(
      /^__Host-fedgate-session=okta\.[0-9a-f]{16}\.[\w-]{43}; Max-Age=28800; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    );
    expect(assume()).not.toHaveBeenCalled();
    expect(rig.sessionStore.sessions.size).toBe(1);
  });

  it('one grant: a session AND the console (one click stays one click)', async () => {
    const res = await make().acs(acsPost('okta', { SAMLResponse: 'x' }));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toContain('https://signin.aws.amazon.com/federation');
    expect(cookiePair(res.cookies, 'session')).toBeDefined();
    expect([...rig.sessionStore.sessions.values()][0]?.recent).toHaveLength(1);
  });

  it('a SessionNotOnOrAfter bounds the session', async () => {
    verify.mockResolvedValue(
      assertion({ attributes: { groups: ['devs', 'admins'] }, sessionNotOnOrAfter: NOW + 1800 }),
    );
    const res = await make().acs(acsPost('okta', { SAMLResponse: 'x' }));
    expect(res.cookies?.at(-1)).toContain('Max-Age=1800;');
    expect([...rig.sessionStore.sessions.values()][0]?.expiresAt).toBe(NOW + 1800);
  });

  it('IdP-initiated on an IdP that wants confirmation: nothing happens until the person confirms on fedgate', async () => {
    const res = await make().acs(acsPost('tile', { SAMLResponse: 'x' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('alice@example.com');
    expect(assume()).not.toHaveBeenCalled();
    expect(rig.sessionStore.sessions.size).toBe(0);
    const confirm = cookiePair(res.cookies, 'confirm') as string;
    expect(res.cookies?.find((c) => c.startsWith('__Host-fedgate-confirm='))).toContain(
      'SameSite=Strict',
    );
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.body ?? '')?.[1] as string;
    const post = (fields: Record<string, string>, cookies: string[]) =>
      apiEvent({
        method: 'POST',
        path: '/signin/confirm',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
        cookies,
      });
    // A cross-site post carries no Strict cookie; a forged form has no csrf token.
    await expect(rig.confirmation.confirm(post({ csrf }, []))).rejects.toMatchObject({
      code: 'signin_confirmation_invalid',
    });
    await expect(
      rig.confirmation.confirm(post({ csrf: 'x'.repeat(43) }, [confirm])),
    ).rejects.toMatchObject({ code: 'signin_confirmation_invalid' });
    const done = await rig.confirmation.confirm(post({ csrf }, [confirm]));
    expect(done.statusCode).toBe(302);
    expect(cookiePair(done.cookies, 'session')).toBeDefined();
    expect(done.cookies?.some((c) => c.startsWith('__Host-fedgate-confirm=;'))).toBe(true);
    // Single use.
    await expect(rig.confirmation.confirm(post({ csrf }, [confirm]))).rejects.toMatchObject({
      code: 'signin_confirmation_invalid',
    });
  });

  it('IdP-initiated, then the person is revoked before confirming: Continue starts no session', async () => {
    const res = await make().acs(acsPost('tile', { SAMLResponse: 'x' }));
    const confirm = cookiePair(res.cookies, 'confirm') as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.body ?? '')?.[1] as string;
    // An administrator ends everyone's sessions while the confirmation page is open.
    await rig.sessionStore.revoke({ kind: 'all' }, NOW * 1000 + 1, NOW + 86_400);
    await expect(
      rig.confirmation.confirm(
        apiEvent({
          method: 'POST',
          path: '/signin/confirm',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf }).toString(),
          cookies: [confirm],
        }),
      ),
    ).rejects.toMatchObject({ code: 'session_revoked' });
    expect(rig.sessionStore.sessions.size).toBe(0);
    expect(assume()).not.toHaveBeenCalled();
  });

  it.each([
    ['an unknown IdP', 'nope'],
    ['an OIDC IdP', 'google'],
  ])('answers not_found for %s', async (_, idp) => {
    await expect(make().acs(acsPost(idp, { SAMLResponse: 'x' }))).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('refuses with no_role_matched when no rule grants anything, and starts no session', async () => {
    verify.mockResolvedValue(assertion({ attributes: { groups: ['nobody'] } }));
    await expect(make().acs(acsPost('okta', { SAMLResponse: 'x' }))).rejects.toMatchObject({
      code: 'no_role_matched',
    });
    expect(rig.sessionStore.sessions.size).toBe(0);
  });

  it('SP-initiated login is its named steps, in order', () => {
    expect(make().loginSteps).toEqual([
      'requireGet',
      'loadSamlIdp',
      'parseDestination',
      'parseContinue',
      'buildAuthnRequest',
      'storePendingRequest',
      'redirectToIdp',
    ]);
  });

  it('refuses a form without SAMLResponse and a GET', async () => {
    await expect(make().acs(acsPost('okta', { RelayState: 'x' }))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(make().acs(apiEvent({ pathParameters: { idp: 'okta' } }))).rejects.toMatchObject({
      code: 'method_not_allowed',
    });
  });
});
