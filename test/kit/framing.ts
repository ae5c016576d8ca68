/// <reference lib="dom" />
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Another site than the runner's 127.0.0.1, served by Playwright inside the browser context:
 * SameSite and framing rules apply to it as to any site on the internet.
 */
export const ATTACKER_ORIGIN = 'http://attacker.test';

const PARENT_PATH = '/_test-parent/';
const CONTROL_MARKER = 'FRAMEABLE-MARKER';
const served = new WeakMap<BrowserContext, Set<string>>();

/**
 * Opens a plain page (no CSP, no frame rules of its own) at `origin` in `context`, served by
 * Playwright at a path no fedgate route has: the attacker's site, or a page on fedgate's own
 * origin (same-site: the person's cookies go along).
 */
export const openParentPage = async (
  context: BrowserContext,
  origin: string = ATTACKER_ORIGIN,
): Promise<Page> => {
  const origins = served.get(context) ?? new Set<string>();
  served.set(context, origins);
  if (!origins.has(origin)) {
    origins.add(origin);
    await context.route(`${origin}${PARENT_PATH}**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: new URL(route.request().url()).pathname.endsWith('/frameable')
          ? `<p>${CONTROL_MARKER}</p>`
          : '<!doctype html><title>parent</title><body><p>parent page</p></body>',
      }),
    );
  }
  const page = await context.newPage();
  await page.goto(`${origin}${PARENT_PATH}`);
  return page;
};

/** What the framed page is, and whether the parent page posts a form into it. */
export interface FramingAttempt {
  /** Loaded into the frame by GET, or the action `form` is posted to. */
  target: string;
  form?: Readonly<Record<string, string>>;
}

/**
 * Frames `target` from a parent page on the target's own origin and expects the browser to refuse
 * it: a control frame from that origin must render first (this parent can frame that origin, so
 * a refusal is the target's headers at work), then the target's frame must end on Chromium's error
 * page (`chrome-error:`), and `marker` (text the page shows when loaded top-level) must not be in
 * it. Fails when no frame was created or the target rendered.
 *
 * Why the parent is same-origin: a page on 127.0.0.1 is refused in a frame of any site Playwright
 * serves (a routed page counts as public, and Chromium keeps public pages from framing loopback),
 * whatever the page's headers: checked by removing X-Frame-Options and frame-ancestors, when
 * attacker.test still could not frame the home page but the same origin could. A same-origin
 * parent sees fedgate's own refusal, and DENY / frame-ancestors 'none' refusing its own origin
 * refuse every other.
 */
export const expectFramingRefused = async (
  context: BrowserContext,
  { target, form }: FramingAttempt,
  marker: string,
): Promise<void> => {
  const origin = new URL(target).origin;
  const parent = await openParentPage(context, origin);
  await parent.evaluate(
    ({ target, form, control }) => {
      const c = document.createElement('iframe');
      c.name = 'control';
      c.src = control;
      document.body.append(c);
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
    { target, form, control: `${origin}${PARENT_PATH}frameable` },
  );
  const textOf = async (name: string) =>
    (await parent
      .frame({ name })
      ?.evaluate(() => document.body?.textContent ?? '')
      .catch(() => '')) ?? '';
  const poll = { timeout: 10_000, interval: 100 };
  await expect
    .poll(() => textOf('control'), { ...poll, message: 'the parent page cannot frame at all' })
    .toContain(CONTROL_MARKER);
  await expect
    .poll(() => parent.frame({ name: 'victim' })?.url() ?? '(no frame)', {
      ...poll,
      message: `${target} was framed`,
    })
    .toMatch(/^chrome-error:/);
  expect(await textOf('victim')).not.toContain(marker);
  await parent.close();
};
