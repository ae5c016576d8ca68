import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's headless Chromium through playwright-core (no browser download: this machine has no
 * network). `CHROMIUM_PATH` overrides the binary. Background networking is off: on a closed
 * network Chromium's own connections would be refused and slow everything down.
 */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
