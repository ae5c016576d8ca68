/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';
import { launchChromium } from '../support/browser.js';

/**
 * The headline flow in a real browser against the local runner (the same one `npm start` runs):
 * demo IdP → fedgate's ACS → role picker → console sign-in through the federation stand-in.
 */
describe('SAML SSO in Chromium', () => {
  let gateway: LocalGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

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
    page = await context.newPage();
  });

  const url = (path: string) => new URL(path, gateway.url).href;
  it('IdP-initiated with one grant goes straight to the AWS console (stand-in)', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Carol' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    const body = await page.locator('body').textContent();
    expect(body).toContain('AWS console (local stand-in)');
    expect(body).toContain('fedgate-demo-developer');
    expect(body).toContain('111111111111');
    expect(body).toContain('department');
  });

  it('IdP-initiated with several grants: the role picker, then Console', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    await page.screenshot({ path: '.local/e2e-role-picker.png', fullPage: true });
    // grouped by account alias, each role with Console and Access keys
    expect(await page.getByRole('region').count()).toBe(2);
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    const body = await page.locator('body').textContent();
    expect(body).toContain('fedgate-demo-admin');
    expect(body).toContain('222222222222');
  });

  it('the picker shows access keys for the chosen role, and its ticket is single use', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    const pickerUrl = page.url();
    const form = page.locator('form', {
      has: page.getByRole('button', { name: 'Console as Developer in sandbox' }),
    });
    const fields = Object.fromEntries(
      await form
        .locator('input')
        .evaluateAll((inputs) =>
          inputs.map((i) => [(i as HTMLInputElement).name, (i as HTMLInputElement).value]),
        ),
    );
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Access keys');
    const json = JSON.parse(
      (await page.getByLabel('credential_process JSON').textContent()) ?? '{}',
    );
    expect(json).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIALOCAL/) });
    expect(await page.getByLabel('Environment variables').textContent()).toContain(
      'export AWS_SESSION_TOKEN=',
    );
    expect(pickerUrl).not.toContain(json.AccessKeyId);
    // The same choice again, with this browser's cookies: the ticket is gone.
    const again = await context.request.post(url('/select-role'), {
      form: fields,
      maxRedirects: 0,
    });
    expect(again.status()).toBe(403);
    expect(await again.text()).toContain('ticket_invalid');
  });

  it('SP-initiated: fedgate sends an AuthnRequest, the IdP answers it, InResponseTo is checked', async () => {
    await page.goto(url('/'));
    await page.locator('li[data-idp="demo-okta"] a').click();
    await page.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
    const cookies = await context.cookies();
    const pending = cookies.find((c) => c.name === '__Host-fedgate-authn-demo-okta');
    expect(pending).toMatchObject({ httpOnly: true, secure: true, sameSite: 'None', path: '/' });
    await page.getByRole('button', { name: 'Sign in as Carol' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await page.locator('body').textContent()).toContain('fedgate-demo-developer');
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-authn-demo-okta')).toBe(
      false,
    );
  });

  it('refuses a role choice posted without the CSRF token', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    const grant = (await page.locator('input[name="grant"]').first().getAttribute('value')) ?? '';
    // With the browser's own ticket cookie, but without the page's CSRF token.
    const forms: [Record<string, string>, number][] = [
      [{ grant, target: 'keys' }, 400],
      [{ grant, target: 'keys', csrf: 'forged' }, 403],
    ];
    for (const [form, status] of forms) {
      const res = await context.request.post(url('/select-role'), { form, maxRedirects: 0 });
      const text = await res.text();
      expect([res.status(), text.includes('ASIALOCAL')]).toEqual([status, false]);
    }
    // The real ticket survived the forged posts: the person can still choose.
    await page.getByRole('button', { name: 'Console as Developer in sandbox' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
  });

  it('the picker refuses to be framed', async () => {
    await page.goto(url('/_local/idp/demo-okta'));
    await page.getByRole('button', { name: 'Sign in as Alice' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Choose a role');
    const framer = await context.newPage();
    await framer.goto(url('/_local/idp/demo-okta')); // any page of ours as the parent origin
    await framer.evaluate((src) => {
      const f = document.createElement('iframe');
      f.src = src;
      document.body.append(f);
    }, page.url());
    await framer.waitForTimeout(500);
    const child = framer.frames().find((f) => f !== framer.mainFrame());
    const text =
      (await child?.evaluate(() => document.body?.textContent ?? '').catch(() => '')) ?? '';
    expect(text).not.toContain('Choose a role');
  });
});
