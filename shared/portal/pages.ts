// Interim pages: replaced by the portal's designed pages (same signatures).
import type { AwsSession } from '../handback/index.js';
import { html, type SafeHtml } from '../http/html.js';
import { type HttpResponse, page } from '../http/responses.js';

export interface PortalGrant {
  id: string;
  label: string;
  roleArn: string;
  accountId: string;
  accountAlias?: string;
  durationSeconds: number;
  tagKeys: readonly string[];
}

export interface PortalView {
  person: { displayName?: string; idpDisplayName: string };
  session: { expiresAt: number; idleExpiresAt?: number };
  grants: readonly PortalGrant[];
  recent: readonly string[];
  csrf: string;
  regions: readonly string[];
  defaultRegion: string;
  actions: { open: URL; signOut: URL };
  requestId: string;
  notice?: string;
  destination?: string;
  support?: { text: string; url?: string };
}

export const portalPage = (view: PortalView): HttpResponse =>
  page(200, {
    title: 'AWS access',
    requestId: view.requestId,
    content: html`<h1>AWS access</h1>
${view.notice ? html`<p role="status">${view.notice}</p>` : ''}
<ul>${view.grants.map(
      (g) => html`<li data-grant="${g.id}">${g.label} ${g.accountAlias ?? g.accountId}
<form method="post" action="${view.actions.open.href}"><input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="grant" value="${g.id}">
<select name="region">${view.regions.map((r) => html`<option${r === view.defaultRegion ? html` selected` : ''}>${r}</option>`)}</select>
<input type="hidden" name="destination" value="${view.destination ?? ''}">
<button name="target" value="console" aria-label="Console as ${g.label} in ${g.accountAlias ?? g.accountId}">Console</button>
<button name="target" value="keys" aria-label="Access keys as ${g.label} in ${g.accountAlias ?? g.accountId}">Access keys</button></form></li>`,
    )}</ul>
<form method="post" action="${view.actions.signOut.href}"><input type="hidden" name="csrf" value="${view.csrf}"><button>Sign out</button></form>`,
  });

export const accessKeysPage = (opts: {
  credentials: AwsSession;
  grant: PortalGrant;
  region: string;
  portal: URL;
  requestId: string;
  cliSetup?: SafeHtml;
}): HttpResponse =>
  page(200, {
    title: 'Access keys',
    requestId: opts.requestId,
    content: html`<h1>Access keys</h1><p>${opts.grant.label}</p>
<pre>export AWS_ACCESS_KEY_ID=${opts.credentials.accessKeyId}
export AWS_SECRET_ACCESS_KEY=${opts.credentials.secretAccessKey}
export AWS_SESSION_TOKEN=${opts.credentials.sessionToken}
export AWS_REGION=${opts.region}</pre><a href="${opts.portal.href}">Back</a>`,
  });

export const signInConfirmPage = (opts: {
  person: { displayName?: string; subjectHint?: string };
  idpDisplayName: string;
  csrf: string;
  action: URL;
  cancel: URL;
  requestId: string;
}): HttpResponse =>
  page(200, {
    title: 'Confirm sign-in',
    requestId: opts.requestId,
    content: html`<h1>Continue signing in?</h1>
<p>You are signing in to AWS as <strong>${opts.person.displayName ?? 'this account'}</strong> through ${opts.idpDisplayName}.</p>
<form method="post" action="${opts.action.href}"><input type="hidden" name="csrf" value="${opts.csrf}"><button>Continue</button></form>
<a href="${opts.cancel.href}">Cancel</a>`,
  });
