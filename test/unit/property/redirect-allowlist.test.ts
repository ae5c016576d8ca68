/**
 * Properties of the redirect allowlist (shared/console/destination.ts) and of the `return_to`
 * parsing of SP-initiated sign-in (shared/saml/login-endpoints.ts): for generated URLs built from
 * open-redirect parts (`//evil`, `/\evil`, `user@host`, `javascript:`, CR/LF, percent-encoding,
 * IDN look-alikes, ports, backslashes, whitespace), no accepted destination ever leaves the
 * allowlisted AWS console hosts, and what is kept is exactly what a browser would parse.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseGatewayConfig } from '../../../shared/config/index.js';
import {
  AWS_CONSOLE_HOSTS,
  DEFAULT_CONSOLE_DESTINATION,
  isAllowedConsoleDestination,
  parseConsoleDestination,
} from '../../../shared/console/index.js';
import { GatewayError } from '../../../shared/http/errors.js';
import { createSamlLoginEndpoints } from '../../../shared/saml/login-endpoints.js';
import { clockAtSeconds } from '../../support/clock.js';
import { apiEvent, captureLogger } from '../../support/events.js';
import { createMemoryAttributeStore } from '../../support/memory-attribute-store.js';
import { createMemoryStateStore } from '../../support/memory-state-store.js';
import { fcOptions } from './outcome.js';

// Thousands of runs per property: seconds on an idle machine, more on a loaded shared one.
vi.setConfig({ testTimeout: 60_000 });

const isConsoleHost = (hostname: string, hosts: readonly string[] = AWS_CONSOLE_HOSTS) =>
  hosts.some((h) => hostname === h || hostname.endsWith(`.${h}`));

/** The invariants of any URL that comes out of the allowlist. */
const expectSafe = (url: URL, hosts: readonly string[] = AWS_CONSOLE_HOSTS) => {
  expect(url.protocol).toBe('https:');
  expect(url.username).toBe('');
  expect(url.password).toBe('');
  expect(url.port).toBe('');
  expect(isConsoleHost(url.hostname, hosts)).toBe(true);
  // Serialised, it contains nothing a header or a browser could read differently…
  expect(url.href).toMatch(/^https:\/\/[a-z0-9.-]+\/[\x21-\x7e]*$/);
  // …and parsing the serialisation again lands on the same host (no parser differential).
  const again = new URL(url.href);
  expect(again.hostname).toBe(url.hostname);
  expect(again.href).toBe(url.href);
};

const SCHEMES = [
  'https://',
  'HTTPS://',
  'http://',
  'https:',
  'https:/',
  'https:///',
  'https:\\\\',
  'https:/\\',
  '//',
  '/\\',
  '\\\\',
  '\\/',
  '/',
  '',
  ' https://',
  'javascript:',
  'JaVaScRiPt:',
  'java\tscript:',
  'data:text/html,',
  'vbscript:',
  'ftp://',
  'wss://',
] as const;
const USERINFO = [
  '',
  '',
  '',
  'user@',
  'user:pass@',
  'console.aws.amazon.com@',
  'console.aws.amazon.com:443@',
  'console.aws.amazon.com%40',
  '@',
  ':@',
  'a\\@',
] as const;
const HOSTS = [
  'console.aws.amazon.com',
  'us-east-1.console.aws.amazon.com',
  's3.console.aws.amazon.com',
  'CONSOLE.AWS.AMAZON.COM',
  'console.amazonaws.cn',
  'console.amazonaws-us-gov.com',
  'console.aws.amazon.com.',
  'console.aws.amazon.com.evil.example',
  'evilconsole.aws.amazon.com',
  'console-aws.amazon.com',
  'console.aws.amazon.co',
  'signin.aws.amazon.com',
  'aws.amazon.com',
  'cоnsole.aws.amazon.com',
  'ｃonsole.aws.amazon.com',
  'console.aws.amazon.com\u3002evil.example',
  'console.aws.amazon.com%2eevil.example',
  '%63onsole.aws.amazon.com',
  'xn--cnsole-2ve.aws.amazon.com',
  'xn--80ak6aa92e.console.aws.amazon.com',
  'evil.example',
  'evil.example\\.console.aws.amazon.com',
  'evil.example#.console.aws.amazon.com',
  'evil.example?.console.aws.amazon.com',
  'evil.example/.console.aws.amazon.com',
  '127.0.0.1',
  '0x7f.1',
  '[::1]',
  '54.239.28.85',
  'localhost',
  '',
] as const;
const PORTS = ['', '', '', ':443', ':8443', ':', ':0', ':65536', ':80'] as const;
const PATHS = [
  '/',
  '',
  '/ec2/home?region=eu-west-1#Instances:',
  '//evil.example/',
  '/\\evil.example',
  '/%2F%2Fevil.example',
  '/..%2F..%2F',
  '/@evil.example',
  '/?next=https://evil.example/',
  '#@evil.example',
  '?@evil.example',
  '/%0d%0aLocation:%20https://evil.example/',
] as const;
const NOISE = [
  '\r',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '\u0000',
  '\\',
  '@',
  '%',
  '#',
  '?',
  '\u00a0',
  '\u2028',
  '\u202e',
  '\ufeff',
  '.',
];

