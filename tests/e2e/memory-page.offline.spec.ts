import { expect, test } from '@playwright/test';
import { ChatPage, MemorySettingsPage } from '../pages/chat';

// The offline project embeds with the packaged sentence encoder: search by meaning, for real.
test('search by meaning: "food" finds "Is vegetarian", though they share no word', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask('I am vegetarian.');
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
  await chat.open();
  await chat.ask('I am learning Japanese.');
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });

  const settings = new MemorySettingsPage(page);
  await settings.open();
  await page.getByTestId('memory-search').fill('food');
  await page.getByTestId('memory-search').press('Enter');
  await expect(page).toHaveURL(/q=food/);
  await expect(settings.factTexts()).toContainText(['Is vegetarian']);
  await expect(page.getByTestId('memories-heading')).toHaveText('Memories matching “food”');
});
