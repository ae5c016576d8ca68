/// <reference lib="dom" />
import type { Cookie, Page } from 'playwright-core';
import { fetchDemoSamlResponse } from '../../infra/local/demo/saml-idps.js';
import {
  ATTACKER_ORIGIN,
  describe,
  expect,
  expectFramingRefused,
  test as kit,
  openParentPage,
} from '../kit/index.js';

/**
 * SECURITY.md §6 in a real browser: the cookies of each flow as Chromium stores them, SameSite
 * doing its job on cross-site posts of the portal's and the confirmation's real forms, and framing
 * refused on every HTML route (pages reached by GET and by POST, the portal and the keys page with
 * their session cookie). The attacker's site is served by Playwright at http://attacker.test
 * (another site than 127.0.0.1: SameSite applies as on the internet). Framing is tried from a page
 * on the runner's own origin (test/kit/framing.ts says why that is the check that sees fedgate's
 * headers).
 */
const test = kit
  /** Every Set-Cookie fedgate's own routes sent (not the demo IdP's or OP's), by URL. */
  .extend('setCookies', { auto: true }, async ({ gateway, context }) => {
    const seen: { url: string; line: string }[] = [];
    context.on('response', async (res) => {
      const u = new URL(res.url());
      if (u.origin !== gateway.url.origin || u.pathname.startsWith('/_local/')) return;
      for (const h of await res.headersArray().catch(() => []))
        if (h.name.toLowerCase() === 'set-cookie') seen.push({ url: u.pathname, line: h.value });
    });
    return seen;
  })
  .extend('web', async ({ gateway, context, page, setCookies }) => {
    const url = (path: string) => new URL(path, gateway.url).href;
    const cookie = async (name: string): Promise<Cookie | undefined> =>
      (await context.cookies(gateway.url.origin)).find((c) => c.name === name);
    const nowSeconds = () => Date.now() / 1000;
    const heading = (p: Page = page) => p.locator('h1').textContent();
    return {
      url,
      cookie,
      nowSeconds,
      heading,
      /** fedgate's cookies are all `__Host-`: Secure, Path=/, no Domain, HttpOnly. */
      expectHostOnlyCookies: () => {
        expect(setCookies.length).toBeGreaterThan(0);
        for (const { url: at, line } of setCookies) {
          expect(line, at).toMatch(/^__Host-fedgate-[a-z0-9-]+=/);
          expect(line, at).toMatch(/; Secure(;|$)/);
          expect(line, at).toMatch(/; HttpOnly(;|$)/);
          expect(line, at).toMatch(/; Path=\/(;|$)/);
          expect(line, at).not.toMatch(/domain=/i);
          expect(line, at).toMatch(/; SameSite=(Strict|Lax|None)(;|$)/);
        }
      },
      /** The session cookie: SameSite=Lax, HttpOnly, host-only, living as long as the session. */
      expectSessionCookie: async (maxSeconds: number) => {
        const session = await cookie('__Host-fedgate-session');
        expect(session).toMatchObject({
          httpOnly: true,
          secure: true,
          sameSite: 'Lax',
          path: '/',
          domain: gateway.url.hostname,
        });
        expect(session!.value).toMatch(/^[a-z0-9-]+\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
        expect(session!.expires - nowSeconds()).toBeGreaterThan(maxSeconds - 60);
        expect(session!.expires - nowSeconds()).toBeLessThanOrEqual(maxSeconds);
        expect(await page.evaluate(() => document.cookie)).toBe('');
      },
      /** Submits a form top-level from the attacker's site (a cross-site POST navigation). */
      postFromAttacker: async (action: string, fields: [string, string][]) => {
        const attacker = await openParentPage(context, ATTACKER_ORIGIN);
        await attacker.evaluate(
          ({ action, fields }) => {
            const f = document.createElement('form');
            f.method = 'post';
            f.action = action;
            for (const [name, value] of fields) {
              const i = document.createElement('input');
              i.type = 'hidden';
              i.name = name;
              i.value = value;
              f.append(i);
            }
            document.body.append(f);
            f.submit();
          },
          { action, fields },
        );
        // fedgate's answer (or where it redirected) is loaded
        await attacker.waitForURL((u) => u.origin === new URL(action).origin);
        await attacker.waitForLoadState();
        return attacker;
      },
      /** The hidden and selected fields of the form holding a button, as the button submits them. */
      formFields: (button: string, p: Page = page) =>
        p
          .locator('form', { has: p.getByRole('button', { name: button }) })
          .locator('input[type="hidden"], select')
          .evaluateAll((els) =>
            els.map((e) => [(e as HTMLInputElement).name, (e as HTMLInputElement).value]),
          ) as Promise<[string, string][]>,
    };
  });

describe('web layer in Chromium', () => {
  test('SAML SP-initiated: the pending-request cookie is SameSite=None (the IdP posts back cross-site), then cleared; the session is Lax', async ({
    gateway,
    page,
    web,
  }) => {
    await page.goto(web.url('/saml/demo-okta/login'));
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
    const pending = await web.cookie('__Host-fedgate-authn-demo-okta');
    expect(pending).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'None',
      path: '/',
      domain: gateway.url.hostname, // host-only: no Domain attribute
    });
    expect(pending!.expires - web.nowSeconds()).toBeGreaterThan(500);
    expect(pending!.expires - web.nowSeconds()).toBeLessThanOrEqual(600);
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    expect(await web.cookie('__Host-fedgate-authn-demo-okta')).toBeUndefined();
    // the portal's session: SameSite=Lax (the 303 after the IdP's cross-site post is a
    // top-level GET), the session's length (8 h: the longest grant, demo-okta's default
    // session maximum), invisible to scripts
    await web.expectSessionCookie(8 * 3600);
    await page.getByRole('button', { name: 'Console as Developer in sandbox' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await web.cookie('__Host-fedgate-session')).toBeDefined();
    web.expectHostOnlyCookies();
  });

  test('IdP-initiated at a confirming IdP: the held sign-in’s cookie is SameSite=Strict, 5 minutes, cleared at Continue', async ({
    page,
    web,
  }) => {
    await page.goto(web.url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => web.heading()).toBe('Continue signing in to AWS?');
    const held = await web.cookie('__Host-fedgate-confirm');
    expect(held).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(held!.expires - web.nowSeconds()).toBeGreaterThan(240);
    expect(held!.expires - web.nowSeconds()).toBeLessThanOrEqual(300);
    expect(await web.cookie('__Host-fedgate-session')).toBeUndefined();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    expect(await web.cookie('__Host-fedgate-confirm')).toBeUndefined();
    await web.expectSessionCookie(8 * 3600);
    web.expectHostOnlyCookies();
  });

  test('OIDC: the transaction cookie is SameSite=Lax (the OP redirects back with a top-level GET), then cleared', async ({
    gateway,
    page,
    web,
  }) => {
    await page.goto(web.url('/oidc/demo-oidc/login'));
    await expect.poll(() => web.heading()).toBe('Demo OpenID Provider');
    const tx = await web.cookie('__Host-fedgate-oidc-demo-oidc');
    expect(tx).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(tx!.domain).toBe(gateway.url.hostname);
    await page.getByRole('button', { name: 'Sign in as Olivia' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    expect(await web.cookie('__Host-fedgate-oidc-demo-oidc')).toBeUndefined();
    expect(await web.cookie('__Host-fedgate-session')).toMatchObject({ sameSite: 'Lax' });
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => web.heading()).toBe('Access keys');
    web.expectHostOnlyCookies();
  });

  test('SameSite=Lax: a cross-site post of the real portal form (right CSRF token) carries no session and is refused', async ({
    page,
    web,
  }) => {
    await page.goto(web.url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    const fields = await web.formFields('Access keys as Developer in sandbox');
    expect(fields.map(([name]) => name)).toEqual(['csrf', 'grant', 'region']);
    const attacker = await web.postFromAttacker(web.url('/portal/open'), [
      ...fields,
      ['target', 'keys'],
    ]);
    const text = (await attacker.locator('main').textContent()) ?? '';
    expect(text).toContain('session_invalid');
    expect(text).not.toContain('ASIALOCAL');
    expect(await attacker.content()).not.toContain('ASIALOCAL');
    // the person's own tab still has its session and gets the keys
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => web.heading()).toBe('Access keys');
    expect(await page.locator('#access-key-id').textContent()).toMatch(/^ASIALOCAL/);
  });

  test('SameSite=Strict: a cross-site post of the real confirmation form (right CSRF token) completes nothing', async ({
    page,
    web,
  }) => {
    await page.goto(web.url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => web.heading()).toBe('Continue signing in to AWS?');
    const fields = await web.formFields('Continue');
    expect(fields.map(([name]) => name)).toEqual(['csrf']);
    const attacker = await web.postFromAttacker(web.url('/signin/confirm'), fields);
    expect((await attacker.locator('main').textContent()) ?? '').toContain(
      'signin_confirmation_invalid',
    );
    expect(await web.cookie('__Host-fedgate-session')).toBeUndefined();
    // the held sign-in survived: the person's own Continue completes it
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
  });

  test('a cross-site post to Sign out does not sign the person out', async ({ page, web }) => {
    await page.goto(web.url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    const fields = await web.formFields('Sign out');
    expect(fields.map(([name]) => name)).toEqual(['csrf']);
    const before = await web.cookie('__Host-fedgate-session');
    // With the page's own token (as if it leaked) and without one.
    for (const posted of [fields, []]) {
      const attacker = await web.postFromAttacker(web.url('/signout'), posted);
      await attacker.close();
      // Login-CSRF's mirror image: a foreign page must not end the person's session. A
      // cross-site post never carries the Lax cookie; were the answer to a post without a session
      // to clear the cookie anyway, Chromium would apply it to that top-level navigation and any
      // site could sign the person out of this browser.
      expect(
        await web.cookie('__Host-fedgate-session'),
        `cross-site POST /signout ${posted.length ? 'with' : 'without'} the page's token deleted the session cookie`,
      ).toEqual(before);
    }
    await page.reload();
    await expect.poll(() => web.heading()).toBe('AWS access');
  });

  // (the metadata documents are downloads, never rendered: their headers are checked in
  // test/integration/web-layer/web-layer.test.ts)
  test.for<[string, string, string]>([
    ['home', '/', 'Sign in'],
    ['a 404 error page', '/saml/no-such-idp/login', 'not_found'],
    ['an OIDC callback error page', '/oidc/demo-oidc/callback?code=x&state=y', 'oidc_'],
    ['the OpenID configuration', '/.well-known/openid-configuration', 'jwks_uri'],
  ])('refuses to be framed: %s (GET)', async ([, path, marker], { context, page, web }) => {
    // the marker is there when the page is loaded top-level
    await page.goto(web.url(path));
    expect(await page.content()).toContain(marker);
    await expectFramingRefused(context, { target: web.url(path) }, marker);
  });

  test('refuses to be framed, even by a page of its own origin: the portal and the access keys (with the session)', async ({
    context,
    page,
    web,
  }) => {
    await page.goto(web.url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => web.heading()).toBe('AWS access');
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => web.heading()).toBe('Access keys');
    const keysUrl = page.url();
    expect(new URL(keysUrl).pathname).toBe('/portal/keys');
    for (const [path, marker] of [
      [web.url('/'), 'AWS access'],
      [keysUrl, 'ASIALOCAL'],
    ] as const) {
      // top-level in this context, the page shows its marker
      const top = await context.newPage();
      await top.goto(path);
      expect(await top.content()).toContain(marker);
      await top.close();
      await expectFramingRefused(context, { target: path }, marker);
    }
  });

  test('refuses to be framed: the sign-in confirmation and an ACS error page (POST into a frame)', async ({
    context,
    gateway,
    web,
  }) => {
    // top-level, the same post shows the confirmation
    const shown = await web.postFromAttacker(web.url('/saml/demo-okta/acs'), [
      ['SAMLResponse', await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'alice')],
    ]);
    expect(await web.heading(shown)).toBe('Continue signing in to AWS?');
    await shown.close();
    const acs = web.url('/saml/demo-okta/acs');
    await expectFramingRefused(
      context,
      {
        target: acs,
        form: { SAMLResponse: await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'alice') },
      },
      'Continue signing in',
    );
    // the same post top-level shows the error page with its code
    const malformed = await web.postFromAttacker(acs, [['SAMLResponse', 'abc']]);
    expect(await malformed.locator('main').textContent()).toContain('saml_malformed');
    await malformed.close();
    await expectFramingRefused(
      context,
      { target: acs, form: { SAMLResponse: 'abc' } },
      'saml_malformed',
    );
  });
});
