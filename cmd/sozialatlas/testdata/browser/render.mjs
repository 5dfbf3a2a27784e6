// Opens a page in headless Chromium, waits until the page sets
// window.result, and prints {result, errors} as JSON; saves a screenshot.
// With "click-center" it opens the page at 1366×768, clicks the point
// result.center names, waits for window.atlasProfile and prints it too.
// Usage: node render.mjs URL SCREENSHOT.png [click-center]
import { chromium } from 'playwright-core';

const [url, shot, action] = process.argv.slice(2);
const click = action === 'click-center';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    // WebGL without a GPU: SwiftShader
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
  ],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: click ? { width: 1366, height: 768 } : { width: 800, height: 600 } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: Number(process.env.TIMEOUT_MS || 60000) });
  } catch (e) {
    // what the page said explains more than the timeout
    console.log(JSON.stringify({ result: null, errors: [...errors, e.message] }));
    process.exitCode = 1;
  }
  if (!process.exitCode) {
    const result = await page.evaluate(() => window.result);
    let profile;
    if (click) {
      await page.mouse.click(result.center.x, result.center.y);
      await page.waitForFunction(() => window.atlasProfile !== undefined, null, { timeout: 60000 });
      profile = await page.evaluate(() => window.atlasProfile);
    }
    await page.screenshot({ path: shot });
    console.log(JSON.stringify({ result, profile, errors }));
  }
} finally {
  await browser.close();
}
