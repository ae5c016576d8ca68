import type { IncomingMessage } from 'node:http';
import { CliError, EXIT } from './errors.js';
import { connectThroughProxy, isLoopbackHost, proxyFor } from './proxy.js';

/** fedgate's answer to one API call. */
export interface GatewayAnswer {
  status: number;
  /** The parsed JSON body (undefined for an empty one). */
  body: unknown;
  /** fedgate's clock minus this computer's (ms), from the `Date` header, when present. */
  clockOffsetMs?: number;
}

/** One JSON POST to fedgate: the seam tests replace. */
export type GatewayPost = (
  path: string,
  body: unknown,
  opts?: { bearer?: string },
) => Promise<GatewayAnswer>;

const MAX_RESPONSE_BYTES = 1024 * 1024;
const TIMEOUT_MS = 20_000;

/**
 * The gateway's base URL from the command line or the state file: `https`, or `http` on the
 * loopback (the local runner) only — a session token never crosses a network in clear text.
 * No credentials, query or fragment; a path prefix (a stage) is kept, without a trailing slash.
 * @throws CliError gateway_url_invalid.
 */
export const parseGatewayUrl = (raw: string): URL => {
  const refuse = (why: string): never => {
    throw new CliError('gateway_url_invalid', `The gateway address ${raw} ${why}.`, {
      next: 'Use the https address of your fedgate, e.g. fedgate login --gateway https://sso.example.com',
      exitCode: EXIT.usage,
    });
  };
  if (!URL.canParse(raw)) return refuse('is not a URL');
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return refuse('is not https (plain http is only for a gateway on this computer)');
  }
  if (url.username || url.password || url.search || url.hash) {
    return refuse('carries credentials, a query or a fragment');
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
};

/** The URL of a gateway path under the base URL (which may carry a path prefix). */
export const gatewayUrl = (base: URL, path: string): URL => {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
};

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);

/** A transport failure, explained: unreachable (network, DNS, VPN) or TLS (certificate). */
export const explainTransportError = (err: unknown, base: URL): CliError => {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
  if (
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|DEPTH_ZERO|HOSTNAME_MISMATCH/.test(
      code,
    )
  ) {
    return new CliError(
      'tls_failed',
      `The TLS certificate of ${base.host} could not be verified (${code}).`,
      {
        next:
          'Check the gateway address. If your organisation inspects TLS, point NODE_EXTRA_CA_CERTS ' +
          'at its CA certificates (a PEM file) and try again.',
        exitCode: EXIT.gateway,
      },
    );
  }
  return new CliError(
    'gateway_unreachable',
    `Cannot reach fedgate at ${base.href} (${NETWORK.has(code) ? code : ((err as Error).message ?? code)}).`,
    {
      next: 'Check the address, your network connection and VPN, then try again.',
      exitCode: EXIT.gateway,
    },
  );
};

/**
 * JSON POSTs to one gateway over node:https (node:http for the loopback runner), with a timeout
 * and a size cap, no cookies and no `Origin` (the CLI API refuses browsers). An https gateway is
 * reached through the HTTP proxy `HTTPS_PROXY` names, unless `NO_PROXY` names it (see
 * proxy.ts), with TLS end to end. Transport failures come back as explained CliErrors; HTTP
 * errors are answers for the caller to read.
 */
