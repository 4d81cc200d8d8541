// `npm run screenshots`: the README's pictures of the chat and the memory page, taken in Chromium
// from a running app (desktop in light, phone in dark), each as a new guest who says a few things.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { parseCommand } from './cli';

const { values, fail } = parseCommand({
  name: 'npm run screenshots',
  summary: `Takes the README's screenshots of the chat and the memory page from a running app (desktop
in light, phone in dark), as a new guest who tells it a few things and asks one question.`,
  options: {
    url: { type: 'string', default: 'http://localhost:3000', value: 'URL', help: 'The running app' },
    out: { type: 'string', default: 'docs/screenshots', value: 'DIR', help: 'Where the PNG files go' },
  },
});

const SAID = ["I'm vegetarian, and I live in Lisbon with my partner Ana.", 'What should I cook tonight?'];
const VIEWS = [
  { name: 'desktop-light', viewport: { width: 1280, height: 800 }, colorScheme: 'light' as const },
  { name: 'phone-dark', viewport: { width: 390, height: 844 }, colorScheme: 'dark' as const },
];

async function shoot(browser: Browser, view: (typeof VIEWS)[number], out: string) {
  const context = await browser.newContext({ viewport: view.viewport, colorScheme: view.colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(values.url!);
  for (const [i, message] of SAID.entries()) {
    await page.getByTestId('message-input').fill(message);
    await page.getByTestId('message-input').press('Enter');
    await page.locator('[data-testid="message-assistant"]:not([data-status="streaming"])').nth(i).waitFor({ timeout: 30_000 });
  }
  // What the first message taught shows under its answer once extraction is done.
  await page.getByTestId('memory-updated').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(out, `chat-${view.name}.png`) });
  await page.goto(new URL('/settings/memory', values.url!).href);
  await page.getByTestId('fact-count').waitFor();
  await page.screenshot({ path: path.join(out, `memory-${view.name}.png`) });
  await context.close();
}

const out = path.resolve(values.out!);
if (!(await fetch(values.url!).then((r) => r.ok, () => false))) fail(`no app answers at ${values.url}`);
mkdirSync(out, { recursive: true });
// The system Chromium where there is one (as playwright.config.ts), Playwright's own elsewhere.
const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const view of VIEWS) await shoot(browser, view, out);
  console.log(`screenshots in ${out}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
