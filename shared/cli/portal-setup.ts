import {
  DEFAULT_PROFILE_PREFIX,
  profileLines,
  profileNameOf,
  roleArgumentOf,
} from '../cli-client/profiles.js';
import { html, type SafeHtml } from '../http/index.js';
import type { Grant } from '../mapping/index.js';

/**
 * The access keys page's "from the fedgate CLI" section for one role: the two commands that set
 * every role up (`fedgate login`, `fedgate configure`) and this role's profile block, exactly as
 * `fedgate configure` writes it (the same naming code), so a person can paste it instead.
 */
export const cliSetupFor = (opts: {
  grant: Grant;
  /** Every grant of the session: a role is named by account/label only when that is unique. */
  grants: readonly Grant[];
  region: string;
  publicBaseUrl: URL;
}): SafeHtml => {
  const gateway = `${opts.publicBaseUrl.origin}${opts.publicBaseUrl.pathname.replace(/\/+$/, '')}`;
  const name = profileNameOf(DEFAULT_PROFILE_PREFIX, opts.grant);
  const profile = profileLines({
    name,
    command: 'fedgate',
    roleArgument: roleArgumentOf(opts.grant, opts.grants),
    region: opts.region,
  }).join('\n');
  const copy = (target: string, what: string) =>
    html`<button type="button" class="secondary" data-copy="${target}" aria-label="Copy ${what}" hidden>Copy</button>`;
  return html`<h2 id="cli-heading">From the fedgate CLI</h2>
<p>With the fedgate CLI installed, sign in once in the browser and let it write an AWS profile for each of your roles. The profiles get fresh credentials through your fedgate session, without a browser, until it ends.</p>
<pre><code id="cli-commands">fedgate login --gateway ${gateway}
fedgate configure</code></pre>
${copy('cli-commands', 'CLI commands')}
<p>Or add this role's profile to <code>~/.aws/config</code> yourself:</p>
<pre><code id="cli-profile">${profile}</code></pre>
${copy('cli-profile', 'CLI profile')}
<p class="muted">Then, for example: <code>aws sts get-caller-identity --profile ${name}</code></p>`;
};
