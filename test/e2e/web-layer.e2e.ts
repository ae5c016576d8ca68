/// <reference lib="dom" />
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { fetchDemoSamlResponse } from '../../infra/local/demo/saml-idps.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';
import { launchChromium } from '../support/browser.js';

/**
 * SECURITY.md §6 in a real browser: the cookies of each flow as Chromium stores them, SameSite
 * doing its job on a cross-site post, and framing refused on every HTML route (pages reached by
 * GET and by POST). The attacker's site is served by Playwright at http://attacker.test (another
 * site than 127.0.0.1: SameSite and framing rules apply as on the internet).
 */
describe('web layer in Chromium', () => {
  let gateway: LocalGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every Set-Cookie fedgate's own routes sent (not the demo IdP's or OP's), by URL. */
  let fedgateSetCookies: { url: string; line: string }[];

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([
      startLocalGateway({
        port: 0,
        configPath: 'infra/local/demo-config.yaml',
        plugins: defaultPlugins(),
      }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext();
    fedgateSetCookies = [];
    context.on('response', async (res) => {
      const u = new URL(res.url());
      if (u.origin !== gateway.url.origin || u.pathname.startsWith('/_local/')) return;
      for (const h of await res.headersArray().catch(() => []))
        if (h.name.toLowerCase() === 'set-cookie')
          fedgateSetCookies.push({ url: u.pathname, line: h.value });
    });
    await context.route('http://attacker.test/**', (route) => {
      const path = new URL(route.request().url()).pathname;
      return route.fulfill({
        contentType: 'text/html',
        body:
          path === '/frameable'
            ? '<p>FRAMEABLE-MARKER</p>'
            : '<!doctype html><title>attacker</title><body><p>attacker page</p></body>',
      });
    });
    page = await context.newPage();
  });

  const url = (path: string) => new URL(path, gateway.url).href;
  const cookie = async (name: string): Promise<Cookie | undefined> =>
    (await context.cookies(gateway.url.origin)).find((c) => c.name === name);
  const nowSeconds = () => Date.now() / 1000;

  /** fedgate's cookies are all `__Host-`: Secure, Path=/, no Domain, HttpOnly. */
  const expectHostOnlyCookies = () => {
    expect(fedgateSetCookies.length).toBeGreaterThan(0);
    for (const { url: at, line } of fedgateSetCookies) {
      expect(line, at).toMatch(/^__Host-fedgate-[a-z0-9-]+=/);
      expect(line, at).toMatch(/; Secure(;|$)/);
      expect(line, at).toMatch(/; HttpOnly(;|$)/);
      expect(line, at).toMatch(/; Path=\/(;|$)/);
      expect(line, at).not.toMatch(/domain=/i);
      expect(line, at).toMatch(/; SameSite=(Strict|Lax|None)(;|$)/);
    }
  };

  it('SAML SP-initiated: the pending-request cookie is SameSite=None (the IdP posts back cross-site), then cleared', async () => {
    await page.goto(url('/saml/demo-okta/login'));
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
    const pending = await cookie('__Host-fedgate-authn-demo-okta');
    expect(pending).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'None',
      path: '/',
      domain: gateway.url.hostname, // host-only: no Domain attribute
    });
    expect(pending!.expires - nowSeconds()).toBeGreaterThan(500);
    expect(pending!.expires - nowSeconds()).toBeLessThanOrEqual(600);
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    expect(await cookie('__Host-fedgate-authn-demo-okta')).toBeUndefined();
    // the picker's ticket: SameSite=Strict, 5 minutes, invisible to scripts
    const ticket = await cookie('__Host-fedgate-ticket');
    expect(ticket).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(ticket!.expires - nowSeconds()).toBeLessThanOrEqual(300);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.getByRole('button', { name: 'Console as Developer in sandbox' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await cookie('__Host-fedgate-ticket')).toBeUndefined();
    expectHostOnlyCookies();
  });

  it('OIDC: the transaction cookie is SameSite=Lax (the OP redirects back with a top-level GET), then cleared', async () => {
    await page.goto(url('/oidc/demo-oidc/login'));
    await expect.poll(() => page.locator('h1').textContent()).toBe('Demo OpenID Provider');
    const tx = await cookie('__Host-fedgate-oidc-demo-oidc');
    expect(tx).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(tx!.domain).toBe(gateway.url.hostname);
    await page.getByRole('button', { name: 'Sign in as Olivia' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    expect(await cookie('__Host-fedgate-oidc-demo-oidc')).toBeUndefined();
    expect(await cookie('__Host-fedgate-ticket')).toMatchObject({ sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Access keys');
    expect(await cookie('__Host-fedgate-ticket')).toBeUndefined();
    expectHostOnlyCookies();
  });

  it('SameSite=Strict: a cross-site post of the real picker form (right CSRF token) gets no ticket', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    const fields = await page
      .locator('form', {
        has: page.getByRole('button', { name: 'Access keys as Developer in sandbox' }),
      })
      .locator('input')
      .evaluateAll((inputs) =>
        inputs.map((i) => [(i as HTMLInputElement).name, (i as HTMLInputElement).value]),
      );
    const attacker = await context.newPage();
    await attacker.goto('http://attacker.test/');
    await attacker.evaluate(
      ({ action, fields }) => {
        const f = document.createElement('form');
        f.method = 'post';
        f.action = action;
        for (const [name, value] of fields) {
          const i = document.createElement('input');
          i.type = 'hidden';
          i.name = name as string;
          i.value = value as string;
          f.append(i);
        }
        document.body.append(f);
        f.submit();
      },
      { action: url('/select-role'), fields },
    );
    await attacker.waitForURL(/\/select-role$/);
    const text = (await attacker.locator('body').textContent()) ?? '';
    expect(text).toContain('ticket_invalid');
    expect(text).not.toContain('ASIALOCAL');
    // the person's own tab still has its ticket and can choose
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Access keys');
  });

  /** Frames `target` (GET) or posts `form` into a frame, from the attacker's site. */
  const framedText = async (target: string, form?: Record<string, string>): Promise<string> => {
    const attacker = await context.newPage();
    await attacker.goto('http://attacker.test/');
    await attacker.evaluate(
      ({ target, form }) => {
        const control = document.createElement('iframe');
        control.name = 'control';
        control.src = 'http://attacker.test/frameable';
        document.body.append(control);
        const f = document.createElement('iframe');
        f.name = 'victim';
        document.body.append(f);
        if (!form) {
          f.src = target;
          return;
        }
        const el = document.createElement('form');
        el.method = 'post';
        el.action = target;
        el.target = 'victim';
        for (const [name, value] of Object.entries(form)) {
          const i = document.createElement('input');
          i.type = 'hidden';
          i.name = name;
          i.value = value;
          el.append(i);
        }
        document.body.append(el);
        el.submit();
      },
      { target, form },
    );
    const textOf = async (name: string) =>
      (await attacker
        .frame({ name })
        ?.evaluate(() => document.body?.textContent ?? '')
        .catch(() => '')) ?? '';
    // framing itself works from this page: the refusal below is fedgate's
    await expect.poll(() => textOf('control')).toContain('FRAMEABLE-MARKER');
    await attacker.waitForTimeout(700);
    const victim = attacker.frame({ name: 'victim' });
    const text = `${victim?.url()}\n${await textOf('victim')}`;
    await attacker.close();
    return text;
  };

  // (the metadata documents are downloads, never rendered: their headers are checked in
  // test/integration/web-layer/web-layer.test.ts)
  it.each([
    ['home', '/', 'Sign in'],
    ['a 404 error page', '/saml/no-such-idp/login', 'not_found'],
    ['an OIDC callback error page', '/oidc/demo-oidc/callback?code=x&state=y', 'oidc_'],
    ['the OpenID configuration', '/.well-known/openid-configuration', 'jwks_uri'],
  ])('refuses to be framed: %s (GET)', async (_, path, marker) => {
    // the marker is there when the page is loaded top-level
    await page.goto(url(path));
    expect(await page.content()).toContain(marker);
    const framed = await framedText(url(path));
    expect(framed).toMatch(/^chrome-error:/);
    expect(framed).not.toContain(marker);
  });

  it('refuses to be framed: the role picker and an ACS error page (POST into a frame)', async () => {
    const picker = await framedText(url('/saml/demo-okta/acs'), {
      SAMLResponse: await fetchDemoSamlResponse(gateway.url, 'demo-okta', 'alice'),
    });
    expect(picker).toMatch(/^chrome-error:/);
    expect(picker).not.toContain('Choose a role');
    const error = await framedText(url('/saml/demo-okta/acs'), { SAMLResponse: 'abc' });
    expect(error).toMatch(/^chrome-error:/);
    expect(error).not.toContain('saml_malformed');
  });
});