export const createGatewayPost = (opts: {
  base: URL;
  userAgent: string;
  /** Epoch ms (the clock offset is measured against it). */
  now?: () => number;
  /** Where `HTTPS_PROXY` / `NO_PROXY` are read (the CLI's environment); none: direct. */
  env?: Readonly<Record<string, string | undefined>>;
  /** CA certificates to trust instead of Node's (tests); none: Node's and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
}): GatewayPost => {
  const now = opts.now ?? Date.now;
  return async (path, body, callOpts = {}) => {
    const proxy = proxyFor(opts.base, opts.env ?? {});
    const { request } = await (opts.base.protocol === 'https:'
      ? import('node:https')
      : import('node:http'));
    const tunnel = proxy
      ? await connectThroughProxy({
          proxy,
          gateway: opts.base,
          userAgent: opts.userAgent,
          timeoutMs: TIMEOUT_MS,
          ...(opts.ca ? { ca: opts.ca } : {}),
        }).catch((err: unknown) => {
          throw err instanceof CliError ? err : explainTransportError(err, opts.base);
        })
      : undefined;
    const payload = Buffer.from(JSON.stringify(body));
    const url = gatewayUrl(opts.base, path);
    const res = await new Promise<{ status: number; text: string; date: string | undefined }>(
      (resolve, reject) => {
        const req = request(
          url,
          {
            ...(tunnel ? { createConnection: () => tunnel } : {}),
            ...(opts.ca && !tunnel ? { ca: opts.ca } : {}),
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              'content-length': String(payload.length),
              'user-agent': opts.userAgent,
              ...(callOpts.bearer ? { authorization: `Bearer ${callOpts.bearer}` } : {}),
            },
            timeout: TIMEOUT_MS,
          },
          (response: IncomingMessage) => {
            const chunks: Buffer[] = [];
            let size = 0;
            response.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_RESPONSE_BYTES) {
                response.destroy(new Error('response too large'));
                return;
              }
              chunks.push(c);
            });
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
                date: response.headers.date,
              }),
            );
            response.on('error', reject);
          },
        );
        req.on('timeout', () =>
          req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
        );
        req.on('error', reject);
        req.end(payload);
      },
    ).catch((err: unknown) => {
      throw explainTransportError(err, opts.base);
    });
    let parsed: unknown;
    if (res.text !== '') {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        throw new CliError(
          'gateway_unexpected',
          `${opts.base.href} answered HTTP ${res.status} with something that is not fedgate's JSON.`,
          {
            next: 'Check that the address is your fedgate gateway (and its version has the CLI API).',
            exitCode: EXIT.gateway,
          },
        );
      }
    }
    const served = res.date === undefined ? Number.NaN : Date.parse(res.date);
    return {
      status: res.status,
      body: parsed,
      ...(Number.isFinite(served) ? { clockOffsetMs: served - now() } : {}),
    };
  };
};

/** The `{ error, error_description }` of a refusal. */
export const apiErrorOf = (answer: GatewayAnswer): { code: string; description: string } => {
  const b = answer.body as { error?: unknown; error_description?: unknown } | undefined;
  return {
    code: typeof b?.error === 'string' ? b.error : `http_${answer.status}`,
    description:
      typeof b?.error_description === 'string' ? b.error_description : `HTTP ${answer.status}`,
  };
};

/**
 * The CliError for a refusal of a call made with the session: sign in again (session ended or
 * revoked), the role (not granted, ambiguous), fedgate unavailable, or anything else.
 */
export const explainRefusal = (answer: GatewayAnswer, role?: string): CliError => {
  const { code, description } = apiErrorOf(answer);
  switch (code) {
    case 'session_invalid':
      return new CliError(code, 'Your fedgate session has ended.', {
        next: 'Sign in again: fedgate login',
        exitCode: EXIT.signIn,
      });
    case 'session_revoked':
      return new CliError(code, 'Your fedgate session was ended by an administrator.', {
        next: 'Sign in again if you still need access: fedgate login',
        exitCode: EXIT.signIn,
      });
    case 'grant_not_available':
      return new CliError(
        code,
        `The role ${role ?? ''} is not (or no longer) granted to you.`.replace('  ', ' '),
        { next: 'See the roles you have now: fedgate roles', exitCode: EXIT.role },
      );
    case 'cli_role_ambiguous':
      return new CliError(code, `Several of your roles match "${role ?? ''}".`, {
        next: 'Name it as account/label or by its id, as fedgate roles lists them.',
        exitCode: EXIT.role,
      });
    case 'temporarily_unavailable':
      return new CliError(code, 'fedgate is temporarily unavailable.', {
        next: 'Try again in a minute.',
        exitCode: EXIT.gateway,
      });
    default:
      // API Gateway's own answers (no fedgate error code): its route throttle, and a path it does
      // not serve (an address that is not fedgate, or one without the CLI API).
      if (answer.status === 429) {
        return new CliError('gateway_busy', 'fedgate is busy (too many requests).', {
          next: 'Try again in a minute.',
          exitCode: EXIT.gateway,
        });
      }
      if (answer.status === 404 && (code === 'http_404' || code === 'not_found')) {
        return new CliError(
          'gateway_not_fedgate',
          'This address serves no fedgate CLI API (HTTP 404).',
          {
            next: 'Check the address and sign in to it again: fedgate login --gateway https://sso.example.com',
            exitCode: EXIT.gateway,
          },
        );
      }
      return new CliError(code, `fedgate refused: ${description} (${code}).`, {
        ...(answer.status >= 500
          ? { next: 'Try again later; if it persists, tell your help desk.' }
          : {}),
        exitCode: answer.status >= 500 ? EXIT.gateway : EXIT.failed,
      });
  }
};
