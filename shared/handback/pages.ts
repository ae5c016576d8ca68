import { html, type SafeHtml } from '../http/html.js';
import { type HttpResponse, page } from '../http/responses.js';
import type { Grant } from '../mapping/index.js';
import type { AwsSession, SignedInPerson } from './types.js';

const roleName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** Grants grouped by account, accounts ordered by alias (then id), roles by label. */
const byAccount = (grants: readonly Grant[]) => {
  const groups = new Map<string, Grant[]>();
  for (const g of grants) groups.set(g.accountId, [...(groups.get(g.accountId) ?? []), g]);
  return [...groups.values()]
    .map((gs) =>
      gs.sort((a, b) => a.label.localeCompare(b.label) || a.roleArn.localeCompare(b.roleArn)),
    )
    .sort((a, b) => {
      const [x, y] = [a[0] as Grant, b[0] as Grant];
      return (x.accountAlias ?? x.accountId).localeCompare(y.accountAlias ?? y.accountId);
    });
};

const hours = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;

/**
 * The role picker: one form per choice (a native button each, so it works by keyboard and screen
 * reader), carrying only the CSRF token and the grant's opaque id. The ticket id itself travels
 * in an HttpOnly SameSite=Strict cookie, never in the page.
 */
export const rolePickerPage = (opts: {
  person: SignedInPerson;
  grants: readonly Grant[];
  csrf: string;
  action: URL;
  requestId?: string;
}): HttpResponse => {
  const choice = (
    g: Grant,
    target: 'console' | 'keys',
    label: string,
    primary: boolean,
  ): SafeHtml =>
    html`<form method="post" action="${opts.action.href}" class="inline">
<input type="hidden" name="csrf" value="${opts.csrf}">
<input type="hidden" name="grant" value="${g.id}">
<input type="hidden" name="target" value="${target}">
<button type="submit"${primary ? '' : html` class="secondary"`} aria-label="${label} as ${g.label} in ${g.accountAlias ?? g.accountId}">${label}</button>
</form>`;
  const content = html`<h1>Choose a role</h1>
<p class="muted">Signed in${opts.person.displayName ? html` as <strong>${opts.person.displayName}</strong>` : ''} through
<code>${opts.person.idp}</code>. This choice expires in a few minutes.</p>
${byAccount(opts.grants).map(
  (
    gs,
  ) => html`<section class="card" aria-label="Account ${(gs[0] as Grant).accountAlias ?? (gs[0] as Grant).accountId}">
<h2>${(gs[0] as Grant).accountAlias ?? 'Account'} <span class="muted">${(gs[0] as Grant).accountId}</span></h2>
<ul class="list">
${gs.map(
  (g) => html`<li data-grant="${g.id}"><span><strong>${g.label}</strong><br>
<span class="muted">${roleName(g.roleArn)} · ${hours(g.durationSeconds)}${g.tags.length ? html` · tags ${g.tags.map((t) => t.key).join(', ')}` : ''}</span></span>
<span class="actions">${choice(g, 'console', 'Console', true)} ${choice(g, 'keys', 'Access keys', false)}</span></li>
`,
)}</ul>
</section>`,
)}`;
  return page(200, { title: 'Choose a role', content, requestId: opts.requestId });
};

const shellQuote = (v: string) => `'${v.replaceAll("'", "'\\''")}'`;

/**
 * The access keys view: the credentials as environment exports, a `~/.aws/credentials` profile
 * and `credential_process` JSON (Version 1). Served with `no-store` (the security headers'
 * default) and never framed; the values appear nowhere else (no URL, no log).
 */
export const accessKeysPage = (opts: {
  session: AwsSession;
  grant: Grant;
  person: SignedInPerson;
  region: string;
  requestId?: string;
}): HttpResponse => {
  const { session: s, grant: g } = opts;
  const profile = `${(g.accountAlias ?? g.accountId).replace(/[^A-Za-z0-9_.-]/g, '-')}-${roleName(g.roleArn)}`;
  const exports = [
    `export AWS_ACCESS_KEY_ID=${shellQuote(s.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(s.secretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${shellQuote(s.sessionToken)}`,
    `export AWS_REGION=${shellQuote(opts.region)}`,
  ].join('\n');
  const credentialsFile = [
    `[${profile}]`,
    `aws_access_key_id = ${s.accessKeyId}`,
    `aws_secret_access_key = ${s.secretAccessKey}`,
    `aws_session_token = ${s.sessionToken}`,
  ].join('\n');
  const credentialProcess = JSON.stringify(
    {
      Version: 1,
      AccessKeyId: s.accessKeyId,
      SecretAccessKey: s.secretAccessKey,
      SessionToken: s.sessionToken,
      Expiration: s.expiration.toISOString(),
    },
    null,
    2,
  );
  const content = html`<h1>Access keys</h1>
<p><strong>${g.label}</strong> in <strong>${g.accountAlias ?? g.accountId}</strong> <span class="muted">(${g.roleArn})</span></p>
<p class="muted">Expires <time datetime="${s.expiration.toISOString()}">${s.expiration.toISOString()}</time>. Treat these like a password.</p>
<section class="card"><h2>Environment variables</h2><pre aria-label="Environment variables">${exports}</pre></section>
<section class="card"><h2>~/.aws/credentials</h2><pre aria-label="Credentials file">${credentialsFile}</pre></section>
<section class="card"><h2>credential_process output</h2><pre aria-label="credential_process JSON">${credentialProcess}</pre></section>`;
  return page(200, { title: 'Access keys', content, requestId: opts.requestId });
};
