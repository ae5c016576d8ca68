import {
  type HttpResponse,
  html,
  page,
  renderSupport,
  type SafeHtml,
  type SupportContact,
} from '../http/index.js';
import { COPY_SCRIPT, FILTER_SCRIPT, LOCAL_TIME_SCRIPT } from './scripts.js';

/** One role a person may use, as the portal lists it (what the session domain resolved now). */
export interface PortalGrant {
  /** Opaque id: the only thing a form carries back (never the role ARN). */
  id: string;
  label: string;
  roleArn: string;
  accountId: string;
  accountAlias?: string;
  durationSeconds: number;
  tagKeys: readonly string[];
}

/** Everything the access portal shows; the page is a pure function of it. */
export interface PortalView {
  person: { displayName?: string; idpDisplayName: string };
  /** Epoch seconds: the absolute end, and the end if left unused (when there is one). */
  session: { expiresAt: number; idleExpiresAt?: number };
  grants: readonly PortalGrant[];
  /** Grant ids, most recently used first; ids of grants no longer granted are skipped. */
  recent: readonly string[];
  /** The CSRF token every form carries as the hidden field `csrf`. */
  csrf: string;
  regions: readonly string[];
  defaultRegion: string;
  actions: { open: URL; signOut: URL };
  requestId: string;
  /** Shown above the roles, e.g. "The role you chose is no longer granted to you." */
  notice?: string;
  /** A console deep link the sign-in asked for (already allowlisted): prefilled in every row. */
  destination?: string;
  support?: SupportContact;
}

/** Temporary AWS credentials as STS returned them (structurally an `AwsSession`). */
export interface PortalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** What the access keys page shows. */
export interface AccessKeysView {
  credentials: PortalCredentials;
  grant: Pick<PortalGrant, 'label' | 'roleArn' | 'accountId' | 'accountAlias'>;
  /** The region the person chose; AWS_REGION / AWS_DEFAULT_REGION and the profile use it. */
  region: string;
  /** The access portal, linked back to. */
  portal: URL;
  requestId: string;
  /** The CLI set-up section, when there is one to show. */
  cliSetup?: SafeHtml;
  support?: SupportContact;
}

/** What the sign-in confirmation for an IdP-initiated sign-in shows and posts. */
export interface SignInConfirmView {
  person: { displayName?: string; subjectHint?: string };
  idpDisplayName: string;
  csrf: string;
  action: URL;
  cancel: URL;
  requestId: string;
}

/** Options for rendering at a fixed time (tests); pages use the clock otherwise. */
export interface RenderOptions {
  /** Epoch seconds. */
  now?: number;
}

/** Above this many grants the portal adds a filter box and a "Recently used" section. */
const FEW_GRANTS = 5;
const RECENT_MAX = 5;

const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
const accountName = (g: Pick<PortalGrant, 'accountId' | 'accountAlias'>) =>
  g.accountAlias ?? g.accountId;

/** "1 h", "1 h 30 min", "45 min", "less than a minute". */
const span = (seconds: number): string => {
  if (seconds <= 0) return 'no time';
  if (seconds < 60) return 'less than a minute';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (!h) return `${m} min`;
  return m ? `${h} h ${m} min` : `${h} h`;
};

/** The no-script rendering of a time: "14:05 UTC", with the date when it is not today (UTC). */
const utc = (at: Date, now: Date): string => {
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
};

/** A time the inline script rewrites into the person's local time. */
const localTime = (at: Date, now: Date): SafeHtml =>
  html`<time datetime="${at.toISOString()}" data-local>${utc(at, now)}</time>`;

/** Time left until `at`, which the inline script keeps current. */
const timeLeft = (at: Date, now: Date): SafeHtml =>
  html`<strong data-until="${at.toISOString()}">${span((at.getTime() - now.getTime()) / 1000)}</strong>`;

const fromEpoch = (seconds: number) => new Date(seconds * 1000);
const nowOf = (opts: RenderOptions | undefined) =>
  new Date(opts?.now === undefined ? Date.now() : opts.now * 1000);

// A form may post to fedgate's own routes: 'self', plus the origin of an absolute action URL
// (the public base URL), if it is a plain http(s) origin that cannot break the CSP's syntax.
const formOrigins = (...urls: URL[]): string[] => [
  ...new Set(
    urls
      .map((u) => u.origin)
      .filter((o) =>
        /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/.test(o),
      ),
  ),
];

