import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openInBrowser } from './browser.js';
import type { CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';
import {
  apiErrorOf,
  explainRefusal,
  type GatewayAnswer,
  type GatewayPost,
  gatewayUrl,
  parseGatewayUrl,
} from './gateway.js';
import { lockOptions, noteClock, postTo, stringField } from './session-calls.js';
import { type CliState, readState, withStateLock, writeState } from './state-file.js';

/** RFC 8628's device grant type. */
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** How long the loopback listener waits for the browser. */
const LOOPBACK_TIMEOUT_MS = 5 * 60_000;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export interface LoginOptions {
  gateway?: string;
  idp?: string;
  noBrowser?: boolean;
  label?: string;
}

/** `<user>@<host>`, reduced to the label's characters: shown on the consent and device pages. */
export const defaultLabel = (username: string, hostname: string): string => {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  const host = clean(hostname.split('.')[0] ?? '') || 'computer';
  const user = clean(username);
  return (user ? `${user}@${host}` : host).slice(0, 64);
};

const base64url = (b: Buffer) => b.toString('base64url');

/** What a sign-in's token answer carries. */
interface TokenAnswer {
  token: string;
  session: CliState['session'] & object;
}

const tokenAnswerOf = (answer: GatewayAnswer): TokenAnswer => {
  const body = answer.body as { session?: Record<string, unknown> };
  const s = body?.session ?? {};
  return {
    token: stringField(body, 'access_token'),
    session: {
      token: stringField(body, 'access_token'),
      endsAt: stringField(s, 'endsAt'),
      idp: stringField(s, 'idp'),
      idpDisplayName: stringField(s, 'idpDisplayName'),
      ...(typeof s.displayName === 'string' ? { displayName: s.displayName } : {}),
    },
  };
};

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · fedgate</title></head>` +
  `<body style="font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">` +
  `<h1>${title}</h1><p>${text}</p></body></html>`;

const answerBrowser = (res: ServerResponse, status: number, title: string, text: string) => {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  });
  res.end(page(title, text));
};

/**
 * RFC 8252 loopback sign-in: a listener on 127.0.0.1 (an ephemeral port), PKCE S256 and a random
 * state; the browser goes to `/cli/authorize`, the person consents on fedgate's page, and the
 * browser comes back with a one-time code, which is exchanged (with the verifier) for the
 * session token. A request to the listener with another state is answered and ignored.
 */
const loopbackLogin = async (
  ctx: CliContext,
  post: GatewayPost,
  base: URL,
  client: string,
  idp: string | undefined,
): Promise<GatewayAnswer> => {
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const state = base64url(randomBytes(32));
  let settle: (r: { code?: string; error?: string }) => void = () => undefined;
  const result = new Promise<{ code?: string; error?: string }>((done) => {
    settle = done;
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const got = Buffer.from(url.searchParams.get('state') ?? '');
    const want = Buffer.from(state);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      answerBrowser(
        res,
        400,
        'Not this sign-in',
        'This answer does not belong to the fedgate login running in your terminal.',
      );
      return;
    }
    const code = url.searchParams.get('code') ?? undefined;
    const error = url.searchParams.get('error') ?? undefined;
    if (code) {
      answerBrowser(
        res,
        200,
        'Signed in',
        'The fedgate CLI is signing you in. You can close this tab and go back to the terminal.',
      );
    } else {
      answerBrowser(
        res,
        200,
        'Sign-in cancelled',
        'The fedgate CLI was not signed in. You can close this tab.',
      );
    }
    settle(code ? { code } : { error: error ?? 'no_code' });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  try {
    const authorize = gatewayUrl(base, '/cli/authorize');
    authorize.search = new URLSearchParams({
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      client,
      ...(idp ? { idp } : {}),
    }).toString();
    ctx.io.stderr(
      `Opening your browser to sign in to fedgate. If it does not open, go to:\n\n  ${authorize.href}\n\n`,
    );
    await (ctx.io.openBrowser ?? ((u: string) => openInBrowser(u, ctx.io)))(authorize.href).catch(
      (err: unknown) =>
        ctx.io.stderr(
          `fedgate: could not open a browser (${(err as Error).message}); open the address above yourself,\n` +
            '  or sign in from another device: fedgate login --no-browser\n',
        ),
    );
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      result,
      new Promise<undefined>((done) => {
        timer = setTimeout(() => done(undefined), LOOPBACK_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === undefined) {
      throw new CliError('login_timeout', 'The browser sign-in did not finish within 5 minutes.', {
        next: 'Run fedgate login again, or fedgate login --no-browser to sign in from another device.',
        exitCode: EXIT.cancelled,
      });
    }
    if (!outcome.code) {
      throw new CliError('login_cancelled', 'The sign-in was cancelled in the browser.', {
        next: 'Run fedgate login again when you want to sign in.',
        exitCode: EXIT.cancelled,
      });
    }
    const answer = await post('/cli/token', {
      grant_type: 'authorization_code',
      code: outcome.code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    });
    if (answer.status !== 200) throw explainRefusal(answer);
    return answer;
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
};

/**
 * RFC 8628-shaped device sign-in: a user code to enter on any device, then polling at the
 * server's interval (`slow_down` adds 5 s) until the person approves, denies or the code expires.
 */
const deviceLogin = async (
  ctx: CliContext,
  post: GatewayPost,
  client: string,
  idp: string | undefined,
): Promise<GatewayAnswer> => {
  const start = await post('/cli/device', { client, ...(idp ? { idp } : {}) });
  if (start.status !== 200) throw explainRefusal(start);
  const deviceCode = stringField(start.body, 'device_code');
  const userCode = stringField(start.body, 'user_code');
  const verification = stringField(start.body, 'verification_uri');
  const complete = stringField(start.body, 'verification_uri_complete');
  const { expires_in: expiresIn, interval: given } = start.body as {
    expires_in?: number;
    interval?: number;
  };
  ctx.io.stderr(
    `To sign in, open this address in a browser on any device:\n\n  ${verification}\n\n` +
      `and enter the code\n\n  ${userCode}\n\n(or open ${complete} directly). ` +
      'Only enter it on fedgate’s own page, and never give it to anyone.\nWaiting for you to confirm…\n',
  );
  const sleep = ctx.io.sleep ?? ((ms: number) => new Promise<void>((d) => setTimeout(d, ms)));
  let interval = Math.max(1, Number(given) || 5);
  const deadline = ctx.io.now() + Math.max(1, Number(expiresIn) || 600) * 1000;
  let failures = 0;
  for (;;) {
    // A little over the interval: polls must be at least `interval` apart at the gateway.
    await sleep(interval * 1000 + 250);
    if (ctx.io.now() > deadline) break;
    let answer: GatewayAnswer;
    try {
      answer = await post('/cli/token', { grant_type: DEVICE_GRANT, device_code: deviceCode });
    } catch (err) {
      // A network blip during a wait of minutes: keep polling, a few times.
      if (err instanceof CliError && err.exitCode === EXIT.gateway && ++failures <= 3) continue;
      throw err;
    }
    if (answer.status === 200) return answer;
    // API Gateway's route throttle: as slow_down (RFC 8628 §3.5).
    if (answer.status === 429) {
      interval += 5;
      continue;
    }
    const { code } = apiErrorOf(answer);
    if (code === 'authorization_pending') continue;
    if (code === 'slow_down') {
      interval += 5;
      continue;
    }
    if (code === 'expired_token') break;
    if (code === 'access_denied') {
      throw new CliError('login_denied', 'The sign-in was denied in the browser.', {
        next: 'Run fedgate login --no-browser again if that was a mistake.',
        exitCode: EXIT.cancelled,
      });
    }
    if (answer.status >= 500 && ++failures <= 3) continue;
    throw explainRefusal(answer);
  }
  throw new CliError('login_expired', 'The code expired before the sign-in was confirmed.', {
    next: 'Run fedgate login --no-browser again for a new code.',
    exitCode: EXIT.cancelled,
  });
};

/**
 * `fedgate login [--gateway URL] [--idp ID] [--no-browser] [--label NAME]`: signs the CLI in
 * through the person's browser and keeps the session token in the state file (0600). A previous
 * session is ended at the gateway (best effort) and cached credentials are dropped.
 * @returns what to tell the person.
 */
export const login = async (ctx: CliContext, opts: LoginOptions): Promise<string> => {
  const before = readState(ctx.paths);
  const raw = opts.gateway ?? before.gateway ?? ctx.io.env.FEDGATE_GATEWAY;
  if (!raw) {
    throw new CliError('gateway_unknown', 'Which fedgate should the CLI sign in to?', {
      next: 'Name it once: fedgate login --gateway https://sso.example.com',
      exitCode: EXIT.usage,
    });
  }
  const base = parseGatewayUrl(raw);
  const gateway = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const client = opts.label ?? before.client ?? defaultLabel(ctx.io.username, ctx.io.hostname);
  if (!LABEL.test(client)) {
    throw new CliError('label_invalid', `The label "${client}" is not allowed.`, {
      next: 'Use letters, digits and . _ @ + - (up to 64), e.g. --label alice-laptop',
      exitCode: EXIT.usage,
    });
  }
  if (opts.idp !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(opts.idp)) {
    throw new CliError('idp_invalid', `"${opts.idp}" is not an identity provider id.`, {
      exitCode: EXIT.usage,
    });
  }
  const post = postTo(ctx, base);
  const answer = opts.noBrowser
    ? await deviceLogin(ctx, post, client, opts.idp)
    : await loopbackLogin(ctx, post, base, client, opts.idp);
  const { token, session } = tokenAnswerOf(answer);
  let previous: { token: string; client: string; gateway: string } | undefined;
  await withStateLock(ctx.paths, lockOptions(ctx), async () => {
    const old = readState(ctx.paths);
    if (old.session && old.gateway && old.client) {
      previous = { token: old.session.token, client: old.client, gateway: old.gateway };
    }
    const next: CliState = { version: 1, gateway, client, session: { ...session, token } };
    noteClock(ctx, next, answer);
    writeState(ctx.paths, next);
  });
  if (previous && previous.token !== token) {
    const p = previous;
    await postTo(ctx, parseGatewayUrl(p.gateway))(
      '/cli/logout',
      { client: p.client },
      {
        bearer: p.token,
      },
    ).catch(() => undefined);
  }
  const who = session.displayName
    ? `${session.displayName} (${session.idpDisplayName})`
    : session.idpDisplayName;
  return (
    `Signed in to ${gateway} as ${who}, until ${new Date(session.endsAt).toLocaleString()}.\n` +
    'Next: fedgate roles, or fedgate configure to write an AWS profile per role.\n'
  );
};
