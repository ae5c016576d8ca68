import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchDemoSamlResponse } from '../../../infra/local/demo/saml-idps.js';
import type { CliIo } from '../../../shared/cli-client/context.js';
import { createJar, type Jar, step } from '../oidc/browserless.js';

/**
 * A transparent HTTP proxy in front of a runner that counts requests by `METHOD /path`: the
 * gateway's own count of, e.g., `POST /cli/credentials` (how many refreshes reached it).
 * Start it first, give its URL to the runner as the public base URL, then `setTarget`.
 */
export const startCountingProxy = async () => {
  let target: URL | undefined;
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const key = `${req.method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!target) {
      res.writeHead(502).end();
      return;
    }
    const upstream = httpRequest(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    url,
    counts,
    count: (key: string) => counts.get(key) ?? 0,
    setTarget: (t: URL) => {
      target = t;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
};

const decode = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

const locationOf = (res: Response, base: URL | string): URL => {
  const location = res.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location, base);
};

/** The hidden fields and action of the first POST form of a page. */
export const formOf = (page: string) => {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error('no POST form on the page');
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = decode(m[2] as string);
  }
  return { action: decode(action), fields };
};

/**
 * A browser without a screen for the CLI's loopback login: from the authorize URL through the
 * demo SAML IdP (SP-initiated, as `person`), back to the consent page (continue), "Sign in the
 * CLI", and on to the CLI's listener. Real HTTP against the runner, with a cookie jar.
 */
export const browserlessConsent =
  (person: string, jar: Jar = createJar()) =>
  async (authorize: string): Promise<void> => {
    let res = await step(jar, authorize);
    let url = new URL(authorize);
    if (res.status === 303) {
      // No browser session: to the IdP the CLI named, via fedgate's SP-initiated login.
      const login = locationOf(res, url);
      const toIdp = await step(jar, login);
      const sso = locationOf(toIdp, login);
      const chooser = await (await step(jar, sso)).text();
      const inResponseTo = /name="inResponseTo" value="([^"]+)"/.exec(chooser)?.[1];
      const idp = login.pathname.split('/')[2] as string;
      const samlResponse = await fetchDemoSamlResponse(sso, idp, person, inResponseTo);
      const acs = await step(jar, new URL(`/saml/${idp}/acs`, login), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
      });
      url = locationOf(acs, login);
      res = await step(jar, url);
    }
    const consent = formOf(await res.text());
    const post = await step(jar, new URL(consent.action, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...consent.fields, decision: 'allow' }).toString(),
    });
    await fetch(locationOf(post, url));
  };

/** A CliIo for running the CLI in this process, its output captured. */
export const testIo = (over: Partial<CliIo> & Pick<CliIo, 'env'>) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    platform: process.platform,
    homedir: '/nonexistent',
    hostname: 'ci-box',
    username: 'alice',
    version: 'test',
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: Date.now,
    ...over,
  };
  return {
    io,
    take: () => {
      const r = { stdout: out.join(''), stderr: err.join('') };
      out.length = 0;
      err.length = 0;
      return r;
    },
  };
};

/** Runs a command to its end: exit code, stdout, stderr. */
export const runProcess = (
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; child: ChildProcess }> =>
  new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr, child }));
  });