/** URL-ish strings assembled from open-redirect parts, with noise spliced in. */
const assembled = fc
  .tuple(
    fc.constantFrom(...SCHEMES),
    fc.constantFrom(...USERINFO),
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...HOSTS) },
      { weight: 1, arbitrary: fc.domain() },
      {
        weight: 1,
        arbitrary: fc.domain().map((d) => `${d}.console.aws.amazon.com`),
      },
    ),
    fc.constantFrom(...PORTS),
    fc.oneof(fc.constantFrom(...PATHS), fc.webPath()),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...NOISE)), { maxLength: 2 }),
  )
  .map(([scheme, user, host, port, path, noise]) =>
    noise.reduce((s, [at, n]) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + n + s.slice(i);
    }, `${scheme}${user}${host}${port}${path}`),
  );
/** Console URLs one edit away from an attack: most are kept, the edit decides the rest. */
const nearlyValid = fc
  .tuple(
    fc.constantFrom('https://', 'https://', 'HTTPS://', 'https:/', 'https:\\\\'),
    fc.constantFrom(...HOSTS.slice(0, 6)),
    fc.constantFrom('', '', ':443', ':8443'),
    fc.oneof(fc.constantFrom(...PATHS), fc.webPath()),
    fc.option(fc.tuple(fc.nat(), fc.constantFrom(...NOISE)), { nil: undefined, freq: 2 }),
  )
  .map(([scheme, host, port, path, noise]) => {
    const s = `${scheme}${host}${port}${path}`;
    if (!noise) return s;
    const i = noise[0] % (s.length + 1);
    return s.slice(0, i) + noise[1] + s.slice(i);
  });
