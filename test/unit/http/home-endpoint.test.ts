import { describe, expect, it } from 'vitest';
import { createHomeEndpoint } from '../../../shared/http/index.js';
import { apiEvent } from '../../support/events.js';

describe('home endpoint', () => {
  const home = createHomeEndpoint({
    publicBaseUrl: new URL('https://sso.example.com/prod'),
    listIdps: async () => [
      { id: 'okta', displayName: 'Okta <Corp>', protocol: 'saml', listed: true },
      { id: 'google', displayName: 'Google', protocol: 'oidc', listed: true },
      { id: 'hidden', displayName: 'Hidden', protocol: 'saml', listed: false },
    ],
  });

  it('lists the listed IdPs, sorted, each with its sign-in link under the public base URL', async () => {
    const res = await home(apiEvent());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const body = res.body as string;
    expect(body).toContain('Okta &lt;Corp&gt;');
    expect(body).toContain('href="https://sso.example.com/prod/saml/okta/login"');
    expect(body).toContain('href="https://sso.example.com/prod/oidc/google/login"');
    // The unlisted IdP appears nowhere in the page's content (the stylesheet may say "hidden").
    expect(body).not.toContain('Hidden');
    expect(body).not.toContain('data-idp="hidden"');
    expect(body).not.toContain('/saml/hidden/');
    expect(body.indexOf('Google')).toBeLessThan(body.indexOf('Okta'));
  });

  it('says so when nothing is configured', async () => {
    const empty = createHomeEndpoint({
      publicBaseUrl: new URL('https://sso.example.com'),
      listIdps: async () => [],
    });
    expect((await empty(apiEvent())).body).toContain('No identity provider is configured yet');
  });

  it('refuses other methods', async () => {
    await expect(home(apiEvent({ method: 'POST' }))).rejects.toMatchObject({
      code: 'method_not_allowed',
    });
  });
});
