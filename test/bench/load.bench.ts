/**
 * `npm run bench -- load`: load on the local runner over loopback, in its own process (what
 * `npm start -- --port 0` runs: the functions, the embedded DynamoDB, the demo IdPs and OP, the
 * STS and federation stand-ins). Two flows, each with a fixed request count, a duration bound and
 * a small concurrency pool (node's fetch, keep-alive), run twice to show the memory trend:
 *
 * - SAML ACS: N fresh signed responses from the demo IdP (each its own assertion id: replay
 *   protection would refuse a reused one) are generated before timing, then posted; each one goes
 *   through verification, the replay table and the session's start. The demo Okta's tile is
 *   IdP-initiated with `idpInitiated: confirm` (the default), so each sign-in is two requests, timed
 *   together as a person's: the ACS post (the confirmation page) and the Continue (mapping,
 *   minting, AssumeRoleWithSAML at the STS stand-in, the console sign-in: 302 to the federation
 *   endpoint).
 * - OIDC callback: N sign-ins are driven through the demo OP without a browser up to the redirect
 *   back (test/integration/oidc/browserless.ts) before timing; then each callback is redeemed:
 *   transaction, code exchange at the OP, ID token validation, mapping, web identity token,
 *   AssumeRoleWithWebIdentity at the STS stand-in, console sign-in.
 *
 * Printed: requests/s, p50/p99 latency, errors (must be 0; each one is printed), and the runner
 * process's RSS before and after each round (the trend). Stops by itself.
 * Environment: LOAD_REQUESTS (default 300 ACS posts per round), LOAD_OIDC_REQUESTS (150: the OP's
 * codes live 60 s), LOAD_CONCURRENCY (8), LOAD_MAX_SECONDS (120 per flow and round), LOAD_ROUNDS (3), LOAD_HEAP_MIB
 * (unset: cap the runner's old space to tell a leak from heap sizing).
 */
import { readFile } from 'node:fs/promises';
import { fetchDemoSamlResponse } from '../../infra/local/demo/saml-idps.js';
import { createJar, signInAtOp, step } from '../integration/oidc/browserless.js';
import { spawnCapturedRunner } from '../support/log-capture.js';
import { completeConfirmation } from '../support/portal-flow.js';
import { type BenchSuite, type Figure, printFigures } from './harness.js';

const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 8);
const MAX_SECONDS = Number(process.env.LOAD_MAX_SECONDS ?? 120);
// oidc-provider's authorization codes live 60 s: fewer OIDC sign-ins are prepared per round.
const OIDC_REQUESTS = Math.min(REQUESTS, Number(process.env.LOAD_OIDC_REQUESTS ?? 150));
/** Rounds of both flows (the RSS trend needs at least 2). */
const ROUNDS = Math.max(2, Number(process.env.LOAD_ROUNDS ?? 3));
/**
 * Caps the runner's V8 old space (MiB): RSS alone cannot tell a leak from V8 growing its heap to
 * the load; under a cap a leak ends in errors or an out-of-memory exit, printed as errors.
 */
const HEAP_MIB = process.env.LOAD_HEAP_MIB ? Number(process.env.LOAD_HEAP_MIB) : undefined;

/** Runs `fn` over `items` with `n` workers until done or the deadline passes. */
const pool = async <T>(
  items: readonly T[],
  n: number,
  deadline: number,
  fn: (item: T) => Promise<void>,
): Promise<number> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length && Date.now() < deadline) await fn(items[next++] as T);
    }),
  );
  return next;
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

/** Resident memory of a process in MiB, from /proc (Linux). */
const rssMiB = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
};

interface RoundResult {
  name: string;
  sent: number;
  seconds: number;
  latencies: number[];
  errors: string[];
}

/** Times `send` over the prepared items; a request is an error unless `ok` says otherwise. */
const timed = async <T>(
  name: string,
  items: readonly T[],
  send: (item: T) => Promise<Response>,
  ok: (res: Response) => boolean,
): Promise<RoundResult> => {
  const latencies: number[] = [];
  const errors: string[] = [];
  const start = performance.now();
  const sent = await pool(items, CONCURRENCY, Date.now() + MAX_SECONDS * 1000, async (item) => {
    const t0 = performance.now();
    try {
      const res = await send(item);
      const body = await res.text();
      latencies.push(performance.now() - t0);
      if (!ok(res))
        errors.push(
          `${res.status} ${/<code>([a-z_]+)<\/code>/.exec(body)?.[1] ?? body.slice(0, 80)}`,
        );
    } catch (err) {
      latencies.push(performance.now() - t0);
      errors.push(String(err));
    }
  });
  const seconds = (performance.now() - start) / 1000;
  if (sent < items.length)
    errors.push(`stopped at the ${MAX_SECONDS} s bound after ${sent} of ${items.length}`);
  return { name, sent, seconds, latencies: latencies.sort((a, b) => a - b), errors };
};

