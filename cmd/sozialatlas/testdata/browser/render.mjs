// Opens a page in headless Chromium, waits until the page sets
// window.result, and prints {result, errors} as JSON; saves a screenshot.
// With "click-center" it opens the page at 1366×768, clicks the point
// result.center names, waits for window.atlasProfile and prints it too.
// With "profile=LEVEL/CODE" it opens that area's profile the way another
// view of the page would (window.atlasShowProfile), at 1366×768, and
// prints window.atlasProfile likewise.
// With "axe" it runs axe-core's WCAG 2.1 A/AA rules on the page and
// prints their violations.
// With "press:SELECTOR" it focuses the element and presses Enter, as a
// keyboard user would, waits for the page to set a new window.result and
// prints it as "pressed".
// With "export" it presses the PNG export button, saves the download next
// to the screenshot (NAME-export.png) and prints window.atlasExport. With
// "phone" the page opens in a phone's viewport (390×844, touch) and the
// layout's widths are printed.
// With "select:SELECTOR=VALUE" it chooses VALUE in the select element as a
// user would and waits for the page to set a new window.result.
// With "fill:SELECTOR=VALUE" it types VALUE into the field, leaves it
// with Tab and waits likewise. With "click:SELECTOR" it clicks the element
// and waits for nothing. With "open:SELECTOR" it focuses the element,
// presses Enter and waits for the page to show a new area profile
// (window.atlasProfile), printed as "profile". With "space:SELECTOR" it
// focuses the element, presses Space (ticking a checkbox) and waits for a
// new window.result.
// The page's last window.result is printed as "final", the aria-label of
// every element as "ariaLabels", and the elements marked hidden that a
// style shows nonetheless as "hiddenShown".
// Actions run in the order given, the screenshot after the last.
// Usage: node render.mjs URL SCREENSHOT.png ACTION...
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, shot, ...actions] = process.argv.slice(2);
const click = actions.includes('click-center');
const phone = actions.includes('phone');
const wide = click || actions.some((a) => a.startsWith('profile='));
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
  const page = await browser.newPage(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, acceptDownloads: true } :
    { viewport: wide ? { width: 1366, height: 768 } : { width: 800, height: 600 }, acceptDownloads: true });
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
    let profile, axe, pressed, exported, layout;
    for (const action of actions) {
      if (action === 'axe') {
        // evaluated, not added as a script tag: the service's
        // Content-Security-Policy forbids inline script, and the page is
        // tested under it
        await page.evaluate(readFileSync('node_modules/axe-core/axe.min.js', 'utf8'));
        // each run adds its violations: a page checked before and after a press
        axe = (axe || []).concat(await page.evaluate(async () => {
          const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
        }));
      } else if (action === 'click-center') {
        await page.mouse.click(result.center.x, result.center.y);
        await page.waitForFunction(() => window.atlasProfile !== undefined, null, { timeout: 60000 });
        profile = await page.evaluate(() => window.atlasProfile);
      } else if (action.startsWith('profile=')) {
        const [level, code] = action.slice('profile='.length).split('/');
        await page.evaluate(([l, c]) => window.atlasShowProfile(c, l), [level, code]);
        profile = await page.evaluate(() => window.atlasProfile);
      } else if (action.startsWith('select:')) {
        const [selector, value] = action.slice('select:'.length).split('=');
        const before = await page.evaluateHandle(() => window.result);
        await page.selectOption(selector, value);
        await page.waitForFunction((old) => window.result !== old, before, { timeout: 60000 });
      } else if (action.startsWith('fill:')) {
        const [selector, value] = action.slice('fill:'.length).split('=');
        const before = await page.evaluateHandle(() => window.result);
        await page.fill(selector, value);
        await page.press(selector, 'Tab');
        await page.waitForFunction((old) => window.result !== old, before, { timeout: 60000 });
      } else if (action.startsWith('click:')) {
        await page.click(action.slice('click:'.length));
      } else if (action.startsWith('open:')) {
        const before = await page.evaluateHandle(() => window.atlasProfile);
        await page.focus(action.slice('open:'.length));
        await page.keyboard.press('Enter');
        await page.waitForFunction((old) => window.atlasProfile !== undefined && window.atlasProfile !== old, before, { timeout: 60000 });
        profile = await page.evaluate(() => window.atlasProfile);
      } else if (action.startsWith('press:')) {
        const before = await page.evaluateHandle(() => window.result);
        await page.focus(action.slice('press:'.length));
        await page.keyboard.press('Enter');
        await page.waitForFunction((old) => window.result !== old, before, { timeout: 60000 });
        pressed = await page.evaluate(() => window.result);
      } else if (action.startsWith('space:')) {
        // a checkbox, ticked from the keyboard
        const before = await page.evaluateHandle(() => window.result);
        await page.focus(action.slice('space:'.length));
        await page.keyboard.press('Space');
        await page.waitForFunction((old) => window.result !== old, before, { timeout: 60000 });
      } else if (action === 'phone') {
        layout = await page.evaluate(() => {
          const box = (id) => { const r = document.getElementById(id).getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
          return { innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, map: box('map'), controls: box('controls') };
        });
      } else if (action === 'export') {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
        await download.saveAs(shot.replace(/\.png$/, '-export.png'));
        exported = await page.evaluate(() => window.atlasExport);
      } else {
        throw new Error(`unknown action ${action}`);
      }
    }
    await page.screenshot({ path: shot });
    const final = await page.evaluate(() => window.result);
    // the text alternatives a screen reader announces
    const ariaLabels = await page.evaluate(() => [...document.querySelectorAll('[aria-label]')].map((e) => e.getAttribute('aria-label')));
    // elements marked hidden that a style rule shows all the same
    const hiddenShown = await page.evaluate(() => [...document.querySelectorAll('[hidden]')]
      .filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.id || e.tagName));
    console.log(JSON.stringify({ result, final, profile, axe, pressed, exported, layout, ariaLabels, hiddenShown, errors }));
  }
} finally {
  await browser.close();
}
