// Starts Debian's Chromium (/usr/bin/chromium, the `chromium` package) headless
// through playwright-core, for the tests that drive a real browser.
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches a headless Chromium; close it with browser.close(). */
export function launchChromium() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}
