import { describe, expect, test as kit } from '../kit/index.js';

/**
 * The SPA hand-off in a real browser against the local runner: the demo SPA (the browser client
 * bundled with esbuild) → fedgate's login with the SPA's S256 challenge and state (the login
 * binding cookie set) → the demo OpenID provider → fedgate's callback → back to the SPA with a
 * one-time code and its state → POST /redeem (a session of kind `spa`; the STS stand-in verifies
 * fedgate's web identity token) → credentials shown → refresh without a login → logout, after
 * which nothing refreshes. Refusals come back to the SPA; a login URL someone else started does
 * not end in a session.
 */
const test = kit
  .extend('spaUrl', async ({ gateway }) => new URL('/_local/spa/', gateway.url).href)
  .extend('signIn', async ({ page, spaUrl }) => async (person: string) => {
    await page.goto(spaUrl);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Not signed in.');
    await page.getByRole('button', { name: 'Sign in with fedgate' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Demo OpenID Provider');
    await page.getByRole('button', { name: `Sign in as ${person}` }).click();
    await page.waitForURL((u) => u.pathname === '/_local/spa/');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Signed in.');
  });

describe('the demo SPA in Chromium', () => {
  test('sign in → credentials shown → refresh without a login → logout ends refresh', async ({
    context,
    page,
    spaUrl,
    signIn,
  }) => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    const bindings: string[] = [];
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/oidc/demo-oidc/login') {
        bindings.push(...((await r.headerValue('set-cookie')) ?? '').split('\n'));
      }
    });
    await signIn('Paul');
    // The login set the binding cookie (SameSite=None: a cross-site SPA redeems with it)…
    expect(bindings).toContainEqual(
      expect.stringMatching(/^__Host-fedgate-spa-login=.+; SameSite=None$/),
    );
    // …and the redemption, its job done, cleared it; the redemption went to /redeem.
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-spa-login')).toBe(
      false,
    );
    expect(urls.filter((u) => new URL(u).pathname === '/redeem')).toHaveLength(1);
    // The code is gone from the address bar, and no URL ever carried credentials.
    expect(page.url()).toBe(spaUrl);
    expect(urls.some((u) => /ASIA|SessionToken|AccessKeyId/i.test(u))).toBe(false);
    await expect.poll(() => page.locator('#access-key').textContent()).toMatch(/^ASIALOCAL/);
    expect(await page.locator('#who').textContent()).toBe('paul@example.com');
    expect(await page.locator('#role').textContent()).toContain(
      'arn:aws:iam::111111111111:role/fedgate-demo-developer',
    );
    expect(await page.locator('#tags').textContent()).toContain('department = Data');
    const expiry = Date.parse(String(await page.locator('#expiry').textContent()));
    expect(expiry).toBeGreaterThan(Date.now() + 10 * 60_000);
    const cookie = (await context.cookies()).find((c) => c.name === '__Host-fedgate-spa-demo-spa');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'None', path: '/' });
    await page.screenshot({ path: '.local/e2e-spa-signed-in.png', fullPage: true });

    const first = await page.locator('#access-key').textContent();
    const logins = urls.filter((u) => u.includes('/oidc/demo-oidc/login')).length;
    await page.getByRole('button', { name: 'Refresh credentials' }).click();
    await expect.poll(() => page.locator('#access-key').textContent()).not.toBe(first);
    expect(await page.locator('#access-key').textContent()).toMatch(/^ASIALOCAL/);
    expect(urls.filter((u) => u.includes('/oidc/demo-oidc/login')).length).toBe(logins);

    // A reload keeps the session (the cookie), with no new login either.
    await page.reload();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Signed in.');
    expect(urls.filter((u) => u.includes('/oidc/demo-oidc/login')).length).toBe(logins);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Signed out.');
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-spa-demo-spa')).toBe(
      false,
    );
    // Refresh after logout: fedgate refuses, in the page's own fetch.
    const after = await page.evaluate(async () => {
      const res = await fetch('/credentials?client_id=demo-spa', {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: res.status, body: await res.text() };
    });
    expect(after.status).toBe(401);
    expect(after.body).toContain('session_invalid');
    await page.reload();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Not signed in.');
  });

  test('several grants: the SPA switches role by opaque id', async ({ page, signIn }) => {
    await signIn('Olivia');
    await expect.poll(() => page.locator('#access-key').textContent()).toMatch(/^ASIALOCAL/);
    const options = await page.locator('#grants option').allTextContents();
    expect(options).toHaveLength(2);
    const before = String(await page.locator('#role').textContent());
    const other = await page
      .locator('#grants option')
      .nth(
        (await page.locator('#grants').inputValue()) ===
          (await page.locator('#grants option').nth(0).getAttribute('value'))
          ? 1
          : 0,
      )
      .getAttribute('value');
    await page.locator('#grants').selectOption(String(other));
    await expect.poll(() => page.locator('#role').textContent()).not.toBe(before);
    expect(String(await page.locator('#role').textContent())).toMatch(
      /fedgate-demo-(admin|developer)/,
    );
  });

  test('a person with no grant comes back to the SPA with the refusal, not to a fedgate page', async ({
    context,
    page,
    spaUrl,
  }) => {
    await page.goto(spaUrl);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Not signed in.');
    await page.getByRole('button', { name: 'Sign in with fedgate' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Demo OpenID Provider');
    await page.getByRole('button', { name: 'Sign in as Quinn' }).click();
    await page.waitForURL((u) => u.pathname === '/_local/spa/');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Not signed in.');
    expect(await page.locator('#error').textContent()).toMatch(/^no_role_matched: /);
    // The SPA took error and state out of its address bar.
    expect(page.url()).toBe(spaUrl);
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-spa-demo-spa')).toBe(
      false,
    );
  });

  test('a login URL someone else started (their challenge and state) ends in no session here', async ({
    gateway,
    context,
    page,
    spaUrl,
  }) => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    // The attacker's SPA login URL, opened in the victim's browser.
    const attacker = new URL('/oidc/demo-oidc/login', gateway.url);
    attacker.search = new URLSearchParams({
      client_id: 'demo-spa',
      return_to: spaUrl,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'attacker-chosen-state-0123456789',
    }).toString();
    await page.goto(attacker.href);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Demo OpenID Provider');
    await page.getByRole('button', { name: 'Sign in as Paul' }).click();
    await page.waitForURL((u) => u.pathname === '/_local/spa/');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Not signed in.');
    // This tab started no login: the SPA refuses the code before any request.
    expect(await page.locator('#error').textContent()).toMatch(/^spa_verifier_missing: /);
    expect(urls.some((u) => new URL(u).pathname === '/redeem')).toBe(false);
    expect((await context.cookies()).some((c) => c.name === '__Host-fedgate-spa-demo-spa')).toBe(
      false,
    );
  });

  test('a page of another origin gets no CORS grant: its fetch with credentials fails', async ({
    gateway,
    context,
    signIn,
  }) => {
    await signIn('Paul');
    // about:blank → a data: page has an opaque origin ("null"), i.e. not the SPA's.
    const other = await context.newPage();
    await other.goto('data:text/html,<p>elsewhere</p>');
    const outcome = await other.evaluate(async (url) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          credentials: 'include',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return `read ${res.status}`;
      } catch (err) {
        return (err as Error).name;
      }
    }, new URL('/credentials?client_id=demo-spa', gateway.url).href);
    expect(outcome).toBe('TypeError');
  });
});
