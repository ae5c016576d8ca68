import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html.js';

/**
 * The one page style of fedgate (role picker, access keys, errors, home): one stylesheet, inline
 * and allowed by its hash, so the CSP needs no 'unsafe-inline' and no second request.
 */
const STYLESHEET = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de;--accent:#0b5fff;--bad:#b42318}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#4493f8;--bad:#f85149}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:44rem;margin:3rem auto;padding:0 1rem}header{display:flex;align-items:center;gap:.6rem;margin-bottom:1.5rem}
.logo{font-weight:700;letter-spacing:.02em}.logo span{color:var(--accent)}h1{font-size:1.5rem;margin:.2rem 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.25rem 1.5rem;margin:1rem 0}
ul.list{list-style:none;padding:0;margin:0}ul.list li{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 0;border-top:1px solid var(--line)}
ul.list li:first-child{border-top:0}.muted{color:var(--muted);font-size:.9rem}.tag{font-size:.75rem;border:1px solid var(--line);border-radius:99px;padding:.05rem .5rem;color:var(--muted)}
a.button,button{display:inline-block;font:inherit;font-weight:600;color:#fff;background:var(--accent);border:0;border-radius:6px;padding:.45rem .9rem;text-decoration:none;cursor:pointer}
a.button:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error h1{color:var(--bad)}code,pre{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{overflow:auto;padding:.75rem;background:var(--bg);border:1px solid var(--line);border-radius:6px}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
h2{font-size:1.1rem;margin:0 0 .5rem}form.inline{display:inline}.actions{white-space:nowrap}
button.secondary{color:var(--accent);background:transparent;border:1px solid var(--accent)}
`.trim();

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const STYLE_HASH = hash(STYLESHEET);

/** A rendered page and the Content-Security-Policy that allows exactly what it contains. */
export interface RenderedPage {
  body: string;
  csp: string;
}

export interface PageOptions {
  title: string;
  content: SafeHtml;
  /** Inline scripts (each allowed by its hash); most pages have none. */
  scripts?: readonly string[];
  /** Origins a form on this page may post to, beyond 'self' (e.g. an ACS for an auto-post). */
  formActions?: readonly string[];
  /** Shown in the footer so a person can quote it to support. */
  requestId?: string;
}

/**
 * Renders a page in fedgate's one layout with a strict CSP: nothing loads from anywhere, the
 * stylesheet and each script are allowed by hash, and the page cannot be framed.
 */
export const renderPage = ({
  title,
  content,
  scripts = [],
  formActions = [],
  requestId,
}: PageOptions): RenderedPage => {
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · fedgate</title>
<style>${safe(STYLESHEET)}</style>
</head>
<body>
<main>
<header><div class="logo">fed<span>gate</span></div></header>
${content}
<footer>${requestId ? html`Request id <code>${requestId}</code>` : ''}</footer>
</main>
${scripts.map((s) => html`<script>${safe(s)}</script>`)}
</body>
</html>
`.value;
  const csp = [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    scripts.length ? `script-src ${scripts.map(hash).join(' ')}` : undefined,
    "img-src 'self' data:",
    `form-action 'self'${formActions.map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ]
    .filter(Boolean)
    .join('; ');
  return { body, csp };
};

// Only for fedgate's own constant stylesheet and scripts, never for data.
const safe = (constant: string) => new SafeHtml(constant);
