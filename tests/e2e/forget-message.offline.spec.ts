import { expect, test } from '@playwright/test';
import { ChatPage, MemorySettingsPage } from '../pages/chat';

test('"Don\'t remember this" forgets what a message taught, and a new chat no longer recalls it', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask("I'm allergic to peanuts.");
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });

  await page.getByRole('button', { name: "Don't remember this" }).click();
  await expect(page.getByTestId('message-forgotten')).toHaveText('Not remembered');

  const settings = new MemorySettingsPage(page);
  await settings.open();
  await expect(settings.factTexts()).toHaveCount(0);

  await chat.open();
  await chat.ask('Can you suggest a snack?');
  await expect(chat.lastAnswer()).not.toContainText('peanut');
});
