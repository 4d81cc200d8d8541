import { expect, test } from '@playwright/test';
import { AuthPage, ChatPage } from '../pages/chat';

const password = 'a long and unusual passphrase';
const uniqueEmail = () => `visitor-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

test('a guest signs up and keeps the conversation and the memory; signs out and back in', async ({ page }) => {
  const chat = new ChatPage(page);
  const auth = new AuthPage(page);
  const email = uniqueEmail();

  await chat.open();
  await chat.ask("I'm allergic to peanuts.");
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });

  await page.getByTestId('sign-up-link').last().click();
  await auth.submit(email, password);
  await expect(page).toHaveURL(/\/$/);
  await expect(chat.currentUser()).toContainText(`Signed in as ${email}`);
  await expect(chat.conversationLinks()).toHaveCount(1);

  // The memory came along: a new chat finds it.
  await chat.ask('Can you suggest a snack without peanuts?');
  await expect(chat.lastAnswer()).toContainText('Is allergic to peanuts');

  await page.getByTestId('sign-out').last().click();
  await expect(page.getByTestId('current-user')).toHaveCount(0);
  await expect(chat.conversationLinks()).toHaveCount(0);
  // A new visitor on this browser remembers nothing of it.
  await chat.ask('Can you suggest a snack without peanuts?');
  await expect(chat.lastAnswer()).toContainText("I don't remember anything relevant");

  await auth.signIn(email, password);
  await expect(page).toHaveURL(/\/$/);
  await expect(chat.currentUser()).toContainText(`Signed in as ${email}`);
  // Both of the account's conversations, and the second guest's one merged in on sign-in.
  await expect(chat.conversationLinks()).toHaveCount(3);
});

test('sign-up and sign-in say what is wrong', async ({ page }) => {
  const auth = new AuthPage(page);
  const email = uniqueEmail();
  await auth.signUp(email, 'short');
  await expect(page.getByTestId('password-error')).toHaveText('Use at least 10 characters.');
  await auth.submit(email, password);
  await expect(page).toHaveURL(/\/$/);
  await page.getByTestId('sign-out').last().click();
  // Signed out for good before the next form: a signed-in browser is shown no sign-up form.
  await expect(page.getByTestId('current-user')).toHaveCount(0);

  await auth.signUp(email.toUpperCase(), password);
  await expect(page.getByTestId('email-error')).toHaveText('An account with this email already exists. Sign in instead.');
  await auth.signIn(email, 'not the password');
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
});
