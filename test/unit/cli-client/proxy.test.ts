import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../shared/cli-client/context.js';
import { createGatewayPost } from '../../../shared/cli-client/gateway.js';
import { runCli } from '../../../shared/cli-client/main.js';
import { bypassesProxy, proxyFor } from '../../../shared/cli-client/proxy.js';

/** A self-signed certificate (its own CA) for these names. */
const certificate = (dir: string, name: string, san: string) => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.pem`),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, `${name}.key`)),
    cert: readFileSync(join(dir, `${name}.pem`)),
  };
};

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((d) => server.listen(0, '127.0.0.1', d));
  return (server.address() as AddressInfo).port;
};

const PASSWORD = 'hunter2-proxy-secret';

describe('the CLI through an HTTP proxy (CONNECT)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fg-proxy-'));
  const gatewayCert = certificate(
    dir,
    'gateway.test',
    'DNS:gateway.test,DNS:localhost,IP:127.0.0.1',
  );
  const otherCert = certificate(dir, 'other.test', 'DNS:other.test');
  /** What the gateway (a local TLS server) saw. */
  const seen: { url?: string; authorization?: string }[] = [];
  const handler = (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  };
  const gateway = createHttpsServer(gatewayCert, handler);
  const wrongHost = createHttpsServer(otherCert, handler);
  /** What the proxy saw, and how it answers CONNECT (200: a tunnel to 127.0.0.1:<port>). */
  const connects: { target?: string; auth?: string; headers: string[] }[] = [];
  let refuseWith: number | undefined;
  const sockets = new Set<Socket>();
  const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    connects.push({
      target: req.url,
      auth: req.headers['proxy-authorization'],
      headers: Object.keys(req.headers),
    });
    if (refuseWith !== undefined) {
      client.end(
        `HTTP/1.1 ${refuseWith} No\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    const port = Number((req.url ?? '').split(':').pop());
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  let gatewayPort = 0;
  let wrongHostPort = 0;
  let proxyPort = 0;

  beforeAll(async () => {
    gatewayPort = await listen(gateway);
    wrongHostPort = await listen(wrongHost);
    proxyPort = await listen(proxy);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([gateway, wrongHost, proxy].map((s) => new Promise((d) => s.close(d))));
  });
  beforeEach(() => {
    seen.length = 0;
    connects.length = 0;
    refuseWith = undefined;
  });

  /** The real transport; `ca`: the certificate to trust, or 'node' for Node's own CAs only. */
  const post = (
    base: string,
    env: Record<string, string>,
    ca: Buffer | 'node' = gatewayCert.cert,
  ) =>
    createGatewayPost({
      base: new URL(base),
      userAgent: 'fedgate-cli/test',
      env,
      ...(ca === 'node' ? {} : { ca }),
    });

  it('goes through HTTPS_PROXY: CONNECT host:port, then TLS end to end to the gateway', async () => {
    const answer = await post(`https://gateway.test:${gatewayPort}`, {
      HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
    })('/cli/roles', { client: 'c' }, { bearer: 'the-session-token' });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(connects).toEqual([
      { target: `gateway.test:${gatewayPort}`, auth: undefined, headers: expect.any(Array) },
    ]);
    // The bearer goes to the gateway inside TLS, never to the proxy in the clear.
    expect(connects[0]?.headers).not.toContain('authorization');
    expect(seen).toEqual([{ url: '/cli/roles', authorization: 'Bearer the-session-token' }]);
  });

  it('sends Proxy-Authorization (basic) from the proxy URL, https_proxy before HTTPS_PROXY', async () => {
    await post(`https://gateway.test:${gatewayPort}`, {
      https_proxy: `http://corp%5Calice:${PASSWORD}%40x@127.0.0.1:${proxyPort}`,
      HTTPS_PROXY: 'http://127.0.0.1:1',
    })('/cli/roles', {});
    expect(connects.map((c) => c.auth)).toEqual([
      `Basic ${Buffer.from(`corp\\alice:${PASSWORD}@x`).toString('base64')}`,
    ]);
  });

  it.each(['gateway.test', '.test', 'TEST', '*', ` other.example , gateway.test:${'PORT'}`])(
    'NO_PROXY=%s reaches the gateway directly (the proxy sees nothing)',
    async (noProxy) => {
      const err = await post(`https://gateway.test:${gatewayPort}`, {
        HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`,
        NO_PROXY: noProxy.replace('PORT', String(gatewayPort)),
      })('/cli/roles', {}).catch((e: unknown) => e);
      // Directly, this computer looks gateway.test up itself (a name only the proxy could reach).
      expect(err).toMatchObject({ code: 'gateway_unreachable', exitCode: 5 });
      expect(connects).toEqual([]);
    },
  );

  it.each([
    ['https://127.0.0.1', 'https_proxy'],
    ['https://localhost', 'HTTPS_PROXY'],
  ])('never proxies the loopback (%s, %s set)', async (base, name) => {
    const answer = await post(`${base}:${gatewayPort}`, {
      [name]: `http://127.0.0.1:${proxyPort}`,
      NO_PROXY: 'other.example',
    })('/cli/roles', {});
    expect(answer.status).toBe(200);
    expect(connects).toEqual([]);
  });

  it("still verifies the gateway's certificate through the tunnel", async () => {
    // A tunnel to a server whose (trusted) certificate is for another name.
    const wrong = await post(
      `https://gateway.test:${wrongHostPort}`,
      { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` },
      otherCert.cert,
    )('/cli/roles', {}).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'tls_failed', exitCode: 5 });
    expect((wrong as Error).message).toContain(`gateway.test:${wrongHostPort}`);
    // And one nobody vouches for (Node's own CAs only).
    const untrusted = await post(
      `https://gateway.test:${gatewayPort}`,
      { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` },
      'node',
    )('/cli/roles', {}).catch((e: unknown) => e);
    expect(untrusted).toMatchObject({ code: 'tls_failed', exitCode: 5 });
    expect(connects.map((c) => c.target)).toEqual([
      `gateway.test:${wrongHostPort}`,
      `gateway.test:${gatewayPort}`,
    ]);
    expect(seen).toEqual([]);
  });

  it.each([407, 403, 502])(
    'a proxy refusing CONNECT (HTTP %i) is a clear proxy_refused, exit 5, without the password',
    async (status) => {
      refuseWith = status;
      const err = (await post(`https://gateway.test:${gatewayPort}`, {
        HTTPS_PROXY: `http://alice:${PASSWORD}@127.0.0.1:${proxyPort}`,
      })('/cli/roles', {}).catch((e: unknown) => e)) as {
        code: string;
        message: string;
        next: string;
      };
      expect(err).toMatchObject({ code: 'proxy_refused', exitCode: 5 });
      expect(err.message).toContain(`http://127.0.0.1:${proxyPort}`);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(`${err.message} ${err.next}`).not.toContain(PASSWORD);
      expect(`${err.message} ${err.next}`).not.toContain('alice');
      expect(err.next).toContain(`127.0.0.1:${proxyPort}`);
    },
  );

  it('fedgate credentials through a proxy that wants credentials: exit 5, the proxy named, no password', async () => {
    refuseWith = 407;
    const home = mkdtempSync(join(tmpdir(), 'fg-proxy-cli-'));
    const out: string[] = [];
    const io: CliIo = {
      env: {
        FEDGATE_CONFIG_DIR: join(home, 'fedgate'),
        AWS_CONFIG_FILE: join(home, 'aws-config'),
        HTTPS_PROXY: `http://alice:${PASSWORD}@127.0.0.1:${proxyPort}`,
      },
      platform: 'linux',
      homedir: home,
      hostname: 'laptop',
      username: 'alice',
      version: '9.9.9',
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      now: () => Date.now(),
      openBrowser: vi.fn(async () => {
        throw new Error('no browser in this test');
      }),
    };
    execFileSync('mkdir', ['-p', join(home, 'fedgate')]);
    execFileSync('sh', ['-c', `cat > ${join(home, 'fedgate', 'state.json')}`], {
      input: JSON.stringify({
        version: 1,
        gateway: `https://gateway.test:${gatewayPort}`,
        client: 'alice@laptop',
        session: {
          token: `okta.0123456789abcdef.${'s'.repeat(43)}`,
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          idp: 'okta',
          idpDisplayName: 'Okta',
        },
        credentials: {},
      }),
    });
    const code = await runCli(['credentials', '--role', 'dev'], io, '/opt/fedgate/fedgate.cjs');
    const text = out.join('');
    expect(code).toBe(5);
    expect(connects.map((c) => c.target)).toEqual([`gateway.test:${gatewayPort}`]);
    expect(text).toContain(`The proxy http://127.0.0.1:${proxyPort} refused`);
    expect(text).toContain('HTTPS_PROXY');
    expect(text).not.toContain(PASSWORD);
  });

  it('a proxy nobody answers is proxy_unreachable, exit 5', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise((d) => closed.close(d));
    const err = await post(`https://gateway.test:${gatewayPort}`, {
      HTTPS_PROXY: `http://alice:${PASSWORD}@127.0.0.1:${port}`,
    })('/cli/roles', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'proxy_unreachable', exitCode: 5 });
    expect((err as Error).message).toContain(`http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect((err as Error).message).not.toContain(PASSWORD);
  });
});

describe('which calls take the proxy', () => {
  const gw = new URL('https://sso.example.com');
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128' };

  it.each([
    ['sso.example.com', true],
    ['.example.com', true],
    ['example.com', true],
    ['*.example.com', true],
    ['SSO.Example.COM', true],
    ['sso.example.com:443', true],
    ['sso.example.com:8443', false],
    ['ample.com', false],
    ['other.example.com', false],
    ['com.example', false],
    ['', false],
  ])('NO_PROXY=%j bypasses sso.example.com: %s', (noProxy, direct) => {
    expect(bypassesProxy(gw, { ...env, no_proxy: noProxy })).toBe(direct);
    expect(proxyFor(gw, { ...env, NO_PROXY: noProxy }) === undefined).toBe(direct);
  });

  it.each([
    'https://127.0.0.1:8443',
    'https://[::1]:8443',
    'https://localhost',
    'http://127.0.0.1:8787',
  ])('never proxies %s', (base) => {
    expect(proxyFor(new URL(base), env)).toBeUndefined();
  });

  it('reads a proxy without a scheme as http, port 80 by default', () => {
    expect(proxyFor(gw, { https_proxy: 'proxy.corp' })).toMatchObject({
      hostname: 'proxy.corp',
      port: 80,
      shown: 'http://proxy.corp:80',
    });
    expect(proxyFor(gw, {})).toBeUndefined();
    expect(proxyFor(gw, { HTTPS_PROXY: ' ' })).toBeUndefined();
  });

  it.each([
    'socks5://u:secret@proxy.corp:1080',
    'https://u:secret@proxy.corp:443',
    'http://u:secret@proxy.corp:3128/path',
    'http://u:secret%zz@proxy.corp:3128',
  ])('refuses HTTPS_PROXY=%s without echoing it', (raw) => {
    let err: unknown;
    try {
      proxyFor(gw, { HTTPS_PROXY: raw });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'proxy_url_invalid', exitCode: 2 });
    expect(`${(err as Error).message} ${(err as { next: string }).next}`).not.toContain('secret');
  });
});
