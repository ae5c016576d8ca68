import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { html } from './html.js';
import { requireMethod } from './request.js';
import { type HttpResponse, page } from './responses.js';
import { publicUrl } from './urls.js';

/** What the home page needs to know of an IdP. */
export interface ListedIdp {
  id: string;
  displayName: string;
  protocol: 'saml' | 'oidc';
  listed: boolean;
}

/** Where a person starts signing in with an IdP: SP-initiated SAML or the OIDC login route. */
export const loginPath = (idp: Pick<ListedIdp, 'id' | 'protocol'>): string =>
  `/${idp.protocol}/${encodeURIComponent(idp.id)}/login`;

/**
 * `GET /`: the home page, listing the configured IdPs (those marked `listed`) with a sign-in link
 * each. Links are built from the public base URL.
 */
export const createHomeEndpoint =
  ({
    listIdps,
    publicBaseUrl,
  }: {
    listIdps: () => Promise<readonly ListedIdp[]>;
    publicBaseUrl: URL;
  }) =>
  async (event: APIGatewayProxyEventV2, notice?: string): Promise<HttpResponse> => {
    requireMethod(event, 'GET', 'HEAD');
    const idps = (await listIdps())
      .filter((idp) => idp.listed)
      .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
    const content = html`<h1>Sign in to AWS</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p class="muted">Choose your identity provider. fedgate checks who you are there, then signs you in to
the AWS roles your organisation has granted you.</p>
<div class="card">
${
  idps.length === 0
    ? html`<p>No identity provider is configured yet.</p>`
    : html`<ul class="list" aria-label="Identity providers">
${idps.map(
  (idp) => html`<li data-idp="${idp.id}"><span><strong>${idp.displayName}</strong>
<span class="tag">${idp.protocol === 'saml' ? 'SAML 2.0' : 'OpenID Connect'}</span></span>
<a class="button" href="${publicUrl(publicBaseUrl, loginPath(idp)).href}">Sign in</a></li>
`,
)}</ul>`
}
</div>`;
    return page(200, { title: 'Sign in', content, requestId: event.requestContext.requestId });
  };
