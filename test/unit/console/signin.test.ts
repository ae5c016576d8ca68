import { describe, expect, it, vi } from 'vitest';
import {
  AWS_FEDERATION_ENDPOINT,
  ConsoleSigninFailedError,
  createConsoleSignin,
} from '../../../shared/console/index.js';
import type { GatewayError } from '../../../shared/http/index.js';

/** The clock every signin here reads (epoch ms). */
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const credentials = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+SESSION/TOKEN==',
  // As STS grants at most: 12 hours.
  expiration: new Date(NOW + 43_200_000),
};
const SIGNIN_TOKEN = 'SIGNIN-TOKEN-secret-value';
const destination = new URL('https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1');
const issuerUrl = new URL('https://sso.example.com/');

type FetchImpl = (url: URL, init: RequestInit) => Promise<Response>;

const jsonResponse = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
    ...init,
  });

const setup = (
  impl: FetchImpl,
  opts: { endpoint?: string; timeoutMs?: number; max?: number } = {},
) => {
  const fetchMock = vi.fn(impl);
  const signin = createConsoleSignin({
    fetch: fetchMock as unknown as typeof fetch,
    federationEndpoint: new URL(opts.endpoint ?? AWS_FEDERATION_ENDPOINT),
    issuerUrl,
    timeoutMs: opts.timeoutMs ?? 1000,
    ...(opts.max ? { maxResponseBytes: opts.max } : {}),
    clock: () => NOW,
  });
  const build = (
    overrides: { destination?: URL; sessionDurationSeconds?: number; expiration?: Date } = {},
  ) => {
    const { expiration = credentials.expiration, ...rest } = overrides;
    return signin.buildSigninUrl({
      credentials: { ...credentials, expiration },
      destination,
      sessionDurationSeconds: 3600,
      ...rest,
    });
  };
  return { fetchMock, build };
};

const requestedUrl = (fetchMock: ReturnType<typeof vi.fn>) => fetchMock.mock.calls[0]?.[0] as URL;

/** Everything an error could put into a log line. */
const loggable = (err: unknown) => {
  const e = err as GatewayError;
  return `${e.message} ${e.detail} ${e.description}`;
};

