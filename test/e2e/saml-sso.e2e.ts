/// <reference lib="dom" />
import { describe, expect, test as kit } from '../kit/index.js';

/**
 * The headline flow in a real browser against the local runner (the same one `npm start` runs):
 * demo IdP → fedgate's ACS → (IdP-initiated at demo-okta: the confirmation) → the console for one
 * grant, the access portal for several → console sign-in through the federation stand-in, or the
 * access keys. The portal's own journey (tabs, Back, re-evaluation, revocation, sign-out) is in
 * ./portal.e2e.ts.
 */
const test = kit.extend('sso', async ({ gateway, page }) => {
  const url = (path: string) => new URL(path, gateway.url).href;
  const heading = () => page.locator('h1').textContent();
  return {
    url,
    heading,
    /** The IdP's tile (IdP-initiated): demo-okta shows fedgate's confirmation first. */
    tileAt: async (idp: string, person: string) => {
      await page.goto(url(`/_local/idp/${idp}`));
      await page.getByRole('button', { name: `Sign in as ${person}` }).click();
    },
    confirm: async () => {
      await expect.poll(heading).toBe('Continue signing in to AWS?');
      await page.getByRole('button', { name: 'Continue' }).click();
    },
  };
});

describe('SAML SSO in Chromium', () => {
  test('IdP-initiated with one grant: the confirmation says who, then straight to the AWS console (stand-in)', async ({
    gateway,
    context,
    page,
    sso,
  }) => {
    await sso.tileAt('demo-okta', 'Carol');
    await expect.poll(sso.heading).toBe('Continue signing in to AWS?');
    const text = await page.locator('main').textContent();
    expect(text).toContain('carol@example.com');
    expect(text).toContain('Okta (demo)');
    // nothing signed in yet: no session, only the held sign-in's cookie
    const names = (await context.cookies(gateway.url.origin)).map((c) => c.name);
    expect(names).toEqual(['__Host-fedgate-confirm']);
    await sso.confirm();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    const body = await page.locator('body').textContent();
    expect(body).toContain('AWS console (local stand-in)');
    expect(await page.locator('[data-field="role-name"]').textContent()).toBe(
      'fedgate-demo-developer',
    );
    expect(body).toContain('111111111111');
    expect(body).toContain('department');
  });

  test('IdP-initiated with several grants: the confirmation, the portal, then Console', async ({
    page,
    sso,
  }) => {
    await sso.tileAt('demo-okta', 'Alice');
    await sso.confirm();
    await expect.poll(sso.heading).toBe('AWS access');
    expect(new URL(page.url()).pathname).toBe('/');
    // grouped by account alias, each role with Console and Access keys
    expect(await page.locator('section[data-group="account"] h2').allTextContents()).toEqual([
      'production 222222222222',
      'sandbox 111111111111',
    ]);
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await page.locator('[data-field="role-name"]').textContent()).toBe('fedgate-demo-admin');
    expect(await page.locator('body').textContent()).toContain('222222222222');
  });

  test('the portal shows access keys for the chosen role; the confirmation is single use', async ({
    gateway,
    context,
    page,
    sso,
  }) => {
    await sso.tileAt('demo-okta', 'Alice');
    await expect.poll(sso.heading).toBe('Continue signing in to AWS?');
    // What Continue posts, kept: the held sign-in's cookie and the page's CSRF token.
    const held = (await context.cookies(gateway.url.origin)).find(
      (c) => c.name === '__Host-fedgate-confirm',
    );
    const csrf = await page.locator('input[name="csrf"]').getAttribute('value');
    expect(held?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await sso.confirm();
    await expect.poll(sso.heading).toBe('AWS access');
    const portalUrl = page.url();
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(sso.heading).toBe('Access keys');
    const keyId = await page.locator('#access-key-id').textContent();
    expect(keyId).toMatch(/^ASIALOCAL/);
    expect(await page.locator('#shell-bash').textContent()).toContain('export AWS_SESSION_TOKEN=');
    expect(portalUrl).not.toContain(keyId);
    expect(page.url()).not.toContain(keyId);
    // Continue posted again with the same cookie and token: the held sign-in is gone.
    const again = await context.request.post(sso.url('/signin/confirm'), {
      form: { csrf: csrf ?? '' },
      headers: { cookie: `__Host-fedgate-confirm=${held?.value}` },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(403);
    const text = await again.text();
    expect(text).toContain('<code>signin_confirmation_invalid</code>');
    expect(text).not.toContain('ASIALOCAL');
  });

  test('SP-initiated: fedgate sends an AuthnRequest, the IdP answers it, InResponseTo is checked; no confirmation', async ({
    context,
    page,
    sso,
  }) => {
    await page.goto(sso.url('/'));
    await page.locator('li[data-idp="demo-okta"] a').click();
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
    const cookies = await context.cookies();
    const pending = cookies.find((c) => c.name === '__Host-fedgate-authn-demo-okta');
    expect(pending).toMatchObject({ httpOnly: true, secure: true, sameSite: 'None', path: '/' });
    const visited: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) visited.push(new URL(f.url()).pathname);
    });
    await page.getByRole('button', { name: 'Sign in as Carol' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await page.locator('[data-field="role-name"]').textContent()).toBe(
      'fedgate-demo-developer',
    );
    // solicited: the ACS went straight on (no confirmation page was shown)
    expect(visited).not.toContain('/signin/confirm');
    expect(visited).not.toContain('/saml/demo-okta/acs');
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-authn-demo-okta')).toBe(
      false,
    );
  });

  test('refuses a portal form posted without the CSRF token, or with a forged one', async ({
    context,
    page,
    sso,
  }) => {
    await sso.tileAt('demo-okta', 'Alice');
    await sso.confirm();
    await expect.poll(sso.heading).toBe('AWS access');
    const grant = (await page.locator('input[name="grant"]').first().getAttribute('value')) ?? '';
    // With the browser's own session cookie, but without the page's CSRF token.
    for (const form of [
      { grant, target: 'keys' } as Record<string, string>,
      { grant, target: 'keys', csrf: 'forged' },
      { grant, target: 'console', csrf: '' },
    ]) {
      const res = await context.request.post(sso.url('/portal/open'), { form, maxRedirects: 0 });
      const text = await res.text();
      expect([
        res.status(),
        text.includes('<code>csrf_invalid</code>'),
        text.includes('ASIALOCAL'),
      ]).toEqual([403, true, false]);
    }
    // The session survived the forged posts: the person can still choose.
    await page.getByRole('button', { name: 'Console as Developer in sandbox' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
  });
});
