import { describe, expect, test as kit } from '../kit/index.js';

/**
 * The OIDC sign-in a newcomer tries first, in a real browser against the local runner: home page
 * → the demo OpenID provider (oidc-provider) → fedgate's callback → the access portal (several
 * grants) or the console (one) → the console stand-in, with the web identity token verified by the
 * STS stand-in along the way.
 */
const test = kit.extend('startAtHome', async ({ gateway, page }) => async (person: string) => {
  await page.goto(new URL('/', gateway.url).href);
  await page.locator('li[data-idp="demo-oidc"]').getByRole('link', { name: 'Sign in' }).click();
  await expect.poll(() => page.locator('h1').textContent()).toBe('Demo OpenID Provider');
  await page.getByRole('button', { name: `Sign in as ${person}` }).click();
});

describe('OIDC sign-in in Chromium', () => {
  test('home → demo OP → the portal → Console as Administrator → the console stand-in', async ({
    page,
    context,
    startAtHome,
  }) => {
    await startAtHome('Olivia');
    await expect.poll(() => page.locator('h1').textContent()).toBe('AWS access');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('.topbar').textContent()).toContain('Demo OpenID Provider');
    await page.screenshot({ path: '.local/e2e-oidc-portal.png', fullPage: true });
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    const body = await page.locator('body').textContent();
    expect(body).toContain('AWS console (local stand-in)');
    expect(body).toContain('fedgate-demo-admin');
    expect(body).toContain('222222222222');
    expect(body).toContain('olivia@example.com');
    expect(body).toContain('Engineering');
    // The transaction cookie is gone once the callback used it; the session stays.
    const cookies = await context.cookies();
    expect(cookies.some((c) => c.name === '__Host-fedgate-oidc-demo-oidc')).toBe(false);
    expect(cookies.find((c) => c.name === '__Host-fedgate-session')).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    });
  });

  test('one grant goes straight to the console', async ({ page, startAtHome }) => {
    await startAtHome('Paul');
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(await page.locator('body').textContent()).toContain('fedgate-demo-developer');
  });

  test('no grant: a refusal page with its code, no credentials', async ({ page, startAtHome }) => {
    await startAtHome('Quinn');
    await expect.poll(() => page.locator('code').first().textContent()).toBe('no_role_matched');
    expect(page.url()).toContain('/oidc/demo-oidc/callback');
    expect(await page.content()).not.toContain('ASIALOCAL');
  });

  test('the callback replayed in the same browser is refused (single-use transaction)', async ({
    page,
    startAtHome,
  }) => {
    const callbacks: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/oidc/demo-oidc/callback')) callbacks.push(r.url());
    });
    await startAtHome('Paul');
    await page.waitForURL(/\/_local\/federation\?Action=login/);
    expect(callbacks).toHaveLength(1);
    const replay = await page.goto(callbacks[0] as string);
    expect(replay?.status()).toBe(400);
    expect(await page.locator('code').first().textContent()).toBe('oidc_state_mismatch');
  });
});
