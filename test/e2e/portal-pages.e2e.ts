/// <reference lib="dom" />
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import {
  applySecurityHeaders,
  DependencyUnavailableError,
  errorPage,
  type GatewayError,
  type HttpResponse,
} from '../../shared/http/index.js';
import { accessKeysPage, portalPage, signInConfirmPage } from '../../shared/portal/index.js';
import { SamlSignatureInvalidError } from '../../shared/saml/index.js';
import { describe, expect, test as kit } from '../kit/index.js';
import { demoAccessKeysView, demoPortalView, manyGrants } from '../unit/portal/fixtures.js';

/**
 * The portal pages standalone in headless Chromium: each HttpResponse is served as it is (its
 * headers, so the real CSP applies) from a node:http server on 127.0.0.1, whose POST routes
 * record what the forms send. Checked in light and dark, at 1280 and 375 px: the inline scripts
 * (filter, local time, copy), no CSP violation, no horizontal scroll, and axe-core's WCAG 2.1 AA
 * rules with 0 violations. Screenshots go to .local/.
 */
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

const support = { text: 'IT help desk', url: 'https://help.example.com/aws' };
const nowSeconds = () => Math.floor(Date.now() / 1000);
const shownError = ({ status, code, description }: GatewayError, requestId: string) =>
  errorPage({ status, code, description, requestId, support });

