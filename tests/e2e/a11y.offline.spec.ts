import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Cookie, type Page } from '@playwright/test';
import { ChatPage, MemorySettingsPage } from '../pages/chat';

// axe-core on every page a person uses, in both colour schemes and at desktop and phone widths:
// no violation of any impact, WCAG 2.0/2.1/2.2 A and AA and axe's best practices.
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa', 'best-practice'];
const WIDTHS = { desktop: { width: 1280, height: 720 }, phone: { width: 390, height: 844 } } as const;
const SCHEMES = ['light', 'dark'] as const;

/** One node per line: rule, impact, where, and why (axe's failure summary on one line). */
async function axeViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return violations.flatMap((v) =>
    v.nodes.map((node) => {
      const why = (node.failureSummary ?? v.help)
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !/^Fix (any|all) of the following:$/.test(line))
        .join('; ');
      return `${v.id} (${v.impact}) ${node.target.join(' ')}: ${why}`;
    }),
  );
}

/** A guest who has sent one message that taught a few facts: the chat, its conversation and the memory page have content. */
let guestCookies: Cookie[] = [];
let conversationPath = '';

test.beforeAll(async ({ browser }, testInfo) => {
  const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
  const page = await context.newPage();
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask("I'm allergic to peanuts. I live in Lisbon. I play the cello every Sunday.");
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  conversationPath = new URL(page.url()).pathname;
  guestCookies = (await context.storageState()).cookies;
  await context.close();
});

interface Screen {
  name: string;
  /** Opens the page as a guest with that conversation, or as a visitor with no session. */
  asGuest: boolean;
  /** Opens the page and waits for its content; returns the violations of every state checked there. */
  check: (page: Page, width: keyof typeof WIDTHS) => Promise<string[]>;
}

/** The auth form's violations as it opens, and again with the errors a wrong submission brings. */
async function withFormErrors(page: Page, form: { email: string; password: string }, errorTestId: string): Promise<string[]> {
  const found = await axeViolations(page);
  await page.getByTestId('email-input').fill(form.email);
  await page.getByTestId('password-input').fill(form.password);
  await page.getByTestId('auth-submit').click();
  await expect(page.getByTestId(errorTestId)).toBeVisible();
  return [...found, ...(await axeViolations(page)).map((v) => `[with errors] ${v}`)];
}

const SCREENS: Screen[] = [
  {
    name: 'chat',
    asGuest: true,
    check: async (page, width) => {
      await page.goto('/');
      await expect(page.getByTestId('empty-chat')).toBeVisible();
      const found = await axeViolations(page);
      if (width === 'phone') {
        // On a phone the conversations sit in a menu: checked open as well.
        const menu = page.locator('details', { has: page.getByTestId('conversation-list') });
        await menu.locator('> summary').click();
        await expect(menu.getByTestId('conversation-link')).toBeVisible();
        found.push(...(await axeViolations(page)).map((v) => `[menu open] ${v}`));
      }
      return found;
    },
  },
  {
    name: 'conversation',
    asGuest: true,
    check: async (page) => {
      await page.goto(conversationPath);
      await expect(new ChatPage(page).lastAnswer()).toContainText("I'm running offline");
      return axeViolations(page);
    },
  },
  {
    name: 'memory page',
    asGuest: true,
    check: async (page) => {
      const settings = new MemorySettingsPage(page);
      await settings.open();
      await expect(settings.fact('Is allergic to peanuts')).toBeVisible();
      await expect(settings.fact('Lives in Lisbon')).toBeVisible();
      return axeViolations(page);
    },
  },
  {
    name: 'sign-up',
    asGuest: false,
    check: async (page) => {
      await page.goto('/sign-up');
      await expect(page.getByRole('heading', { level: 1, name: 'Create an account' })).toBeVisible();
      return withFormErrors(page, { email: 'not an email', password: 'short' }, 'password-error');
    },
  },
  {
    name: 'sign-in',
    asGuest: false,
    check: async (page) => {
      await page.goto('/sign-in');
      await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
      return withFormErrors(page, { email: 'nobody@example.com', password: 'not the password at all' }, 'form-error');
    },
  },
];

for (const screen of SCREENS) {
  for (const scheme of SCHEMES) {
    for (const width of Object.keys(WIDTHS) as (keyof typeof WIDTHS)[]) {
      test(`axe finds nothing on the ${screen.name}, ${scheme}, ${width}`, async ({ page, context }) => {
        if (screen.asGuest) await context.addCookies(guestCookies);
        await page.setViewportSize(WIDTHS[width]);
        await page.emulateMedia({ colorScheme: scheme });
        expect(await screen.check(page, width)).toEqual([]);
      });
    }
  }
}
