/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { DEMO_USERS } from '../../infra/local/demo/demo-users.js';
import { fetchDemoSamlResponse } from '../../infra/local/demo/saml-idps.js';
import { hashSubject } from '../../shared/log.js';
import { runCli } from '../integration/admin/support.js';
import { describe, expect, test as kit } from '../kit/index.js';

/**
 * The access portal end to end in headless Chromium, against the local runner with the demo
 * config (the same runner `npm start` starts): one upstream sign-in, then the portal used again
 * and again (console, Back, access keys, reload, a second tab), sign-out; IdP-initiated sign-in
 * with and without fedgate's confirmation; the current rules re-evaluated at every use (a rule
 * removed through the admin CLI); an administrator's revocation. The portal's pages on their own
 * (axe, layout) are in ./portal-pages.e2e.ts.
 */
const heading = (p: Page) => p.locator('h1').textContent();

/** The roles the portal on `p` lists, as "Label in account" (its Console buttons' names). */
const listedRoles = async (p: Page) =>
  (
    await p
      .locator('section[data-group="account"] button[value="console"]')
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? ''))
  ).map((label) => label.replace(/^Console as /, ''));

/** Where a portal button led: the federation stand-in's page and the role it shows. */
const expectConsoleAs = async (p: Page, roleName: string, accountId: string) => {
  await p.waitForURL(/\/_local\/federation\?Action=login/);
  expect(await p.locator('[data-field="role-name"]').textContent()).toBe(roleName);
  expect(await p.locator('body').textContent()).toContain(accountId);
};
const accessKeyId = (p: Page) => p.locator('#access-key-id').textContent();
const secretKey = (p: Page) => p.locator('#secret-access-key').textContent();