const candidate = fc.oneof(
  { weight: 3, arbitrary: nearlyValid },
  { weight: 6, arbitrary: assembled },
  {
    weight: 2,
    arbitrary: fc.webUrl({
      validSchemes: ['https', 'http', 'javascript', 'ftp'],
      withQueryParameters: true,
      withFragments: true,
      authoritySettings: { withIPv4: true, withIPv6: true, withUserInfo: true, withPort: true },
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
);

describe('parseConsoleDestination', () => {
  it('never returns a URL outside the AWS console hosts, whatever it is given', () => {
    fc.assert(
      fc.property(candidate, (raw) => {
        const url = parseConsoleDestination(raw);
        expectSafe(url);
        if (url.href !== DEFAULT_CONSOLE_DESTINATION) {
          // Kept only as the browser parses the very same string: nothing was repaired.
          expect(url.href).toBe(new URL(raw).href);
          expect(isAllowedConsoleDestination(raw)).toBe(true);
        }
      }),
      fcOptions(5000),
    );
  });

  it('allowed exactly when kept: an allowed destination is returned as parsed', () => {
    fc.assert(
      fc.property(candidate, (raw) => {
        const allowed = isAllowedConsoleDestination(raw);
        const url = parseConsoleDestination(raw);
        if (allowed) expect(url.href).toBe(new URL(raw).href);
        else expect(url.href).toBe(DEFAULT_CONSOLE_DESTINATION);
      }),
      fcOptions(3000),
    );
  });

  it('narrowed host lists and a partition fallback are honoured', () => {
    let kept = 0;
    fc.assert(
      fc.property(
        candidate,
        fc.subarray([...AWS_CONSOLE_HOSTS], { minLength: 1 }),
        fc.constantFrom(...AWS_CONSOLE_HOSTS),
        (raw, allowedHosts, fallbackHost) => {
          const fallback = new URL(`https://${fallbackHost}/`);
          const url = parseConsoleDestination(raw, { allowedHosts, fallback });
          if (url.href === fallback.href) return;
          kept++;
          expectSafe(url, allowedHosts);
        },
      ),
      fcOptions(2000),
    );
    // Not vacuous: some destinations were kept (not replaced by the fallback) and checked.
    expect(kept).toBeGreaterThan(fcOptions(2000).numRuns / 100);
  });

  it('genuine console deep links are kept', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...AWS_CONSOLE_HOSTS),
        fc.option(fc.stringMatching(/^[a-z]{2}-[a-z]{4,9}-[1-3]$/), { nil: undefined }),
        fc.webPath(),
        fc.webQueryParameters(),
        fc.webFragments(),
        (host, region, path, query, fragment) => {
          const raw = `https://${region ? `${region}.` : ''}${host}${path || '/'}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
          const url = parseConsoleDestination(raw);
          expect(url.href).toBe(new URL(raw).href);
          expectSafe(url);
        },
      ),
      fcOptions(1500),
    );
  });
});

// ---------------------------------------------------------------- return_to of SP-initiated login
const NOW = 1_795_338_000;
const config = parseGatewayConfig({
  version: 1,
  idps: [
    {
      id: 'okta',
      displayName: 'Okta',
      protocol: 'saml',
      saml: {
        entityId: 'http://www.okta.com/exk1',
        ssoUrl: 'https://corp.okta.com/app/sso/saml',
        signingCertificates: ['MIIC'.padEnd(200, 'A')],
      },
    },
  ],
});

describe('GET /saml/{idp}/login?return_to=…', () => {
  it('stores only an allowlisted destination; a malformed query is a 400 invalid_request', async () => {
    const state = createMemoryStateStore(clockAtSeconds(NOW));
    const login = createSamlLoginEndpoints({
      attributes: createMemoryAttributeStore(config),
      state,
      parseDestination: (raw) => parseConsoleDestination(raw),
      publicBaseUrl: new URL('https://sso.example.com'),
      log: captureLogger() as never,
      clock: clockAtSeconds(NOW),
    });
    await fc.assert(
      fc.asyncProperty(candidate, fc.constantFrom('encoded', 'raw', 'twice'), async (raw, how) => {
        // As the browser or an attacker's link sends it: encoded, raw (the runner and API
        // Gateway pass the query string as received), or the parameter twice.
        const rawQueryString =
          how === 'encoded'
            ? `return_to=${encodeURIComponent(raw)}`
            : how === 'raw'
              ? `return_to=${raw}`
              : `return_to=${encodeURIComponent(raw)}&return_to=https%3A%2F%2Fconsole.aws.amazon.com%2F`;
        state.items.clear();
        let res: Awaited<ReturnType<typeof login.login>>;
        try {
          res = await login.login(
            apiEvent({ path: '/saml/okta/login', pathParameters: { idp: 'okta' }, rawQueryString }),
          );
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          expect((err as GatewayError).code).toBe('invalid_request');
          expect(how).toBe('twice');
          return;
        }
        expect(how).not.toBe('twice');
        expect(res.statusCode).toBe(302);
        // The redirect goes to the IdP, never to the destination…
        expect(new URL(res.headers?.location as string).origin).toBe('https://corp.okta.com');
        // …and the destination kept for after sign-in is an allowlisted console URL.
        const [item] = [...state.items.values()];
        const stored = JSON.parse((item as { data: string }).data) as { destination: string };
        expectSafe(new URL(stored.destination));
      }),
      fcOptions(400),
    );
  });
});
