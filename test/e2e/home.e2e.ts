/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import { type LocalGateway, startLocalGateway } from '../../infra/local/gateway.js';
import { launchChromium } from '../support/browser.js';

describe('local gateway home page in Chromium', () => {
  let gateway: LocalGateway;
  let browser: Browser;

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

  it('lists the demo IdPs with sign-in links, renders under its strict CSP, and cannot be framed', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/.test(msg.text())) violations.push(msg.text());
    });
    const response = await page.goto(gateway.url.href);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");

    const items = page.getByRole('list', { name: 'Identity providers' }).getByRole('listitem');
    await expect.poll(() => items.count()).toBe(3);
    const names = await items.locator('strong').allTextContents();
    expect(names).toEqual(['Demo OpenID Provider', 'Microsoft Entra ID (demo)', 'Okta (demo)']);
    const okta = page.locator('li[data-idp="demo-okta"] a');
    expect(await okta.getAttribute('href')).toBe(`${gateway.url.origin}/saml/demo-okta/login`);

    // The inline stylesheet is allowed by its hash: the button really is styled.
    const background = await okta.evaluate((a) => getComputedStyle(a).backgroundColor);
    expect(background).not.toBe('rgba(0, 0, 0, 0)');
    expect(violations).toEqual([]);
    await page.screenshot({ path: '.local/e2e-home.png' });

    // Framing is refused by the browser itself.
    const framer = await browser.newPage();
    await framer.setContent(`<iframe src="${gateway.url.href}"></iframe>`);
    await framer.waitForTimeout(300);
    const frame = framer.frames().find((f) => f !== framer.mainFrame());
    const framedText = await frame
      ?.evaluate(() => document.body?.textContent ?? '')
      .catch(() => '');
    expect(framedText ?? '').not.toContain('Okta (demo)');
  });
});