// One collator for every comparison: localeCompare with options builds one per call.
const collator = new Intl.Collator('en', { sensitivity: 'base' });
const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Accounts ordered by alias then id, each with its roles ordered by label (then role name). */
const byAccount = (grants: readonly PortalGrant[]) => {
  const accounts = new Map<string, { id: string; alias?: string; grants: PortalGrant[] }>();
  for (const g of grants) {
    const a = accounts.get(g.accountId) ?? { id: g.accountId, grants: [] };
    a.alias ??= g.accountAlias;
    a.grants.push(g);
    accounts.set(g.accountId, a);
  }
  return [...accounts.values()]
    .sort((a, b) => collator.compare(a.alias ?? a.id, b.alias ?? b.id) || compare(a.id, b.id))
    .map((a) => ({
      ...a,
      grants: a.grants.sort(
        (x, y) =>
          collator.compare(x.label, y.label) ||
          compare(roleName(x.roleArn), roleName(y.roleArn)) ||
          compare(x.id, y.id),
      ),
    }));
};

/** Up to {@link RECENT_MAX} recent grants that are still granted, most recent first, no repeats. */
const recentGrants = (view: PortalView): PortalGrant[] => {
  const byId = new Map(view.grants.map((g) => [g.id, g]));
  const out: PortalGrant[] = [];
  for (const id of new Set(view.recent)) {
    const g = byId.get(id);
    if (g) out.push(g);
    if (out.length === RECENT_MAX) break;
  }
  return out;
};

/**
 * The access portal at `/`: every role the person may use now, grouped by account, each with
 * Console and Access keys (one form per role row, posting only `csrf`, `grant`, `target`,
 * `region` and an optional `destination`), the session's end in time left and local time, and a
 * Sign out form. Works without script; the inline scripts add the filter box and local times.
 * @example portalPage({ person, session, grants, recent: [], csrf, regions, defaultRegion,
 *   actions: { open: new URL('/open', base), signOut: new URL('/sign-out', base) }, requestId })
 */