const test = kit
  // desktop-sized browser profiles
  .extend('contextOptions', { viewport: { width: 1280, height: 900 } })
  .extend('portal', async ({ gateway, context }) => {
    const url = (path: string) => new URL(path, gateway.url).href;
    /** The admin CLI, run in this process against the runner's DynamoDB. */
    const admin = async (...argv: string[]) => {
      const run = await runCli([...argv, '--endpoint', gateway.dynamo.endpoint, '--json'], {
        cwd: process.cwd(),
      });
      expect(run.code, `${argv.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
      return run.json();
    };
    return {
      url,
      admin,
      sessionCookie: async () =>
        (await context.cookies(gateway.url.origin)).find(
          (c) => c.name === '__Host-fedgate-session',
        ),
      /** Alice, SP-initiated from the home page at demo-okta: several roles, so the portal. */
      signInAsAlice: async (p: Page) => {
        await p.goto(url('/'));
        expect(await heading(p)).toBe('Sign in to AWS');
        await p.locator('li[data-idp="demo-okta"]').getByRole('link', { name: 'Sign in' }).click();
        await p.waitForURL(/\/_local\/idp\/demo-okta\/sso\?SAMLRequest=/);
        await p.getByRole('button', { name: 'Sign in as Alice' }).click();
        await expect.poll(() => heading(p)).toBe('AWS access');
        expect(new URL(p.url()).pathname).toBe('/');
      },
      /** Removes a rule, runs `during`, and puts the rule back as it was (whatever happened). */
      withoutRule: async (idp: string, ruleId: string, during: () => Promise<void>) => {
        const { rules } = await admin('rules', 'list', '--idp', idp);
        const rule = (rules as { id: string }[]).find((r) => r.id === ruleId);
        expect(rule, `${idp} has a rule ${ruleId}`).toBeDefined();
        await admin('rules', 'remove', '--idp', idp, '--rule-id', ruleId, '--yes');
        try {
          await during();
        } finally {
          await admin('rules', 'add', '--idp', idp, '--rule', JSON.stringify(rule));
        }
      },
    };
  });

describe('the access portal in Chromium', () => {
  test('one sign-in, many uses: console, Back, access keys (fresh at every load), console again, a second tab, sign-out', async ({
    context,
    page,
    portal,
  }) => {
    await portal.signInAsAlice(page);
    expect(await listedRoles(page)).toEqual([
      'Administrator in production',
      'Read-only in production',
      'Developer in sandbox',
    ]);
    expect(await page.locator('.topbar').textContent()).toContain('alice@example.com');

    // Console for role A
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await expectConsoleAs(page, 'fedgate-demo-admin', '222222222222');

    // Back, then access keys for role B: fresh keys at every load
    await page.goBack();
    await expect.poll(() => heading(page)).toBe('AWS access');
    await page.getByRole('button', { name: 'Access keys as Developer in sandbox' }).click();
    await expect.poll(() => heading(page)).toBe('Access keys');
    expect(new URL(page.url()).pathname).toBe('/portal/keys');
    const first = { id: await accessKeyId(page), secret: await secretKey(page) };
    expect(first.id).toMatch(/^ASIALOCAL/);
    expect(page.url()).not.toContain(first.id);
    expect(page.url()).not.toContain(first.secret);
    await page.reload();
    await expect.poll(() => heading(page)).toBe('Access keys');
    const second = { id: await accessKeyId(page), secret: await secretKey(page) };
    expect(second.id).toMatch(/^ASIALOCAL/);
    expect(second.id).not.toBe(first.id);
    expect(second.secret).not.toBe(first.secret);
    expect(await page.locator('body').textContent()).toContain('Developer');

    // Back to the portal, role A's console again
    await page.goBack();
    await expect.poll(() => heading(page)).toBe('AWS access');
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await expectConsoleAs(page, 'fedgate-demo-admin', '222222222222');

    // A second tab of the same browser: the same session, the same portal
    const tab = await context.newPage();
    await tab.goto(portal.url('/'));
    await expect.poll(() => heading(tab)).toBe('AWS access');
    expect(await listedRoles(tab)).toEqual([
      'Administrator in production',
      'Read-only in production',
      'Developer in sandbox',
    ]);
    await tab.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await expectConsoleAs(tab, 'fedgate-demo-admin', '222222222222');
    await tab.goBack();
    await expect.poll(() => heading(tab)).toBe('AWS access');
    await tab.getByRole('button', { name: 'Access keys as Read-only in production' }).click();
    await expect.poll(() => heading(tab)).toBe('Access keys');
    expect(await accessKeyId(tab)).toMatch(/^ASIALOCAL/);
    await tab.goBack();
    await expect.poll(() => heading(tab)).toBe('AWS access');

    // Sign out in the first tab: `/` is the sign-in page again
    await page.goBack();
    await expect.poll(() => heading(page)).toBe('AWS access');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => heading(page)).toBe('Sign in to AWS');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await portal.sessionCookie()).toBeUndefined();

    // The second tab still shows the old portal: its forms are refused now
    await tab.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await tab.waitForURL((u) => u.pathname === '/portal/open');
    expect(await tab.locator('code').first().textContent()).toBe('session_invalid');
    expect(await tab.content()).not.toContain('ASIALOCAL');
    expect(await tab.content()).not.toContain('SigninToken');
    await tab.goto(portal.url('/'));
    expect(await heading(tab)).toBe('Sign in to AWS');
  });

  test('IdP-initiated at demo-okta: the confirmation says who; Cancel signs in nobody, Continue opens the portal', async ({
    page,
    portal,
  }) => {
    const tile = async () => {
      await page.goto(portal.url('/_local/idp/demo-okta'));
      await page.getByRole('button', { name: 'Sign in as Alice' }).click();
      await expect.poll(() => heading(page)).toBe('Continue signing in to AWS?');
    };
    await tile();
    expect(await page.locator('main').textContent()).toContain(
      'You are signing in to AWS as alice@example.com through Okta (demo).',
    );
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect.poll(() => heading(page)).toBe('Sign in to AWS');
    expect(await portal.sessionCookie()).toBeUndefined();

    await tile();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => heading(page)).toBe('AWS access');
    expect(await portal.sessionCookie()).toBeDefined();
    expect(await listedRoles(page)).toHaveLength(3);
  });

  test('IdP-initiated at demo-entra (a trusted tile): one grant goes straight to the console, no confirmation', async ({
    gateway,
    page,
    portal,
  }) => {
    // Erin has two grants in the demo config; without the admin rule she has one (Developer).
    await portal.withoutRule('demo-entra', 'cloud-admins', async () => {
      // Wait for the runner's 5 s attribute cache: a fresh response of Erin's until the ACS
      // itself sends her to the console.
      await expect
        .poll(
          async () => {
            const res = await fetch(portal.url('/saml/demo-entra/acs'), {
              method: 'POST',
              redirect: 'manual',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                SAMLResponse: await fetchDemoSamlResponse(gateway.url, 'demo-entra', 'erin'),
              }).toString(),
            });
            return `${res.status} ${new URL(res.headers.get('location') ?? '/x', gateway.url).pathname}`;
          },
          { timeout: 15_000, interval: 500 },
        )
        .toBe('302 /_local/federation');

      const shown: string[] = [];
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) shown.push(new URL(f.url()).pathname);
      });
      await page.goto(portal.url('/_local/idp/demo-entra'));
      await page.getByRole('button', { name: 'Sign in as Erin' }).click();
      await expectConsoleAs(page, 'fedgate-demo-developer', '111111111111');
      // the tile's post went straight through: no page of fedgate's was shown on the way
      expect(shown.filter((p) => !p.startsWith('/_local/'))).toEqual([]);
      // a session was started all the same: the portal lists her one role
      await page.goto(portal.url('/'));
      await expect.poll(() => heading(page)).toBe('AWS access');
      expect(await listedRoles(page)).toEqual(['Developer in sandbox']);
    });
  });

  test('re-evaluated at every use: a rule removed between two uses takes role A away (grant_not_available, no longer listed)', async ({
    context,
    page,
    portal,
  }) => {
    await portal.signInAsAlice(page);
    await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
    await expectConsoleAs(page, 'fedgate-demo-admin', '222222222222');
    await page.goBack();
    await expect.poll(() => heading(page)).toBe('AWS access');
    expect(await listedRoles(page)).toContain('Administrator in production');
    // What this page's Console button for A posts (the page stays as it is: the next use).
    const formA = Object.fromEntries(
      await page
        .locator('form', {
          has: page.getByRole('button', { name: 'Console as Administrator in production' }),
        })
        .locator('input[type="hidden"]')
        .evaluateAll((inputs) =>
          inputs.map((i) => [(i as HTMLInputElement).name, (i as HTMLInputElement).value]),
        ),
    );

    await portal.withoutRule('demo-okta', 'platform-admins', async () => {
      // Wait for the runner's 5 s attribute cache in the portal's function (a poll, no sleep).
      await expect
        .poll(
          async () =>
            (
              await context.request.post(portal.url('/portal/open'), {
                form: { ...formA, target: 'console' },
                maxRedirects: 0,
              })
            ).status(),
          { timeout: 15_000, interval: 500 },
        )
        .toBe(403);
      // The person's next Console for A, on the page they still have
      await page.getByRole('button', { name: 'Console as Administrator in production' }).click();
      await page.waitForURL((u) => u.pathname === '/portal/open');
      expect(await page.locator('code').first().textContent()).toBe('grant_not_available');
      expect(await page.content()).not.toContain('SigninToken');
      // The portal (its own function's cache may lag a moment) no longer lists A; B still works
      await expect
        .poll(
          async () => {
            await page.goto(portal.url('/'));
            return listedRoles(page);
          },
          { timeout: 15_000, interval: 500 },
        )
        .toEqual(['Read-only in production', 'Developer in sandbox']);
      await page.getByRole('button', { name: 'Console as Developer in sandbox' }).click();
      await expectConsoleAs(page, 'fedgate-demo-developer', '111111111111');
    });
    // With the rule back, the same session gets A again at its next use
    await expect
      .poll(
        async () => {
          await page.goto(portal.url('/'));
          return listedRoles(page);
        },
        { timeout: 15_000, interval: 500 },
      )
      .toContain('Administrator in production');
  });

  test('an administrator revokes the person’s sessions: the next portal load is the sign-in page, saying so', async ({
    context,
    page,
    portal,
  }) => {
    await portal.signInAsAlice(page);
    // The CLI takes the IdP's immutable subject (Alice's Okta user id); the cookie names the
    // same subject reference (`<idp>.<subject ref>.<secret>`).
    const alice = DEMO_USERS['demo-okta'].find((u) => u.id === 'alice');
    const subject = alice?.attributes.oktaUserId?.[0] as string;
    const cookieValue = (await portal.sessionCookie())?.value ?? '';
    expect(cookieValue.split('.')[1]).toBe(hashSubject(`demo-okta:${subject}`));

    const out = await portal.admin(
      'sessions',
      'revoke',
      '--idp',
      'demo-okta',
      '--subject',
      subject,
    );
    expect(out).toMatchObject({ revoked: { kind: 'subject', idp: 'demo-okta' } });
    expect(out.sessionsEnded).toBeGreaterThanOrEqual(1);

    await page.reload();
    await expect.poll(() => heading(page)).toBe('Sign in to AWS');
    expect(await page.locator('.notice').textContent()).toContain('ended by an administrator');
    // the dead cookie is cleared; the portal's forms from before are refused
    expect(await portal.sessionCookie()).toBeUndefined();
    const stale = await context.request.post(portal.url('/portal/open'), {
      form: { csrf: 'x', grant: 'x', target: 'console' },
      headers: { cookie: `__Host-fedgate-session=${cookieValue}` },
      maxRedirects: 0,
    });
    expect(stale.status()).toBe(401);
    expect(await stale.text()).toContain('<code>session_revoked</code>');
    // Signing in again works: the mark ends sessions started before it, not the person.
    await portal.signInAsAlice(page);
    expect(await listedRoles(page)).toHaveLength(3);
  });

  test('screenshots of the live portal: desktop 1280, mobile 375, dark, and its access keys', async ({
    page,
    portal,
  }) => {
    await portal.signInAsAlice(page);
    await page.screenshot({ path: '.local/e2e-portal-desktop.png', fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await expect.poll(() => heading(page)).toBe('AWS access');
    // nothing scrolls sideways on a phone
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    ).toBe(true);
    await page.screenshot({ path: '.local/e2e-portal-mobile.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await expect.poll(() => heading(page)).toBe('AWS access');
    await page.screenshot({ path: '.local/e2e-portal-dark.png', fullPage: true });
    // The access keys page as it is served, with the CLI set-up for the role.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Access keys as Administrator in production' }).click();
    await expect.poll(() => heading(page)).toBe('Access keys');
    await page.screenshot({ path: '.local/e2e-access-keys.png', fullPage: true });
  });
});
