import { expect, test } from '@playwright/test';
import { ChatPage, MemorySettingsPage } from '../pages/chat';

test('with memory off, "Remember that I like tea" is not promised, nothing is learned, and the banner says memory is off', async ({ page }) => {
  const chat = new ChatPage(page);
  const settings = new MemorySettingsPage(page);
  await settings.turnMemoryOffAfterFirstMessage();

  await chat.open();
  await expect(chat.offlineNotice()).toContainText('Memory is off: nothing you say is remembered.');
  await expect(chat.offlineNotice()).not.toContainText('Memory still works');
  await expect(chat.memoryOffNotice()).toBeVisible();
  await chat.ask('Remember that I like tea');
  await expect(chat.lastAnswer()).toContainText("Memory is off, so I don't use anything I know about you and won't remember anything you say here");
  await expect(chat.lastAnswer()).not.toContainText('I will remember');
  await page.waitForTimeout(1500); // time enough for an extraction that must not happen
  await expect(chat.memoryUpdated()).toHaveCount(0);
  await expect(chat.memoryChanged()).toHaveCount(0);
  await settings.open();
  await expect(settings.factTexts()).not.toContainText([/tea/]);
});

test('"Memory updated" lists what was learned and what it replaced, as links to the memory page, and stays after reload', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask('I live in Lisbon.');
  await expect(chat.memoryLearned()).toHaveText(['Lives in Lisbon'], { timeout: 15_000 });
  await expect(chat.announcer()).toHaveText('Memory updated: Lives in Lisbon');
  await chat.ask('I now live in Porto.');
  await expect(chat.memoryLearned()).toHaveText(['Lives in Lisbon', 'Lives in Porto'], { timeout: 15_000 });
  await expect(chat.memoryReplaced()).toHaveText(['Replaces: Lives in Lisbon']);

  await page.reload();
  await expect(chat.memoryUpdated()).toHaveCount(2);
  await expect(chat.memoryLearned()).toHaveText(['Lives in Lisbon', 'Lives in Porto']);
  await expect(chat.memoryReplaced()).toHaveText(['Replaces: Lives in Lisbon']);
  // Asked what it remembers, it answers in words: no ids, no type names.
  await chat.ask('What do you remember about me?');
  await expect(chat.lastAnswer()).toContainText('Lives in Porto');
  await expect(chat.lastAnswer()).not.toContainText('personal_context');
  await expect(chat.lastAnswer()).not.toContainText(/\[[0-9a-f]{8}-/);

  const porto = chat.memoryLearned().last().getByRole('link');
  await expect(porto).toHaveAttribute('href', '/settings/memory?q=Lives%20in%20Porto');
  await porto.click();
  await expect(page).toHaveURL(/\/settings\/memory\?q=Lives%20in%20Porto$/);
  await expect(new MemorySettingsPage(page).fact('Lives in Porto')).toBeVisible();
});

test('a message typed while the first answer settles is kept, and sent, when the sidebar shows the new chat', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask('I live in Lisbon.');
  // Typed at once, as people do, while the turn's memory and title are still being written.
  await chat.input().fill('I have a cat');
  await expect(chat.memoryLearned()).toHaveText(['Lives in Lisbon'], { timeout: 15_000 });
  // The title is written beside the facts; once it shows, the page has caught up with the turn.
  await expect(chat.conversationLinks()).toHaveCount(1);
  await expect(chat.conversationLinks()).not.toHaveText('New chat');
  await expect(chat.input()).toHaveValue('I have a cat');
  await chat.input().press('Enter');
  await expect(chat.userMessages()).toHaveText(['I live in Lisbon.', 'I have a cat']);
  await expect(chat.answers()).toHaveCount(2);
  await expect(chat.lastAnswer()).not.toHaveAttribute('data-status', 'streaming', { timeout: 15_000 });
  await expect(chat.memoryLearned()).toHaveText(['Lives in Lisbon', 'Has a cat'], { timeout: 15_000 });
});

test('the temporary-chat toggle, by keyboard, starts a chat that stores nothing; turned off, a normal chat', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expect(chat.input()).toBeFocused();
  // The Send button is disabled while the box is empty: the next stop is the toggle.
  await page.keyboard.press('Tab');
  await expect(chat.temporaryToggle()).toBeFocused();
  await page.keyboard.press('Space');
  await expect(page).toHaveURL(/\/\?temporary=1$/);
  await expect(chat.temporaryNotice()).toBeVisible();
  await expect(chat.temporaryToggle()).toBeChecked();

  await chat.ask('I live in Madrid and I like tea.');
  await expect(chat.lastAnswer()).toContainText('This is a temporary chat');
  await page.waitForTimeout(1500); // time enough for an extraction that must not happen
  await expect(chat.memoryUpdated()).toHaveCount(0);
  await expect(page).toHaveURL(/\/\?temporary=1$/);

  await page.reload();
  await expect(chat.conversationLinks()).toHaveCount(0);
  await expect(chat.userMessages()).toHaveCount(0);
  const settings = new MemorySettingsPage(page);
  await settings.open();
  await expect(settings.facts()).toHaveCount(0);

  await page.goto('/?temporary=1');
  // A switch to another page: the box is unchecked by the page it leads to.
  await chat.temporaryToggle().click();
  await expect(page).toHaveURL(/\/$/);
  await expect(chat.temporaryNotice()).toHaveCount(0);
  await expect(chat.temporaryToggle()).not.toBeChecked();
});

test.describe('on a phone (390 px)', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('a 3,000-character word wraps; controls are at least 24 px; no id shown; an h1; the menu closes after picking a chat', async ({ page }) => {
    const chat = new ChatPage(page);
    await chat.open();
    await chat.ask('The first chat');
    await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
    const first = page.url();

    await chat.open();
    await chat.ask('x'.repeat(3000));
    await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
    // As stored: the page as the server renders it.
    await page.reload();
    await expect(page.locator('h1')).toHaveCount(1);
    // The offline banner takes two lines at most (text-sm: 20 px a line, 16 px of padding).
    expect((await chat.offlineNotice().boundingBox())!.height).toBeLessThanOrEqual(56);
    await expect(chat.offlineNotice()).toHaveText('Offline: no model writes the replies. Memory still works.', { useInnerText: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    const bubble = await chat.userMessages().last().boundingBox();
    expect(bubble!.x + bubble!.width).toBeLessThanOrEqual(390);

    // The sidebar says who you are in words, never an id.
    await chat.mobileMenu().locator('summary').click();
    await expect(chat.mobileMenu().getByTestId('current-user')).toContainText('Chatting as a guest');
    expect(await page.locator('body').innerText()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);

    const controls = page.locator(
      'main button:visible, main a:visible, main summary:visible, main input:visible, [data-testid=mobile-menu] summary, [data-testid=mobile-menu] [data-testid=new-chat], [data-testid=mobile-menu] [data-testid=conversation-link]',
    );
    for (const control of await controls.all()) {
      const box = await control.boundingBox();
      const name = await control.evaluate((el) => el.outerHTML.slice(0, 80));
      expect(box!.height, name).toBeGreaterThanOrEqual(24);
      expect(box!.width, name).toBeGreaterThanOrEqual(24);
    }

    // The menu closes once a chat is picked.
    await chat.mobileMenu().getByTestId('conversation-link').last().click();
    await expect(page).toHaveURL(first);
    await expect(chat.mobileMenu()).not.toHaveAttribute('open');
    await expect(chat.userMessages()).toHaveText(['The first chat']);
  });
});