export const portalPage = (view: PortalView, opts?: RenderOptions): HttpResponse => {
  const now = nowOf(opts);
  const many = view.grants.length > FEW_GRANTS;
  const regions = view.regions.includes(view.defaultRegion)
    ? view.regions
    : [view.defaultRegion, ...view.regions];
  // The region list is the same in every row: render it once.
  const regionOptions = html`${regions.map(
    (r) => html`<option${r === view.defaultRegion ? html` selected` : ''}>${r}</option>`,
  )}`;
  const hidden = html`<input type="hidden" name="csrf" value="${view.csrf}">`;

  const row = (g: PortalGrant, withAccount: boolean): SafeHtml => {
    const as = `${g.label} in ${accountName(g)}`;
    const filterText = [g.label, roleName(g.roleArn), g.accountAlias ?? '', g.accountId]
      .join(' ')
      .toLowerCase();
    const meta = withAccount
      ? html`${accountName(g)}${g.accountAlias ? html` · ${g.accountId}` : ''}`
      : html`${roleName(g.roleArn)} · ${span(g.durationSeconds)}${g.tagKeys.length ? html` · tags ${g.tagKeys.join(', ')}` : ''}`;
    return html`<li class="role" data-filter="${filterText}">
<form method="post" action="${view.actions.open.href}">
${hidden}<input type="hidden" name="grant" value="${g.id}">
<div class="role-name"><strong>${g.label}</strong><span class="muted">${meta}</span>
<details class="options"><summary>Options<span class="visually-hidden"> for ${as}</span></summary>
<label>Console page to open (optional)
<input type="url" name="destination" autocomplete="off" placeholder="https://console.aws.amazon.com/…"${view.destination ? html` value="${view.destination}"` : ''}></label>
</details></div>
<div class="role-go">
<label><span class="visually-hidden">Region for ${as}</span><select name="region">${regionOptions}</select></label>
<button type="submit" name="target" value="console" aria-label="Console as ${as}">Console</button>
<button type="submit" name="target" value="keys" class="secondary" aria-label="Access keys as ${as}">Access keys</button>
</div>
</form>
</li>`;
  };

  const recent = many ? recentGrants(view) : [];
  const end = fromEpoch(view.session.expiresAt);
  const idle =
    view.session.idleExpiresAt !== undefined && view.session.idleExpiresAt < view.session.expiresAt
      ? fromEpoch(view.session.idleExpiresAt)
      : undefined;
  const { displayName, idpDisplayName } = view.person;

  const content = html`<div class="topbar">
<p>Signed in${displayName ? html` as <strong>${displayName}</strong>` : ''} through <strong>${idpDisplayName}</strong>.</p>
<form method="post" action="${view.actions.signOut.href}">${hidden}<button type="submit" class="secondary">Sign out</button></form>
</div>
<h1>AWS access</h1>
<p>Your session ends in ${timeLeft(end, now)}, at ${localTime(end, now)}.${idle ? html` Left unused, it ends at ${localTime(idle, now)}.` : ''}</p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${
  view.grants.length === 0
    ? html`<div class="card"><h2>No AWS roles</h2>
<p>You are signed in, but no AWS role is granted to you through ${idpDisplayName}. Ask your help desk for access, or sign out and sign in with another identity provider.</p></div>`
    : html`${
        many
          ? html`<div class="filter" hidden><label for="filter">Filter roles</label>
<input id="filter" type="search" autocomplete="off" spellcheck="false" placeholder="Role, account name or account id" aria-describedby="filter-status"></div>
<p id="filter-status" class="muted" role="status"></p>`
          : ''
      }
${
  recent.length
    ? html`<section class="card" data-group="recent" aria-labelledby="recent-heading">
<h2 id="recent-heading">Recently used</h2>
<ul class="roles">${recent.map((g) => row(g, true))}</ul>
</section>`
    : ''
}
${byAccount(view.grants).map(
  (a, i) => html`<section class="card" data-group="account" aria-labelledby="account-${i}">
<h2 id="account-${i}">${a.alias ?? 'Account'} <span class="muted">${a.id}</span></h2>
<ul class="roles">${a.grants.map((g) => row(g, false))}</ul>
</section>`,
)}`
}
${renderSupport(view.support)}`;

  return page(200, {
    title: 'AWS access',
    content,
    requestId: view.requestId,
    scripts: many ? [LOCAL_TIME_SCRIPT, FILTER_SCRIPT] : [LOCAL_TIME_SCRIPT],
    formActions: formOrigins(view.actions.open, view.actions.signOut),
  });
};

// Shell quoting per shell: single quotes, with each shell's own escape for a quote inside.
const posix = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
const fish = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const pwsh = (v: string) => `'${v.replaceAll("'", "''")}'`;
// An INI value on one line: AWS's values never hold line breaks; a forged one cannot add a key.
const ini = (v: string) => v.replace(/[\r\n]+/g, ' ');

/**
 * The access keys view for one role: each value with a copy button, the same credentials for
 * bash/zsh, fish and PowerShell (with AWS_REGION and AWS_DEFAULT_REGION set to the chosen region)
 * and as a `~/.aws/credentials` profile, a link back to the portal, and a slot for the CLI
 * set-up. Served with `no-store` (the security headers' default), never framed; the values
 * appear in this page only (no URL, no log).
 */
