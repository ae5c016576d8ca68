import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AwsStandInFaults, holdBack, resetConnection } from './faults.js';
import type { IssuedSession, Ledger } from './ledger.js';

/**
 * The console federation endpoint stand-in (`https://signin.aws.amazon.com/federation`):
 * `Action=getSigninToken` turns session credentials the STS stand-in issued into a SigninToken;
 * `Action=login` redeems it once (within 15 minutes) and, instead of the console, renders a page
 * that shows who signed in as which role with which session tags. Checks are its own (no fedgate
 * code), as AWS's would be.
 */

export interface FederationStandInDeps {
  ledger: Ledger;
  faults: () => AwsStandInFaults;
}

// Console hosts AWS's federation endpoint redirects to (its own allowlist, written out here).
const CONSOLE_HOST =
  /^(?:[a-z0-9-]+\.)*console\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$/;

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f2f3f3;color:#16191f}
header{background:#232f3e;color:#fff;padding:12px 24px}header strong{color:#ff9900}
main{max-width:860px;margin:24px auto;padding:0 16px}
.banner{background:#fff4e5;border:1px solid #ff9900;padding:12px 16px;border-radius:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin:16px 0}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid #e9ebed;vertical-align:top}
th{width:220px;color:#545b64;font-weight:600}code{word-break:break-all}
.error{background:#fde8e8;border:1px solid #d13212;padding:12px 16px;border-radius:4px}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
// No script at all; the one inline style is allowed by its hash.
const PAGE_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const page = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="robots" content="noindex"><style>${STYLE}</style></head>
<body><header><strong>AWS console</strong> (local stand-in)</header><main>
${body}
</main></body></html>`;

const sendPage = (res: ServerResponse, status: number, title: string, body: string) => {
  res.writeHead(status, PAGE_HEADERS);
  res.end(page(title, body));
};

const sendText = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(text);
};

const refuseLogin = (res: ServerResponse, reason: string) =>
  sendPage(
    res,
    400,
    'Sign-in refused',
    `<div class="error" data-field="error"><h1>Sign-in refused</h1><p>${esc(reason)}</p></div>`,
  );

const row = (label: string, field: string, value: string) =>
  `<tr><th>${esc(label)}</th><td data-field="${field}">${value}</td></tr>`;

const signedInPage = (
  session: IssuedSession,
  destination: URL,
  issuer: string,
  consoleExpires: Date,
): string => {
  const transitive = new Set(session.transitiveTagKeys.map((k) => k.toLowerCase()));
  const tagRows = session.tags
    .map(
      (t) =>
        `<tr data-tag="${esc(t.key)}"><td><code>${esc(t.key)}</code></td><td><code>${esc(t.value)}</code></td><td>${transitive.has(t.key.toLowerCase()) ? 'transitive' : ''}</td></tr>`,
    )
    .join('');
  return `<p class="banner">This is <strong>not AWS</strong>: fedgate's local runner signed you in to a stand-in of the AWS console. The credentials behind this session are local and work nowhere else.</p>
<h1>Signed in as <span data-field="role-name">${esc(session.roleName)}</span></h1>
<table>
${row('Account', 'account', `<code>${esc(session.accountId)}</code>`)}
${row('Role', 'role-arn', `<code>${esc(session.roleArn)}</code>`)}
${row('Session name', 'session-name', `<code>${esc(session.sessionName)}</code>`)}
${row('Assumed role', 'assumed-role-arn', `<code>${esc(session.assumedRoleArn)}</code>`)}
${row('Source identity', 'source-identity', session.sourceIdentity ? `<code>${esc(session.sourceIdentity)}</code>` : '(none)')}
${row('Transitive tag keys', 'transitive-tag-keys', session.transitiveTagKeys.length ? session.transitiveTagKeys.map((k) => `<code>${esc(k)}</code>`).join(', ') : '(none)')}
${row('Credentials expire', 'credentials-expire', esc(session.expiration.toISOString()))}
${row('Console session ends', 'console-expires', esc(consoleExpires.toISOString()))}
${row('Destination', 'destination', `<code>${esc(destination.href)}</code>`)}
${row('Issuer', 'issuer', `<code>${esc(issuer)}</code>`)}
${row('SAML issuer / subject', 'subject', `<code>${esc(session.issuer)}</code> / <code>${esc(session.subject)}</code>`)}
</table>
<h2>Session tags (<span data-field="tag-count">${session.tags.length}</span>)</h2>
<table data-field="tags"><tr><th>Key</th><th>Value</th><th></th></tr>${tagRows || '<tr><td colspan="3">(none)</td></tr>'}</table>`;
};

/** The query of a GET, or the form body of a POST (AWS accepts both for getSigninToken). */
const paramsOf = (req: IncomingMessage, body: Buffer, url: URL): URLSearchParams => {
  if (req.method !== 'POST') return url.searchParams;
  const merged = new URLSearchParams(url.searchParams);
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) merged.set(k, v);
  return merged;
};

export const createFederationStandIn = (deps: FederationStandInDeps) => {
  const getSigninToken = (params: URLSearchParams, res: ServerResponse) => {
    const durationRaw = params.get('SessionDuration');
    let consoleSessionSeconds: number | undefined;
    if (durationRaw !== null) {
      consoleSessionSeconds = Number(durationRaw);
      if (
        !/^\d+$/.test(durationRaw) ||
        consoleSessionSeconds < 900 ||
        consoleSessionSeconds > 43_200
      ) {
        return sendText(res, 400, 'SessionDuration must be 900-43200 seconds');
      }
    }
    let session: unknown;
    try {
      session = JSON.parse(params.get('Session') ?? '');
    } catch {
      return sendText(res, 400, 'Session must be JSON with sessionId, sessionKey and sessionToken');
    }
    const s = session as { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown };
    if (
      typeof s?.sessionId !== 'string' ||
      typeof s.sessionKey !== 'string' ||
      typeof s.sessionToken !== 'string'
    ) {
      return sendText(res, 400, 'Session must be JSON with sessionId, sessionKey and sessionToken');
    }
    const issued = deps.ledger.findSession(s.sessionId, s.sessionKey, s.sessionToken);
    if (!issued) {
      return sendText(res, 400, 'The session credentials are unknown, altered or expired');
    }
    const token = deps.ledger.issueSigninToken(issued.accessKeyId, consoleSessionSeconds);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ SigninToken: token }));
  };

  const login = (params: URLSearchParams, res: ServerResponse) => {
    const issuer = params.get('Issuer');
    if (!issuer || !URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
      return refuseLogin(res, 'Issuer must be the absolute URL of the sign-in page.');
    }
    const destinationRaw = params.get('Destination') ?? '';
    const destination = URL.canParse(destinationRaw) ? new URL(destinationRaw) : undefined;
    if (
      destination?.protocol !== 'https:' ||
      destination.username !== '' ||
      destination.password !== '' ||
      destination.port !== '' ||
      !CONSOLE_HOST.test(destination.hostname)
    ) {
      return refuseLogin(res, 'Destination must be an https URL of the AWS console.');
    }
    const token = params.get('SigninToken');
    const redeemed = token ? deps.ledger.redeemSigninToken(token) : undefined;
    if (!redeemed) {
      return refuseLogin(
        res,
        'The SigninToken is unknown, expired (15 minutes) or was already used.',
      );
    }
    const { session, consoleSessionSeconds } = redeemed;
    // The console session lasts SessionDuration when one was asked for; the stand-in otherwise
    // lets it last as long as the credentials do.
    const consoleExpires = new Date(
      consoleSessionSeconds !== undefined
        ? Date.now() + consoleSessionSeconds * 1000
        : session.expiration.getTime(),
    );
    sendPage(
      res,
      200,
      'AWS console (local stand-in)',
      signedInPage(session, destination, issuer, consoleExpires),
    );
  };

  return async (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    url: URL,
  ): Promise<void> => {
    const fault = deps.faults();
    if (fault.federation === 'reset') return resetConnection(req, res);
    if (fault.federation === 'slow') await holdBack(res, fault.slowMs ?? 10_000);
    if (res.destroyed) return;
    if (fault.federation === 'down') return sendText(res, 503, '');
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' });
      return void res.end();
    }
    const params = paramsOf(req, body, url);
    switch (params.get('Action')) {
      case 'getSigninToken':
        if (fault.federation === 'malformed') return sendText(res, 200, '<html>not json</html>');
        return getSigninToken(params, res);
      case 'login':
        return login(params, res);
      default:
        return sendText(res, 400, 'Action must be getSigninToken or login');
    }
  };
};