const figuresOf = (r: RoundResult): Figure[] => [
  { name: `${r.name}: requests`, value: r.sent, unit: '', note: `concurrency ${CONCURRENCY}` },
  { name: `${r.name}: throughput`, value: r.sent / r.seconds, unit: 'req/s' },
  { name: `${r.name}: p50 latency`, value: percentile(r.latencies, 50), unit: 'ms' },
  { name: `${r.name}: p99 latency`, value: percentile(r.latencies, 99), unit: 'ms' },
  { name: `${r.name}: errors`, value: r.errors.length, unit: '', note: 'must be 0' },
];

export const suite: BenchSuite = {
  title: 'load: SAML ACS and OIDC callback on the local runner (loopback, STS stand-in)',
  async run() {
    const runner = await spawnCapturedRunner([], {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(HEAP_MIB ? { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` } : {}),
    });
    const pid = runner.child.pid as number;
    const base = runner.url;
    const toConsole = (res: Response) =>
      res.status === 302 && (res.headers.get('location') ?? '').includes('SigninToken=');
    try {
      const prepareSaml = async () => {
        const out: string[] = [];
        await pool(
          Array.from({ length: REQUESTS }),
          CONCURRENCY,
          Number.POSITIVE_INFINITY,
          async () => {
            out.push(await fetchDemoSamlResponse(base, 'demo-okta', 'carol'));
          },
        );
        return out;
      };
      const prepareOidc = async () => {
        const out: { callback: URL; cookie: string }[] = [];
        await pool(
          Array.from({ length: OIDC_REQUESTS }),
          CONCURRENCY,
          Number.POSITIVE_INFINITY,
          async () => {
            const { callback, jar } = await signInAtOp(
              new URL('/oidc/demo-oidc/login', base),
              'paul',
              createJar(),
            );
            out.push({ callback, cookie: jar.header() });
          },
        );
        return out;
      };
      const samlRound = async (label: string) =>
        timed(
          `SAML ACS + confirmation ${label}`,
          await prepareSaml(),
          (samlResponse) => samlSignIn(base, samlResponse),
          toConsole,
        );
      const oidcRound = async (label: string) =>
        timed(
          `OIDC callback ${label}`,
          await prepareOidc(),
          ({ callback, cookie }) => {
            const jar = createJar();
            for (const pair of cookie.split('; ')) {
              const eq = pair.indexOf('=');
              if (eq > 0) jar.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
            }
            return step(jar, callback);
          },
          toConsole,
        );

      // warm-up: every code path once (cold starts, JIT, the stand-ins' metadata and JWKS caches)
      await samlRoundWarmUp(base);
      const rss: Figure[] = [{ name: 'runner RSS before', value: await rssMiB(pid), unit: 'MiB' }];
      const rounds: RoundResult[] = [];
      for (const label of Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`)) {
        rounds.push(await samlRound(label));
        rounds.push(await oidcRound(label));
        rss.push({ name: `runner RSS after ${label}`, value: await rssMiB(pid), unit: 'MiB' });
      }
      printFigures(
        `load · ${REQUESTS} ACS posts and ${OIDC_REQUESTS} OIDC callbacks per round · pid ${pid}${HEAP_MIB ? ` · old space capped at ${HEAP_MIB} MiB` : ''}`,
        rounds.flatMap(figuresOf),
      );
      const growth: Figure[] = rss.slice(2).map((after, i) => ({
        name: `growth in round ${i + 2}`,
        value: after.value - (rss[i + 1]?.value ?? 0),
        unit: 'MiB',
        note: `round 1: ${((rss[1]?.value ?? 0) - (rss[0]?.value ?? 0)).toFixed(1)} MiB`,
      }));
      printFigures(
        'runner memory (RSS of the runner process: functions, demo IdPs and OP, STS and federation stand-ins; DynamoDB Local is its own process)',
        [...rss, ...growth],
      );
      const errors = rounds.flatMap((r) => r.errors.map((e) => `${r.name}: ${e}`));
      if (errors.length > 0) {
        console.log(`\nERRORS (${errors.length}; must be 0):`);
        for (const e of errors.slice(0, 50)) console.log(`  ${e}`);
        process.exitCode = 1;
      } else {
        console.log('\nerrors: 0');
      }
    } finally {
      runner.capture.stop();
      await runner.stop();
    }
  },
};

/**
 * A person's IdP-initiated SAML sign-in at the demo Okta: the ACS post, then (the IdP's
 * `idpInitiated: confirm`) the confirmation's Continue. Returns fedgate's last answer.
 */
const samlSignIn = async (base: URL, samlResponse: string): Promise<Response> => {
  const res = await fetch(new URL('/saml/demo-okta/acs', base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
  });
  if (res.status !== 200) return res;
  return completeConfirmation(base, res);
};

/** One SAML and one OIDC sign-in before measuring (not counted). */
const samlRoundWarmUp = async (base: URL) => {
  const res = await samlSignIn(base, await fetchDemoSamlResponse(base, 'demo-okta', 'carol'));
  const body = await res.text();
  const { callback, jar } = await signInAtOp(new URL('/oidc/demo-oidc/login', base), 'paul');
  await (await step(jar, callback)).text();
  if (res.status !== 302)
    throw new Error(`warm-up SAML sign-in answered ${res.status}: ${body.slice(0, 200)}`);
};
