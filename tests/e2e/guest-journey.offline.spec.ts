import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { ChatPage } from '../pages/chat';

// The deployer's journey, on whichever engine the suite runs on (E2E_ENGINE): on PostgreSQL the
// app is a plain role, so every step below also passes row-level security. Driven by what a
// person sees: the "Message…" box, the "Email" and "Password" fields, links by their names.

const password = 'a long and unusual passphrase';
const uniqueEmail = () => `deployer-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const PEANUTS = "I'm allergic to peanuts.";
const CELLO = 'I play the cello every Sunday.';

interface Export {
  account: { email: string | null; isGuest: boolean };
  conversations: { id: string; turns: { role: string; content: string }[] }[];
  facts: { text: string }[];
}

/** Types into the message box, sends with Enter, and waits for the whole answer. */
async function say(page: Page, message: string) {
  const chat = new ChatPage(page);
  const answered = await chat.answers().count();
  const box = page.getByPlaceholder(/^Message/);
  await box.fill(message);
  await box.press('Enter');
  await expect(chat.userMessages().getByText(message, { exact: true })).toBeVisible();
  // The text leaves the box once the server has stored the message.
  await expect(box).toHaveValue('');
  // The answer, finished, or an error shown in the page (Next's route announcer is an empty alert).
  const alert = page.locator('main [role=alert]').filter({ hasText: /\S/ });
  const finished = page.locator('[data-testid="message-assistant"]:not([data-status="streaming"])').nth(answered);
  await expect(alert.or(finished).first()).toBeVisible({ timeout: 15_000 });
  if (await alert.count()) throw new Error(`The page shows an error after "${message}": ${await alert.first().innerText()}`);
  await expect(chat.answers()).toHaveCount(answered + 1);
  await expect(chat.lastAnswer()).toContainText("I'm running offline");
}

/** "Download all my data (JSON)" on the memory page, read as the file a person gets. */
async function downloadExport(page: Page): Promise<Export> {
  await page.goto('/settings/memory');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download all my data (JSON)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^engram-data-\d{4}-\d{2}-\d{2}\.json$/);
  return JSON.parse(await readFile((await download.path())!, 'utf8')) as Export;
}

const contents = (data: Export) => data.conversations.map((c) => c.turns.filter((t) => t.role === 'user').map((t) => t.content));

test('a guest chats in two conversations, reads and exports them, signs up and keeps both and the memory', async ({ page }) => {
  const chat = new ChatPage(page);
  const sidebar = chat.conversationLinks();
  const email = uniqueEmail();

  // Two messages in two conversations, as a guest.
  await page.goto('/');
  await say(page, PEANUTS);
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  const peanutsUrl = page.url();
  await page.getByRole('link', { name: '+ New chat' }).click();
  await expect(page).toHaveURL(/\/$/);
  await say(page, CELLO);
  await expect(sidebar).toHaveCount(2);

  // The guest's own conversation page, loaded afresh from the server.
  const opened = await page.goto(peanutsUrl);
  expect(opened?.status()).toBe(200);
  await expect(page.getByText(PEANUTS, { exact: true })).toBeVisible();
  await expect(chat.lastAnswer()).toContainText("I'm running offline");

  // The guest's data, downloaded.
  const asGuest = await downloadExport(page);
  expect(asGuest.account.isGuest).toBe(true);
  expect(contents(asGuest)).toEqual(expect.arrayContaining([[PEANUTS], [CELLO]]));
  expect(asGuest.conversations).toHaveLength(2);

  // Signing up keeps all of it.
  await page.goto('/sign-up');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText(`Signed in as ${email}`).last()).toBeVisible();
  await expect(sidebar).toHaveCount(2);
  await expect(sidebar.filter({ hasText: /peanuts/i })).toHaveCount(1);
  await expect(sidebar.filter({ hasText: /cello/i })).toHaveCount(1);

  const reopened = await page.goto(peanutsUrl);
  expect(reopened?.status()).toBe(200);
  await expect(page.getByText(PEANUTS, { exact: true })).toBeVisible();

  await page.goto('/settings/memory');
  await expect(page.getByRole('main').getByText(/allergic to peanuts/i).first()).toBeVisible();

  const asAccount = await downloadExport(page);
  expect(asAccount.account).toMatchObject({ email, isGuest: false });
  expect(asAccount.conversations).toHaveLength(2);
  expect(contents(asAccount)).toEqual(expect.arrayContaining([[PEANUTS], [CELLO]]));
  expect(asAccount.facts.map((f) => f.text)).toEqual(expect.arrayContaining([expect.stringMatching(/allergic to peanuts/i)]));
});