describe('portal pages in Chromium', () => {
  let server: Server;
  let origin: string;
  const posts: { path: string; form: Record<string, string> }[] = [];

  /** Pages by path, rendered per request (the session's end is relative to now). */
  const routes: Record<string, () => HttpResponse> = {
    '/portal': () =>
      portalPage(
        demoPortalView(nowSeconds(), {
          actions: { open: new URL('/open', origin), signOut: new URL('/sign-out', origin) },
        }),
      ),
    '/portal-many': () =>
      portalPage(
        demoPortalView(nowSeconds(), {
          grants: manyGrants(),
          recent: ['g-3', 'g-140', 'g-77'],
          actions: { open: new URL('/open', origin), signOut: new URL('/sign-out', origin) },
          notice: 'The role you chose is no longer granted to you.',
        }),
      ),
    '/portal-one': () =>
      portalPage(
        demoPortalView(nowSeconds(), {
          grants: [manyGrants()[0]!],
          recent: [],
          actions: { open: new URL('/open', origin), signOut: new URL('/sign-out', origin) },
        }),
      ),
    '/keys': () =>
      accessKeysPage(demoAccessKeysView(nowSeconds(), { portal: new URL('/portal', origin) })),
    '/confirm': () =>
      signInConfirmPage({
        person: { displayName: 'Alice Example', subjectHint: 'alice@example.com' },
        idpDisplayName: 'Okta',
        csrf: 'csrf-confirm',
        action: new URL('/confirm', origin),
        cancel: new URL('/', origin),
        requestId: 'req-confirm',
      }),
    '/error-signature': () =>
      shownError(new SamlSignatureInvalidError('digest mismatch'), 'req-err-1'),
    '/error-unavailable': () =>
      shownError(new DependencyUnavailableError('dynamodb', 'ThrottlingException'), 'req-err-2'),
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          posts.push({ path, form: Object.fromEntries(new URLSearchParams(body)) });
          res.writeHead(200, { 'content-type': 'text/plain' }).end('posted');
        });
        return;
      }
      if (path === '/favicon.ico') return void res.writeHead(204).end();
      const route = routes[path];
      if (!route) return void res.writeHead(404).end();
      const r = applySecurityHeaders(route());
      res.writeHead(r.statusCode, r.headers).end(r.body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync('.local', { recursive: true });
  });
  afterAll(async () => {
    await new Promise((done) => server?.close(done));
  });

  /**
   * `open(path, options)`: the page at `path` in a fresh context (closed after the test) that
   * records CSP violations and script errors, answered with the status its route renders.
   */
  const test = kit.extend('open', async ({ browser }, { onCleanup }) => {
    const contexts: BrowserContext[] = [];
    onCleanup(async () => {
      for (const context of contexts) await context.close();
    });
    return async (
      path: string,
      options: BrowserContextOptions = {},
    ): Promise<{ page: Page; context: BrowserContext; problems: string[] }> => {
      const context = await browser.newContext({ locale: 'en-US', ...options });
      contexts.push(context);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        // An error page's own status is logged as "Failed to load resource": not a problem.
        if (/^Failed to load resource/.test(m.text())) return;
        if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text()))
          problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      const res = await page.goto(`${origin}${path}`);
      expect(res?.status()).toBe(routes[path]?.().statusCode);
      return { page, context, problems };
    };
  });

  /** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it stands. */
  const axeViolations = async (page: Page) => {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern.
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      (
        window as unknown as {
          axe: {
            run: (
              ctx: Document,
              opts: object,
            ) => Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }>;
          };
        }
      ).axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
      }),
    );
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  };

  const scrollWidth = (page: Page) =>
    page.evaluate(() => (document.scrollingElement as Element).scrollWidth);

  /** Every button at least 44 px high (tap targets). */
  const shortButtons = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll('button, a.button')]
        .filter((b) => (b as HTMLElement).offsetParent !== null)
        .filter((b) => b.getBoundingClientRect().height < 44)
        .map((b) => b.outerHTML.slice(0, 80)),
    );

  describe.each([
    ['/portal', 'portal'],
    ['/portal-many', 'portal (150 grants in 40 accounts)'],
    ['/portal-one', 'portal (one grant)'],
    ['/keys', 'access keys'],
    ['/confirm', 'sign-in confirmation'],
    ['/error-signature', 'error: refused sign-in response'],
    ['/error-unavailable', 'error: temporarily unavailable'],
  ])('%s (%s)', (path) => {
    test.for([
      ['light', 1280],
      ['dark', 1280],
      ['light', 375],
      ['dark', 375],
    ] as const)(
      '%s at %i px: axe WCAG 2.1 AA clean, no CSP violation, no horizontal scroll, 44 px buttons',
      async ([scheme, width], { open }) => {
        const { page, problems } = await open(path, {
          colorScheme: scheme,
          viewport: { width, height: 800 },
        });
        expect(await axeViolations(page)).toEqual([]);
        expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
        expect(await shortButtons(page)).toEqual([]);
        expect(problems).toEqual([]);
      },
    );
  });

  test('portal: local time, time left, and the filter hides and shows rows as you type', async ({
    open,
  }) => {
    const { page, problems } = await open('/portal-many', { timezoneId: 'Asia/Tokyo' });
    const end = page.locator('time[data-local]').first();
    const iso = (await end.getAttribute('datetime')) as string;
    const tokyo = new Date(iso).toLocaleTimeString('en-US', {
      timeZone: 'Asia/Tokyo',
      hour: 'numeric',
      minute: '2-digit',
    });
    const tokyoOtherDay = new Date(iso).toLocaleString('en-US', {
      timeZone: 'Asia/Tokyo',
      weekday: 'short',
      hour: 'numeric',
      minute: '2-digit',
    });
    expect([tokyo, tokyoOtherDay]).toContain(await end.textContent());
    expect(await end.textContent()).not.toContain('UTC');
    expect(await page.locator('[data-until]').first().textContent()).toMatch(/^7 h (49|50) min$/);

    const box = page.getByLabel('Filter roles');
    await expect.poll(() => box.isVisible()).toBe(true);
    const visibleRows = () => page.locator('[data-group="account"] li.role:visible').count();
    expect(await visibleRows()).toBe(150);

    await box.pressSequentially('team-07');
    const team07 = manyGrants().filter((g) => g.accountAlias === 'team-07').length;
    await expect.poll(visibleRows).toBe(team07);
    expect(await page.locator('section[data-group="account"]:visible').count()).toBe(1);
    expect(await page.getByRole('status').filter({ hasText: 'shown' }).textContent()).toBe(
      `${team07} of 150 roles shown.`,
    );

    // By account id (a team without an alias), and by role name with a second word.
    await box.fill('');
    await box.pressSequentially('300004000012');
    await expect
      .poll(visibleRows)
      .toBe(manyGrants().filter((g) => g.accountId === '300004000012').length);
    await box.fill('');
    await box.pressSequentially('r-149 break');
    await expect.poll(visibleRows).toBe(1);
    await box.fill('');
    await box.pressSequentially('no such role');
    await expect.poll(visibleRows).toBe(0);
    expect(await page.getByText('No role matches.').isVisible()).toBe(true);
    await box.fill('');
    await box.dispatchEvent('input');
    await expect.poll(visibleRows).toBe(150);
    expect(problems).toEqual([]);
  });

  test('portal: a row posts csrf, the grant id, the target, the chosen region and the deep link (no ARN)', async ({
    open,
  }) => {
    const { page } = await open('/portal');
    posts.length = 0;
    const row = page
      .locator('[data-group="account"] li.role')
      .filter({ has: page.getByRole('button', { name: 'Console as Deployer in production' }) });
    await row.getByLabel('Region for Deployer in production').selectOption('us-west-2');
    await row.getByText('Options').click();
    await row
      .getByLabel('Console page to open (optional)')
      .fill('https://console.aws.amazon.com/ec2/home');
    await row.getByRole('button', { name: 'Console as Deployer in production' }).click();
    await expect.poll(() => posts.length).toBe(1);
    expect(posts[0]).toEqual({
      path: '/open',
      form: {
        csrf: 'csrf-4f1c2e9a',
        grant: 'g-prod-deploy',
        region: 'us-west-2',
        destination: 'https://console.aws.amazon.com/ec2/home',
        target: 'console',
      },
    });

    await page.goto(`${origin}/portal`);
    await page.getByRole('button', { name: 'Access keys as Billing in sandbox' }).click();
    await expect.poll(() => posts.length).toBe(2);
    expect(posts[1]?.form).toMatchObject({
      grant: 'g-sbx-billing',
      target: 'keys',
      region: 'eu-west-1',
    });

    await page.goto(`${origin}/portal`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => posts.length).toBe(3);
    expect(posts[2]).toEqual({ path: '/sign-out', form: { csrf: 'csrf-4f1c2e9a' } });
  });

  test('portal without JavaScript: every row shows, no filter box, times in UTC', async ({
    open,
  }) => {
    const { page } = await open('/portal-many', { javaScriptEnabled: false });
    expect(await page.locator('[data-group="account"] li.role:visible').count()).toBe(150);
    expect(await page.getByLabel('Filter roles').isVisible()).toBe(false);
    expect(await page.locator('time[data-local]').first().textContent()).toMatch(/ UTC$/);
  });

  test('access keys: each copy button puts its value on the clipboard', async ({ open }) => {
    const { page, problems } = await open('/keys', {
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    const view = demoAccessKeysView(0);
    await page.getByRole('button', { name: 'Copy secret access key' }).click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe(view.credentials.secretAccessKey);
    expect(await page.getByRole('status').textContent()).toBe('Secret access key copied.');

    await page.getByRole('button', { name: 'Copy session token' }).click();
    await expect
      .poll(() => page.evaluate(() => navigator.clipboard.readText()))
      .toBe(view.credentials.sessionToken);

    await page.getByRole('button', { name: 'Copy bash / zsh commands' }).click();
    const bash = await page.evaluate(() => navigator.clipboard.readText());
    expect(bash.split('\n')).toEqual([
      `export AWS_ACCESS_KEY_ID='${view.credentials.accessKeyId}'`,
      `export AWS_SECRET_ACCESS_KEY='${view.credentials.secretAccessKey}'`,
      `export AWS_SESSION_TOKEN='${view.credentials.sessionToken}'`,
      "export AWS_REGION='eu-west-1'",
      "export AWS_DEFAULT_REGION='eu-west-1'",
    ]);
    expect(problems).toEqual([]);
  });

  test('screenshots: portal desktop, mobile and dark, access keys', async ({ open }) => {
    const shots: [string, string, BrowserContextOptions][] = [
      ['/portal', 'portal-desktop', { viewport: { width: 1280, height: 900 } }],
      ['/portal', 'portal-mobile', { viewport: { width: 375, height: 812 } }],
      ['/portal', 'portal-dark', { viewport: { width: 1280, height: 900 }, colorScheme: 'dark' }],
      ['/keys', 'access-keys', { viewport: { width: 1280, height: 900 } }],
    ];
    for (const [path, name, options] of shots) {
      const { page, context } = await open(path, { timezoneId: 'Europe/Berlin', ...options });
      await page.screenshot({ path: `.local/${name}.png`, fullPage: true });
      await context.close();
      expect(statSync(`.local/${name}.png`).size).toBeGreaterThan(10_000);
    }
  });
});
