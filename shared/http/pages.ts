import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html.js';

/**
 * The one page style of fedgate (access portal, access keys, sign-in confirmation, errors, home):
 * one stylesheet, inline and allowed by its hash, so the CSP needs no 'unsafe-inline' and no
 * second request. WCAG 2.1 AA in light and dark: text 4.5:1 on every background it sits on,
 * controls and the focus ring 3:1 (--control, --accent), buttons white on --button (5.1:1 light,
 * 4.6:1 dark). Pages fit 375 px without horizontal scroll; buttons and fields are 44 px high.
 */
const STYLESHEET = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de;--control:#6e7781;--accent:#0b5fff;--button:#0b5fff;--bad:#b42318;--note:#eaf1ff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#161b22;--line:#30363d;--control:#8b949e;--accent:#4493f8;--button:#1f6feb;--bad:#f85149;--note:#1c2a3a}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:52rem;margin:3rem auto;padding:0 1rem}header{display:flex;align-items:center;gap:.6rem;margin-bottom:1.5rem}
.logo{font-weight:700;letter-spacing:.02em}.logo span{color:var(--accent)}h1{font-size:1.5rem;margin:.2rem 0 1rem}
a{color:var(--accent)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.25rem 1.5rem;margin:1rem 0}
ul.list{list-style:none;padding:0;margin:0}ul.list li{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem 1rem;padding:.75rem 0;border-top:1px solid var(--line)}
ul.list li:first-child{border-top:0}.muted{color:var(--muted);font-size:.9rem}.tag{font-size:.75rem;border:1px solid var(--line);border-radius:99px;padding:.05rem .5rem;color:var(--muted)}
a.button,button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;font:inherit;font-weight:600;color:#fff;background:var(--button);border:1px solid var(--button);border-radius:6px;padding:.45rem .9rem;text-decoration:none;cursor:pointer}
a.button.secondary,button.secondary{color:var(--accent);background:transparent;border-color:var(--accent)}
input,select{font:inherit;color:var(--fg);background:var(--card);border:1px solid var(--control);border-radius:6px;min-height:2.75rem;padding:.4rem .6rem;max-width:100%}
a.button:focus-visible,button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error h1{color:var(--bad)}code,pre{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{overflow:auto;padding:.75rem;background:var(--bg);border:1px solid var(--line);border-radius:6px}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .5rem}form.inline{display:inline}.actions{display:flex;flex-wrap:wrap;gap:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
[hidden]{display:none!important}
.notice{background:var(--note);border:1px solid var(--accent);border-radius:10px;padding:.75rem 1rem;margin:1rem 0}
.topbar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:flex-start;gap:.5rem 1rem;margin-bottom:1rem}.topbar p{margin:0;flex:1 1 18rem}
.filter{display:flex;flex-direction:column;gap:.25rem;margin:1rem 0}.filter input{width:100%}
.roles{list-style:none;padding:0;margin:0}.role{border-top:1px solid var(--line);padding:.75rem 0}.role:first-child{border-top:0}
.role form{display:flex;flex-wrap:wrap;align-items:flex-start;gap:.5rem 1rem}.role-name{flex:1 1 12rem;min-width:0;overflow-wrap:anywhere}
.role-name .muted{display:block}.role-go{display:flex;flex-wrap:wrap;gap:.5rem}
.options summary{cursor:pointer;color:var(--accent);font-size:.9rem;width:max-content;padding:.25rem 0}
.options label{display:flex;flex-direction:column;gap:.25rem;margin-top:.25rem}.options input{width:100%}
.creds{display:grid;grid-template-columns:max-content minmax(0,1fr) auto;gap:.5rem 1rem;align-items:center;margin:0}
.creds dt{font-weight:600}.creds dd{margin:0;overflow-wrap:anywhere;word-break:break-all}
.shell{margin:.75rem 0}.shell summary{cursor:pointer;font-weight:600;padding:.625rem 0}.shell pre{margin:.5rem 0;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-all}
@media (max-width:34rem){main{margin:1.5rem auto}.card{padding:1rem}.role-go{flex:1 1 100%}.role-go label{flex:1 1 100%}.role-go select{width:100%}.role-go button{flex:1 1 0}.creds{grid-template-columns:minmax(0,1fr) auto}.creds dt{grid-column:1/-1;margin-top:.5rem}}
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
