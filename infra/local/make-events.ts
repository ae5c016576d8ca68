/**
 * `npm run events`: records the API Gateway v2 events each function receives, from real requests
 * to a local runner whose public base URL is http://127.0.0.1:8787 (the base `npm run invoke`
 * uses), into .local/events/ (untracked: the runner's work directory). SAML responses in them are
 * signed by this machine's demo IdP keys and expire within minutes: record, then invoke, e.g.
 *   npm run events && npm run invoke -- saml-acs .local/events/saml-acs.okta-idp-initiated.json
 * Arguments keep only the events whose names start with one of them: `npm run events -- oidc-`.
 * The events in events/ are committed samples (tests read some; their SAML responses expired long
 * ago): `npm run events -- --out events` rewrites them, deliberately.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toApiGatewayEvent } from './api-gateway-event.js';
import { defaultPlugins } from './default-plugins.js';
import { fetchDemoSamlResponse } from './demo/saml-idps.js';
import { startLocalGateway } from './gateway.js';

export const EVENTS_BASE_URL = 'http://127.0.0.1:8787';
/** Where a run writes unless `--out` says: nothing tracked changes. */
export const EVENTS_OUT_DIR = '.local/events';

const { values: flags, positionals: only } = parseArgs({
  options: { out: { type: 'string' } },
  allowPositionals: true,
});
const outDir = flags.out ?? EVENTS_OUT_DIR;

const gateway = await startLocalGateway({
  port: 0,
  configPath: 'infra/local/demo-config.yaml',
  plugins: defaultPlugins(),
  publicBaseUrl: EVENTS_BASE_URL,
});

/** Captures the event one request would produce, by sending it to a one-shot recorder. */
const capture = async (
  routeKey: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  pathParameters: Record<string, string> = {},
) => {
  let resolveEvent: (e: ReturnType<typeof toApiGatewayEvent>) => void = () => undefined;
  const event = new Promise<ReturnType<typeof toApiGatewayEvent>>((r) => {
    resolveEvent = r;
  });
  const recorder = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      resolveEvent(
        toApiGatewayEvent({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: { ...req.headers, host: '127.0.0.1:8787' },
          body: Buffer.concat(chunks),
          sourceIp: '127.0.0.1',
          routeKey,
          pathParameters,
          domainName: '127.0.0.1:8787',
        }),
      );
      res.end();
    });
  });
  await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', () => r()));
  const { port } = recorder.address() as AddressInfo;
  await fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { 'user-agent': 'Mozilla/5.0', ...init.headers },
  });
  recorder.close();
  return event;
};

const demoResponse = (idp: string, user: string) => fetchDemoSamlResponse(gateway.url, idp, user);

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    origin: 'https://okta.example.com',
  },
  body: new URLSearchParams(fields).toString(),
});

const events: Record<string, Promise<unknown>> = {
  'home.default': capture('GET /', '/', {}),
  'saml-acs.okta-idp-initiated': demoResponse('demo-okta', 'carol').then((r) =>
    capture(
      'POST /saml/{idp}/acs',
      '/saml/demo-okta/acs',
      form({ SAMLResponse: r, RelayState: 'https://console.aws.amazon.com/s3/' }),
      {
        idp: 'demo-okta',
      },
    ),
  ),
  'saml-acs.entra-idp-initiated': demoResponse('demo-entra', 'erin').then((r) =>
    capture('POST /saml/{idp}/acs', '/saml/demo-entra/acs', form({ SAMLResponse: r }), {
      idp: 'demo-entra',
    }),
  ),
  'saml-login.okta': capture(
    'GET /saml/{idp}/login',
    '/saml/demo-okta/login?return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fec2%2F',
    {},
    {
      idp: 'demo-okta',
    },
  ),
  'portal.open-without-session': capture(
    'POST /portal/open',
    '/portal/open',
    form({ csrf: 'x', grant: 'g', target: 'console', region: 'us-east-1' }),
  ),
  'published-keys.aws-saml-metadata': capture(
    'GET /aws/saml-metadata.xml',
    '/aws/saml-metadata.xml',
    {},
  ),
  'oidc-login.demo': capture(
    'GET /oidc/{idp}/login',
    '/oidc/demo-oidc/login?return_to=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F',
    {},
    { idp: 'demo-oidc' },
  ),
  // A callback with a live transaction cannot be replayed from a file (the code is single-use
  // and the transaction cookie is per browser): this one shows the refusal without the cookie.
  'oidc-callback.without-transaction': capture(
    'GET /oidc/{idp}/callback',
    `/oidc/demo-oidc/callback?code=recorded-code&state=${'s'.repeat(43)}&iss=${encodeURIComponent(`${EVENTS_BASE_URL}/_local/oidc`)}`,
    {},
    { idp: 'demo-oidc' },
  ),
  // The SPA hand-off (shared/spa). An SPA login carries the SPA's own S256 challenge (here RFC 7636
  // appendix B's) and state; a real redemption needs a fresh code and the login-binding cookie of
  // its login, so the credentials events show the preflight and the refusals a recorded request
  // can still produce.
  'oidc-login.spa': capture(
    'GET /oidc/{idp}/login',
    `/oidc/demo-oidc/login?${new URLSearchParams({
      client_id: 'demo-spa',
      return_to: `${EVENTS_BASE_URL}/_local/spa/`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'recorded-spa-state-0123456789',
    })}`,
    {},
    { idp: 'demo-oidc' },
  ),
  'credentials.preflight': capture('OPTIONS /credentials', '/credentials?client_id=demo-spa', {
    method: 'OPTIONS',
    headers: {
      origin: EVENTS_BASE_URL,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  }),
  'credentials.redeem-used-code': capture('POST /redeem', '/redeem?client_id=demo-spa', {
    method: 'POST',
    headers: { origin: EVENTS_BASE_URL, 'content-type': 'application/json' },
    body: JSON.stringify({
      code: 'c'.repeat(43),
      code_verifier: 'dBjftJeZ4CVP-mJ92K9yjvMEt2jjE0Q2mLBQtrVX8ck',
    }),
  }),
  'credentials.foreign-origin': capture('POST /credentials', '/credentials?client_id=demo-spa', {
    method: 'POST',
    headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
    body: '{}',
  }),
  'credentials.refresh-without-session': capture(
    'POST /credentials',
    '/credentials?client_id=demo-spa',
    {
      method: 'POST',
      headers: { origin: EVENTS_BASE_URL, 'content-type': 'application/json' },
      body: '{}',
    },
  ),
  'credentials.grants-without-session': capture('POST /grants', '/grants?client_id=demo-spa', {
    method: 'POST',
    headers: { origin: EVENTS_BASE_URL, 'content-type': 'application/json' },
    body: '{}',
  }),
  'credentials.logout': capture('POST /logout', '/logout?client_id=demo-spa', {
    method: 'POST',
    headers: { origin: EVENTS_BASE_URL, 'content-type': 'application/json' },
    body: '{}',
  }),
  'published.sp-metadata': capture(
    'GET /saml/{idp}/metadata',
    '/saml/demo-okta/metadata',
    {},
    { idp: 'demo-okta' },
  ),
};
await mkdir(outDir, { recursive: true });
for (const [name, event] of Object.entries(events)) {
  if (only.length > 0 && !only.some((prefix) => name.startsWith(prefix))) continue;
  const e = (await event) as {
    requestContext: { requestId: string; time: string; timeEpoch: number };
  };
  const file = join(outDir, `${name}.json`);
  await writeFile(file, `${JSON.stringify(e, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
await gateway.stop();
