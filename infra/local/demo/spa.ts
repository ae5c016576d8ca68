import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { LocalPlugin } from '../plugin.js';

/** Where the runner serves the demo SPA (its origin is the runner's; demo-config.yaml's `demo-spa`). */
export const DEMO_SPA_PATH = '/_local/spa/';

/**
 * Bundles a browser entry point with esbuild, in memory (no committed bundle, nothing written):
 * the browser client and the demo SPA's script, as one ES2022 module.
 */
export const bundleForBrowser = async (entry: string): Promise<string> => {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
};

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fedgate demo SPA</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
header { border-bottom: 1px solid #d0d7de; margin-bottom: 1rem; }
dt { font-weight: 600; margin-top: .5rem; } dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
button, select { font: inherit; padding: .3rem .8rem; margin-right: .5rem; }
#error { color: #b42318; }
.local { background: #fff8c5; padding: .2rem .5rem; border-radius: 4px; font-size: .85em; }
</style>
<script type="module" src="${DEMO_SPA_PATH}app.js"></script>
</head>
<body>
<header><h1>Demo SPA</h1><p>A single-page app that gets AWS credentials from fedgate
(sign in through the demo OpenID provider). <span class="local">local credentials: they work only
against the runner's stand-ins</span></p></header>
<p id="status">Loading…</p>
<p id="error" hidden></p>
<section id="signed-out" hidden><button id="signin" type="button">Sign in with fedgate</button></section>
<section id="signed-in" hidden>
<dl>
<dt>Signed in as</dt><dd id="who"></dd>
<dt>Role</dt><dd><select id="grants" aria-label="Role"></select></dd>
<dt>Assumed role</dt><dd id="role"></dd>
<dt>Session tags</dt><dd><ul id="tags"></ul></dd>
<dt>Access key id</dt><dd id="access-key"></dd>
<dt>Credentials expire</dt><dd id="expiry"></dd>
<dt>fedgate session ends</dt><dd id="session-ends"></dd>
</dl>
<button id="refresh" type="button">Refresh credentials</button>
<button id="logout" type="button">Sign out</button>
</section>
</body>
</html>
`;

const send = (res: ServerResponse, status: number, type: string, body: string) => {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
};

/**
 * The demo SPA on the runner at /_local/spa/: a static page and its script (the browser client
 * bundled with esbuild at start-up, served from memory). It signs in through the demo OpenID
 * provider as the registered SPA client `demo-spa`.
 */
export const demoSpa = (): LocalPlugin => {
  let script: string | undefined;
  return {
    name: 'demo-spa',
    prefix: DEMO_SPA_PATH,
    async prepare() {
      script = await bundleForBrowser(fileURLToPath(new URL('./spa-app.ts', import.meta.url)));
      return undefined;
    },
    async handle(req: IncomingMessage, res: ServerResponse) {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', '');
      if (path === DEMO_SPA_PATH) return send(res, 200, 'text/html; charset=utf-8', page);
      if (path === `${DEMO_SPA_PATH}app.js` && script)
        return send(res, 200, 'text/javascript; charset=utf-8', script);
      return send(res, 404, 'text/plain', 'not found');
    },
    describe: (ctx) => [`demo SPA             ${ctx.baseUrl.origin}${DEMO_SPA_PATH}`],
  };
};
