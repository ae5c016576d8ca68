import { type HttpResponse, html, page, type SafeHtml } from '../http/index.js';

/** Epoch seconds as the pages show them: `2026-12-07 14:05:12 UTC`. */
export const utcTime = (epochSeconds: number): string =>
  `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Who is signed in in this browser, as the pages name them. */
export interface SignedInAs {
  /** The email claim when the IdP sent one (display only). */
  displayName?: string;
  idpDisplayName: string;
}

const who = (p: SignedInAs): SafeHtml =>
  p.displayName
    ? html`<strong>${p.displayName}</strong> (${p.idpDisplayName})`
    : html`your <strong>${p.idpDisplayName}</strong> account`;

/** An identity provider to sign in with, its link carrying `continue` back to the CLI page. */
export interface SignInChoice {
  displayName: string;
  href: URL;
}

/**
 * "Sign in to connect the fedgate CLI": the browser has no live fedgate session; each IdP's
 * sign-in comes back to the CLI page (`continue`).
 */
export const cliSignInPage = (view: {
  choices: readonly SignInChoice[];
  requestId: string;
}): HttpResponse => {
  const content = html`<h1>Sign in to connect the fedgate CLI</h1>
<p class="muted">Choose your identity provider. After signing in you come back here to confirm the CLI.</p>
<div class="card">
${
  view.choices.length === 0
    ? html`<p>No identity provider is configured yet.</p>`
    : html`<ul class="list" aria-label="Identity providers">
${view.choices.map(
  (c) => html`<li><strong>${c.displayName}</strong>
<a class="button" href="${c.href.href}">Sign in with ${c.displayName}</a></li>
`,
)}</ul>`
}
</div>`;
  return page(200, { title: 'Connect the fedgate CLI', content, requestId: view.requestId });
};

/** The loopback consent: everything the POST needs, re-checked when it arrives. */
export interface CliConsentView {
  person: SignedInAs;
  /** The CLI's machine label. */
  client: string;
  /** Epoch seconds: when the request reached fedgate. */
  requestedAt: number;
  /** Epoch seconds: when the CLI session would end (with the browser session). */
  sessionEndsAt: number;
  /** The loopback URI the browser goes back to. */
  redirectUri: URL;
  action: URL;
  csrf: string;
  /** The authorize request's parameters, carried as hidden fields. */
  fields: Readonly<Record<string, string>>;
  requestId: string;
}

/**
 * "Sign in the fedgate CLI on this computer as alice@example.com (Okta)?" with the request's
 * client label, time and loopback port; Sign in or Cancel (both post, CSRF-protected).
 */
export const cliConsentPage = (view: CliConsentView): HttpResponse => {
  const content = html`<div class="card">
<h1>Sign in the fedgate CLI?</h1>
<p>Sign in the <strong>fedgate CLI on this computer</strong> as ${who(view.person)}?</p>
<ul class="list" aria-label="The request">
<li><span class="muted">CLI</span> <strong>${view.client}</strong></li>
<li><span class="muted">Requested</span> <span>${utcTime(view.requestedAt)}</span></li>
<li><span class="muted">Returns to</span> <span>this computer, port ${view.redirectUri.port}</span></li>
</ul>
<p>Continue only if you just ran <code>fedgate login</code> in a terminal on this computer. The CLI can then get AWS credentials for your roles until ${utcTime(view.sessionEndsAt)}, or until you run <code>fedgate logout</code>.</p>
<form method="post" action="${view.action.href}">
<input type="hidden" name="csrf" value="${view.csrf}">
${Object.entries(view.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<p class="actions"><button type="submit" name="decision" value="allow">Sign in the CLI</button> <button type="submit" class="secondary" name="decision" value="deny">Cancel</button></p>
</form>
</div>`;
  return page(200, {
    title: 'Sign in the fedgate CLI?',
    content,
    requestId: view.requestId,
    // The POST answers with a redirect to the CLI's loopback listener: form-action covers it.
    formActions: [view.redirectUri.origin],
  });
};

/** The device page's code form (GET, so the code can come in `verification_uri_complete`). */
export const deviceCodeEntryPage = (view: {
  action: URL;
  person: SignedInAs;
  requestId: string;
}): HttpResponse => {
  const content = html`<div class="card">
<h1>Connect a fedgate CLI</h1>
<p>Signed in as ${who(view.person)}. Enter the code the fedgate CLI shows in its terminal.</p>
<form method="get" action="${view.action.href}">
<p><label for="user-code">Code</label><br>
<input id="user-code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="11" placeholder="XXXX-XXXX" required></p>
<p class="actions"><button type="submit">Continue</button></p>
</form>
</div>`;
  return page(200, { title: 'Connect a fedgate CLI', content, requestId: view.requestId });
};

/** What the device confirmation shows of the machine's request. */
export interface DeviceConfirmView {
  person: SignedInAs;
  userCode: string;
  client: string;
  /** Epoch seconds. */
  requestedAt: number;
  sourceIp: string;
  /** Epoch seconds: when the CLI session would end. */
  sessionEndsAt: number;
  action: URL;
  csrf: string;
  requestId: string;
}

/**
 * The device confirmation, worded against phishing: the code, the CLI's label, when and from
 * which address the request came, and "only continue if you started this on a computer you
 * control, right now"; Approve or Deny (both post, CSRF-protected).
 */
export const deviceConfirmPage = (view: DeviceConfirmView): HttpResponse => {
  const content = html`<div class="card">
<h1>Sign in a fedgate CLI?</h1>
<p class="notice" role="note"><strong>Only continue if you started this on a computer you control, right now.</strong> If someone sent you this code or link, choose Deny: they are trying to get into your AWS accounts.</p>
<p>A fedgate CLI asks to sign in as ${who(view.person)}. It could then get AWS credentials for your roles until ${utcTime(view.sessionEndsAt)}.</p>
<ul class="list" aria-label="The request">
<li><span class="muted">Code</span> <strong>${view.userCode}</strong></li>
<li><span class="muted">CLI</span> <strong>${view.client}</strong></li>
<li><span class="muted">Requested</span> <span>${utcTime(view.requestedAt)}</span></li>
<li><span class="muted">From address</span> <span>${view.sourceIp}</span></li>
</ul>
<form method="post" action="${view.action.href}">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="user_code" value="${view.userCode}">
<p class="actions"><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" class="secondary" name="decision" value="deny">Deny</button></p>
</form>
</div>`;
  return page(200, { title: 'Sign in a fedgate CLI?', content, requestId: view.requestId });
};

/** After the decision: what happened, and that the terminal takes it from here. */
export const deviceDonePage = (view: {
  approved: boolean;
  client: string;
  requestId: string;
}): HttpResponse => {
  const content = view.approved
    ? html`<div class="card">
<h1>The fedgate CLI is signed in</h1>
<p>The CLI <strong>${view.client}</strong> is signed in. You can close this page and go back to the terminal.</p>
</div>`
    : html`<div class="card">
<h1>Denied</h1>
<p>The CLI <strong>${view.client}</strong> was not signed in. If you did not start this yourself, tell your help desk.</p>
</div>`;
  return page(200, {
    title: view.approved ? 'CLI signed in' : 'Denied',
    content,
    requestId: view.requestId,
  });
};
