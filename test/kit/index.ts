import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { test as base } from 'vitest';
import { defaultPlugins } from '../../infra/local/default-plugins.js';
import {
  type LocalGateway,
  type LocalGatewayOptions,
  startLocalGateway,
} from '../../infra/local/gateway.js';
import { type DynamoDbFixture, startTables } from '../support/dynamodb.js';
import { launchChromium } from './browser.js';
import { createTestKeyPair, type TestKeyPair, type TestKeyPairOptions } from './keys.js';

export { launchChromium } from './browser.js';
export { createTestKeyPair, type TestKeyPair, type TestKeyPairOptions } from './keys.js';

/** The demo config `npm start` serves: the `gateway` fixture's default. */
export const DEMO_CONFIG = 'infra/local/demo-config.yaml';

/** Named keys made once per file: `await keys('okta')` twice is the same pair. */
export type KeyRing = (name: string, opts?: TestKeyPairOptions) => Promise<TestKeyPair>;

/**
 * fedgate's test fixtures (vitest `test.extend`; test/README.md says which to use for what). A
 * fixture is set up only for the files and tests that name it:
 *
 * - `keys` (per file): {@link KeyRing}, RSA keys with self-signed certificates, by name.
 * - `tables` (per file): DynamoDB Local on loopback with fedgate's two tables.
 * - `gateway` (per file): the local runner `npm start` runs, with the demo config and the demo
 *   IdPs, OP, SPA and AWS stand-ins; `gatewayOptions` changes what it is started with.
 * - `browser` (per file): Debian's headless Chromium through playwright-core.
 * - `context`, `page` (per test): a fresh browser profile (cookie jar) and a tab in it, closed
 *   after the test; `contextOptions` sets the profile's viewport, locale, colour scheme.
 *
 * Override a fixture for a file or a `describe` with `test.override('gatewayOptions', {...})`.
 * @example
 * import { expect, test } from '../kit/index.js';
 * test('home lists the IdPs', async ({ gateway, page }) => {
 *   await page.goto(gateway.url.href);
 *   expect(await page.locator('h1').textContent()).toBe('Sign in to AWS');
 * });
 */
export const test = base
  .extend('keys', { scope: 'file' }, (): KeyRing => {
    const made = new Map<string, Promise<TestKeyPair>>();
    return (name, opts = {}) => {
      const id = JSON.stringify([name, opts.modulusLength, opts.validDays]);
      let pair = made.get(id);
      if (!pair) {
        pair = createTestKeyPair(name, opts);
        made.set(id, pair);
      }
      return pair;
    };
  })
  .extend(
    'tables',
    { scope: 'file' },
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
    async ({}, { onCleanup }): Promise<DynamoDbFixture> => {
      const tables = await startTables();
      onCleanup(() => tables.stop());
      return tables;
    },
  )
  .extend('gatewayOptions', { scope: 'file' }, {} as Partial<LocalGatewayOptions>)
  .extend(
    'gateway',
    { scope: 'file' },
    async ({ gatewayOptions }, { onCleanup }): Promise<LocalGateway> => {
      const gateway = await startLocalGateway({
        port: 0,
        configPath: DEMO_CONFIG,
        plugins: defaultPlugins(),
        ...gatewayOptions,
      });
      onCleanup(() => gateway.stop());
      return gateway;
    },
  )
  .extend(
    'browser',
    { scope: 'file' },
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
    async ({}, { onCleanup }): Promise<Browser> => {
      const browser = await launchChromium();
      onCleanup(() => browser.close());
      return browser;
    },
  )
  .extend('contextOptions', {} as BrowserContextOptions)
  .extend(
    'context',
    async ({ browser, contextOptions }, { onCleanup }): Promise<BrowserContext> => {
      const context = await browser.newContext(contextOptions);
      onCleanup(() => context.close());
      return context;
    },
  )
  .extend('page', async ({ context }): Promise<Page> => context.newPage());

export const it = test;
export { describe, expect } from 'vitest';
export {
  ATTACKER_ORIGIN,
  expectFramingRefused,
  type FramingAttempt,
  openParentPage,
} from './framing.js';
