import { expect, test } from '@playwright/test';
import { ChatPage } from '../pages/chat';

test('with no keys, the offline providers remember and say they are offline', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expect(chat.offlineNotice()).toBeVisible();

  await chat.ask("Hi! I'm allergic to peanuts and I live in Lisbon.");
  await expect(chat.lastAnswer()).toContainText("I'm running offline");
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });

  await chat.newChat();
  await chat.ask('Can you suggest a snack without peanuts?');
  await expect(chat.lastAnswer()).toContainText('Is allergic to peanuts');
  await chat.memoriesUsed().click();
  await expect(chat.memoriesUsed()).toContainText('Is allergic to peanuts');
});