export const accessKeysPage = (view: AccessKeysView, opts?: RenderOptions): HttpResponse => {
  const now = nowOf(opts);
  const { credentials: c, grant: g, region } = view;
  const profile = `${accountName(g)}-${roleName(g.roleArn)}`.replace(/[^A-Za-z0-9_.-]/g, '-');
  const vars: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.secretAccessKey],
    ['AWS_SESSION_TOKEN', c.sessionToken],
    ['AWS_REGION', region],
    ['AWS_DEFAULT_REGION', region],
  ];
  const shells = [
    {
      id: 'bash',
      name: 'bash / zsh',
      text: vars.map(([k, v]) => `export ${k}=${posix(v)}`).join('\n'),
    },
    { id: 'fish', name: 'fish', text: vars.map(([k, v]) => `set -gx ${k} ${fish(v)}`).join('\n') },
    {
      id: 'powershell',
      name: 'PowerShell',
      text: vars.map(([k, v]) => `$Env:${k} = ${pwsh(v)}`).join('\n'),
    },
    {
      id: 'credentials',
      name: '~/.aws/credentials',
      text: [
        `[${profile}]`,
        `aws_access_key_id = ${ini(c.accessKeyId)}`,
        `aws_secret_access_key = ${ini(c.secretAccessKey)}`,
        `aws_session_token = ${ini(c.sessionToken)}`,
        '',
        `# and in ~/.aws/config:`,
        `[profile ${profile}]`,
        `region = ${ini(region)}`,
      ].join('\n'),
    },
  ];
  const copy = (target: string, what: string) =>
    html`<button type="button" class="secondary" data-copy="${target}" aria-label="Copy ${what}" hidden>Copy</button>`;
  const field = (id: string, label: string, value: string) =>
    html`<dt>${label}</dt><dd><code id="${id}">${value}</code></dd><dd>${copy(id, label.charAt(0).toLowerCase() + label.slice(1))}</dd>`;
  const expiration = c.expiration;

  const content = html`<p><a href="${view.portal.href}">← Back to AWS access</a></p>
<h1>Access keys</h1>
<p><strong>${g.label}</strong> in <strong>${accountName(g)}</strong>${g.accountAlias ? html` <span class="muted">${g.accountId}</span>` : ''} · ${region}</p>
<p>These keys expire in ${timeLeft(expiration, now)}, at ${localTime(expiration, now)}. Treat them like a password: anyone who has them can act as you in AWS until then.</p>
<p id="copy-status" class="visually-hidden" role="status"></p>
<section class="card" aria-labelledby="values-heading">
<h2 id="values-heading">Values</h2>
<dl class="creds">
${field('access-key-id', 'Access key ID', c.accessKeyId)}
${field('secret-access-key', 'Secret access key', c.secretAccessKey)}
${field('session-token', 'Session token', c.sessionToken)}
${field('expiration', 'Expiration', expiration.toISOString())}
${field('region', 'Region', region)}
</dl>
</section>
<section class="card" aria-labelledby="shells-heading">
<h2 id="shells-heading">Use them in a shell</h2>
${shells.map(
  (s, i) => html`<details class="shell"${i === 0 ? html` open` : ''}><summary>${s.name}</summary>
<pre><code id="shell-${s.id}">${s.text}</code></pre>
${copy(`shell-${s.id}`, `${s.name} ${s.id === 'credentials' ? 'profile' : 'commands'}`)}
</details>`,
)}
</section>
${view.cliSetup ? html`<section class="card" id="cli-setup">${view.cliSetup}</section>` : ''}
${renderSupport(view.support)}`;

  return page(200, {
    title: 'Access keys',
    content,
    requestId: view.requestId,
    scripts: [LOCAL_TIME_SCRIPT, COPY_SCRIPT],
  });
};

/**
 * The confirmation before an IdP-initiated sign-in completes (login-CSRF defence): it names the
 * account and the IdP, tells the person to cancel unless they just chose AWS at their company's
 * portal, and posts only the CSRF token to continue.
 */
export const signInConfirmPage = (view: SignInConfirmView): HttpResponse => {
  const { displayName, subjectHint } = view.person;
  const who = displayName
    ? html` as <strong>${displayName}</strong>${subjectHint && subjectHint !== displayName ? html` (${subjectHint})` : ''}`
    : subjectHint
      ? html` as <strong>${subjectHint}</strong>`
      : '';
  const content = html`<div class="card">
<h1>Continue signing in to AWS?</h1>
<p>You are signing in to AWS${who} through <strong>${view.idpDisplayName}</strong>.</p>
<p>Continue only if you just chose AWS in your company's portal (for example, its AWS tile) and this is your own account.
If you did not, choose <strong>Cancel</strong>: someone may be trying to sign you in to an account they control.</p>
<form method="post" action="${view.action.href}">
<input type="hidden" name="csrf" value="${view.csrf}">
<p class="actions"><button type="submit">Continue</button> <a class="button secondary" href="${view.cancel.href}">Cancel</a></p>
</form>
</div>`;
  return page(200, {
    title: 'Continue signing in?',
    content,
    requestId: view.requestId,
    formActions: formOrigins(view.action),
  });
};
