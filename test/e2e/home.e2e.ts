/// <reference lib="dom" />
import { describe, expect, expectFramingRefused, test } from '../kit/index.js';

describe('local gateway home page in Chromium', () => {
  test('lists the demo IdPs with sign-in links and renders under its strict CSP', async ({
    gateway,
    page,
  }) => {
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
  });

  test('cannot be framed, not even by a page of its own origin', async ({ gateway, context }) => {
    await expectFramingRefused(context, { target: gateway.url.href }, 'Okta (demo)');
  });
});