describe('createConsoleSignin', () => {
  it('gets a SigninToken with the session and returns the login URL', async () => {
    const { fetchMock, build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }));
    const url = await build();

    const req = requestedUrl(fetchMock);
    expect(`${req.origin}${req.pathname}`).toBe(AWS_FEDERATION_ENDPOINT);
    expect(req.searchParams.get('Action')).toBe('getSigninToken');
    expect(req.searchParams.get('SessionDuration')).toBe('3600');
    expect(JSON.parse(req.searchParams.get('Session') ?? '')).toEqual({
      sessionId: credentials.accessKeyId,
      sessionKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    });
    expect(fetchMock.mock.calls[0]?.[1]).toMatchObject({ method: 'GET', redirect: 'error' });
    expect(fetchMock.mock.calls[0]?.[1].signal).toBeInstanceOf(AbortSignal);

    expect(`${url.origin}${url.pathname}`).toBe(AWS_FEDERATION_ENDPOINT);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'login',
      Issuer: issuerUrl.href,
      Destination: destination.href,
      SigninToken: SIGNIN_TOKEN,
    });
  });

  it('uses a regional federation endpoint for both calls', async () => {
    const regional = 'https://eu-central-1.signin.aws.amazon.com/federation';
    const { fetchMock, build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }), {
      endpoint: regional,
    });
    const url = await build();
    expect(requestedUrl(fetchMock).href.startsWith(`${regional}?`)).toBe(true);
    expect(url.href.startsWith(`${regional}?`)).toBe(true);
  });

  it.each([
    [60, '900'],
    [43_200, '43200'],
    [86_400, '43200'],
    [7200.5, '7200'],
  ])('clamps a console session of %s s to SessionDuration=%s', async (seconds, sent) => {
    const { fetchMock, build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }));
    await build({ sessionDurationSeconds: seconds });
    expect(requestedUrl(fetchMock).searchParams.get('SessionDuration')).toBe(sent);
  });

  it.each([
    ['STS fell back to 1 h for a 12 h grant', 43_200, 3600, '3600'],
    ['the credentials a little older (59:30 left)', 43_200, 3570, '3570'],
    ['asked for less than the credentials last', 1800, 3600, '1800'],
    ['12 h credentials, 12 h asked', 43_200, 43_200, '43200'],
    ['less than the console minimum left', 3600, 600, '900'],
  ])(
    'clamps SessionDuration to what the credentials have left: %s',
    async (_, asked, left, sent) => {
      const { fetchMock, build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }));
      await build({ sessionDurationSeconds: asked, expiration: new Date(NOW + left * 1000) });
      expect(requestedUrl(fetchMock).searchParams.get('SessionDuration')).toBe(sent);
    },
  );

  it('credentials whose expiry cannot be read get the shortest console session', async () => {
    const { fetchMock, build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }));
    await build({ sessionDurationSeconds: 43_200, expiration: new Date(Number.NaN) });
    expect(requestedUrl(fetchMock).searchParams.get('SessionDuration')).toBe('900');
  });

  it('sends a destination that is not an AWS console URL to the default console', async () => {
    const { build } = setup(async () => jsonResponse({ SigninToken: SIGNIN_TOKEN }));
    const url = await build({ destination: new URL('https://evil.example/') });
    expect(url.searchParams.get('Destination')).toBe('https://console.aws.amazon.com/');
  });

  it.each([500, 502, 503, 429])('maps a %s from the federation endpoint to 503', async (status) => {
    const { build } = setup(async () => new Response('busy', { status }));
    await expect(build()).rejects.toMatchObject({
      code: 'temporarily_unavailable',
      status: 503,
      dependency: 'federation',
    });
  });

  it.each<[string, () => Response]>([
    ['a 400', () => new Response('Bad Request', { status: 400 })],
    ['a 403', () => new Response('', { status: 403 })],
    ['a redirect status', () => new Response('', { status: 302 })],
    ['a body that is not JSON', () => new Response('<html>hi</html>', { status: 200 })],
    ['JSON without a SigninToken', () => jsonResponse({ token: 'x' })],
    ['an empty SigninToken', () => jsonResponse({ SigninToken: '' })],
    ['a non-string SigninToken', () => jsonResponse({ SigninToken: 42 })],
    ['JSON null', () => jsonResponse(null)],
  ])('refuses %s with console_signin_failed (502)', async (_case, respond) => {
    const { build } = setup(async () => respond());
    const err = await build().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsoleSigninFailedError);
    expect(err).toMatchObject({ code: 'console_signin_failed', status: 502, expose: false });
  });

  it('refuses an answer larger than the cap (declared length)', async () => {
    const { build } = setup(
      async () =>
        new Response(JSON.stringify({ SigninToken: 'x'.repeat(200) }), {
          headers: { 'content-length': '100000' },
        }),
      { max: 100 },
    );
    await expect(build()).rejects.toMatchObject({ code: 'console_signin_failed' });
  });

  it('refuses an answer larger than the cap (streamed)', async () => {
    const { build } = setup(
      async () => new Response(JSON.stringify({ SigninToken: 'x'.repeat(200) })),
      { max: 100 },
    );
    const err = await build().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'console_signin_failed' });
    expect((err as GatewayError).detail).toContain('larger than 100 bytes');
  });

  it('maps a timeout to 503', async () => {
    const { build } = setup(
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
      { timeoutMs: 20 },
    );
    const err = await build().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    expect((err as GatewayError).detail).toContain('timed out after 20 ms');
  });

  it('maps a network failure to 503 with its code', async () => {
    const { build } = setup(async () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    });
    const err = await build().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'temporarily_unavailable', dependency: 'federation' });
    expect((err as GatewayError).detail).toContain('ECONNREFUSED');
  });

  it('never puts the credentials or the SigninToken into an error', async () => {
    const answers: (() => Response)[] = [
      () => new Response(`{"SigninToken":"${SIGNIN_TOKEN}"`, { status: 200 }),
      () => new Response(SIGNIN_TOKEN, { status: 400 }),
      () => new Response(SIGNIN_TOKEN, { status: 503 }),
    ];
    for (const respond of answers) {
      const { build } = setup(async () => respond());
      const text = loggable(await build().catch((e: unknown) => e));
      for (const secret of [
        SIGNIN_TOKEN,
        credentials.secretAccessKey,
        credentials.sessionToken,
        encodeURIComponent(credentials.sessionToken),
      ]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
