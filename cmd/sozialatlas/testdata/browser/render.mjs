// Opens a page in headless Chromium, waits until the page sets
// window.result, and prints {result, errors} as JSON; saves a screenshot.
// With "click-center" it opens the page at 1366×768, clicks the point
// result.center names, waits for window.atlasProfile and prints it too.
// With "profile=LEVEL/CODE" it opens that area's profile the way another
// view of the page would (window.atlasShowProfile), at 1366×768, and
// prints window.atlasProfile likewise.
// With "axe" it runs axe-core's WCAG 2.1 A/AA rules on the page, after
// opening a profile when asked to, and prints their violations.
// Usage: node render.mjs URL SCREENSHOT.png [ACTION[,ACTION]], ACTION one of
// click-center, profile=LEVEL/CODE, axe
import { chromium } from 'playwright-core';

const [url, shot, action] = process.argv.slice(2);
const actions = (action || '').split(',');
const click = actions.includes('click-center');
const open = actions.filter((a) => a.startsWith('profile=')).map((a) => a.slice('profile='.length).split('/'))[0];
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
  const page = await browser.newPage({ viewport: click || open ? { width: 1366, height: 768 } : { width: 800, height: 600 } });
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
    let profile, axe;
    if (click) {
      await page.mouse.click(result.center.x, result.center.y);
      await page.waitForFunction(() => window.atlasProfile !== undefined, null, { timeout: 60000 });
      profile = await page.evaluate(() => window.atlasProfile);
    }
    if (open) {
      const [level, code] = open;
      await page.evaluate(([l, c]) => window.atlasShowProfile(c, l), [level, code]);
      profile = await page.evaluate(() => window.atlasProfile);
    }
    if (actions.includes('axe')) {
      await page.addScriptTag({ path: 'node_modules/axe-core/axe.min.js' });
      axe = await page.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
      });
    }
    await page.screenshot({ path: shot });
    console.log(JSON.stringify({ result, profile, axe, errors }));
  }
} finally {
  await browser.close();
}
