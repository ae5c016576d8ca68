import type { TLSSocket } from 'node:tls';
import { CliError, EXIT } from './errors.js';

/**
 * The HTTP proxy a call to an https gateway goes through, as curl and the AWS CLI read it:
 * `https_proxy` (else `HTTPS_PROXY`), an `http://[user:password@]host[:port]` URL (no scheme means
 * http; the port defaults to 80), unless `no_proxy` (else `NO_PROXY`) names the gateway's host.
 */
export interface ProxyRoute {
  /** host:port of the proxy. */
  host: string;
  port: number;
  hostname: string;
  /** `Proxy-Authorization` value, from the URL's user information. */
  authorization?: string;
  /** How the proxy is named in messages: `http://host:port`, never its user or password. */
  shown: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const bare = (host: string): string => host.toLowerCase().replace(/^\[|\]$/g, '');

/**
 * Whether a URL's hostname is this computer (127.0.0.1, [::1], localhost): a gateway there may
 * be plain http (the local runner) and is always reached directly, whatever the environment says.
 */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK.has(bare(hostname));

const envOf = (env: Readonly<Record<string, string | undefined>>, name: string) => {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/**
 * Whether `no_proxy` / `NO_PROXY` (a comma list) says to reach this host directly: `*` for
 * every host; otherwise an entry matches the host itself and every name under it, with or
 * without a leading dot (`example.com` and `.example.com` both cover `sso.example.com`); an
 * entry `host:port` matches that port only. IP addresses match exactly (no CIDR ranges).
 */
export const bypassesProxy = (
  gateway: URL,
  env: Readonly<Record<string, string | undefined>>,
): boolean => {
  const host = bare(gateway.hostname);
  if (isLoopbackHost(host)) return true;
  const list = envOf(env, 'no_proxy');
  if (list === undefined) return false;
  const port = gateway.port || '443';
  for (const raw of list.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const withPort = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(entry);
    if (withPort) {
      if (withPort[2] !== port) continue;
      entry = withPort[1] as string;
    }
    entry = bare(entry).replace(/^\*?\./, '');
    if (entry !== '' && (host === entry || host.endsWith(`.${entry}`))) return true;
  }
  return false;
};

/**
 * The proxy for a call to this gateway, or undefined to connect directly (plain http is only
 * for the loopback runner, which is never proxied).
 * @throws CliError proxy_url_invalid (exit 2) for an `https_proxy` that is not an http URL.
 */
export const proxyFor = (
  gateway: URL,
  env: Readonly<Record<string, string | undefined>>,
): ProxyRoute | undefined => {
  if (gateway.protocol !== 'https:') return undefined;
  const raw = envOf(env, 'https_proxy');
  if (raw === undefined || bypassesProxy(gateway, env)) return undefined;
  const invalid = () =>
    // Never echo the value: it may carry a password.
    new CliError('proxy_url_invalid', 'HTTPS_PROXY is not an http proxy address the CLI can use.', {
      next: 'Set it as http://host:port (or http://user:password@host:port), or unset it to connect directly.',
      exitCode: EXIT.usage,
    });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined;
  if (
    url?.protocol !== 'http:' ||
    url.hostname === '' ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw invalid();
  }
  const port = Number(url.port || '80');
  const route: ProxyRoute = {
    host: `${url.hostname}:${port}`,
    hostname: bare(url.hostname),
    port,
    shown: `http://${url.hostname}:${port}`,
  };
  if (url.username !== '' || url.password !== '') {
    let user: string;
    try {
      user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw invalid(); // a malformed %-escape
    }
    route.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  return route;
};

const nextStep = (proxy: ProxyRoute, gateway: URL) =>
  `Check HTTPS_PROXY (now ${proxy.shown}), your network and VPN; if fedgate is reached without ` +
  `the proxy, set NO_PROXY=${gateway.hostname}.`;

/**
 * A TLS connection to the gateway through an HTTP CONNECT tunnel: the proxy sees only
 * `host:port`; TLS runs end to end with the gateway's name as SNI and the usual certificate
 * checks (against `ca` when given, else Node's trusted CAs and NODE_EXTRA_CA_CERTS).
 * Loads node:http and node:tls only when called.
 * @throws CliError proxy_unreachable / proxy_refused (exit 5); TLS and socket errors as they
 * come (the caller explains them as the gateway's).
 */
export const connectThroughProxy = async (opts: {
  proxy: ProxyRoute;
  gateway: URL;
  userAgent: string;
  timeoutMs: number;
  ca?: string | Buffer;
}): Promise<TLSSocket> => {
  const [{ request }, { connect }] = await Promise.all([import('node:http'), import('node:tls')]);
  const { proxy, gateway } = opts;
  const target = `${gateway.hostname}:${gateway.port || '443'}`;
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const req = request({
      host: proxy.hostname,
      port: proxy.port,
      method: 'CONNECT',
      path: target,
      headers: {
        host: target,
        'user-agent': opts.userAgent,
        ...(proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {}),
      },
      timeout: opts.timeoutMs,
      agent: false,
    });
    req.on('connect', (res, sock) => {
      if (res.statusCode === 200) {
        resolve(sock);
        return;
      }
      sock.destroy();
      const status = res.statusCode ?? 0;
      reject(
        new CliError(
          'proxy_refused',
          `The proxy ${proxy.shown} refused to connect to fedgate at ${target} (HTTP ${status}${status === 407 ? ': proxy credentials needed or wrong' : ''}).`,
          {
            next:
              status === 407
                ? `Put your proxy user and password in HTTPS_PROXY as http://user:password@${proxy.host} (ask your network team), then try again.`
                : `Ask your network team to allow ${gateway.hostname} through ${proxy.shown}, or set NO_PROXY=${gateway.hostname} if it is reached without the proxy.`,
            exitCode: EXIT.gateway,
          },
        ),
      );
    });
    // A proxy that answers CONNECT with something other than a tunnel (an ordinary response).
    req.on('response', (res) => {
      res.resume();
      reject(
        new CliError(
          'proxy_refused',
          `The proxy ${proxy.shown} did not open a tunnel to fedgate at ${target} (HTTP ${res.statusCode ?? 0}).`,
          { next: nextStep(proxy, gateway), exitCode: EXIT.gateway },
        ),
      );
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          'proxy_unreachable',
          `Cannot reach the proxy ${proxy.shown} (${err.code ?? err.message}).`,
          { next: nextStep(proxy, gateway), exitCode: EXIT.gateway },
        ),
      ),
    );
    req.end();
  });
  return await new Promise<TLSSocket>((resolve, reject) => {
    const name = bare(gateway.hostname);
    const tls = connect({
      socket,
      // The name the certificate must carry; SNI only for a DNS name (never for an IP address).
      host: name,
      ...(/^[\d.]+$|:/.test(name) ? {} : { servername: name }),
      ALPNProtocols: ['http/1.1'],
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    tls.setTimeout(opts.timeoutMs, () =>
      tls.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    tls.once('secureConnect', () => {
      tls.setTimeout(0);
      tls.removeAllListeners('error');
      // Until the request takes the socket: an error then surfaces as the request's.
      tls.on('error', () => undefined);
      resolve(tls);
    });
    tls.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
};
