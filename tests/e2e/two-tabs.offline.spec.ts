import { expect, test, type Page } from '@playwright/test';
import { AuthMessages } from '../pages/auth-messages';
import { AuthPage, ChatPage } from '../pages/chat';

const password = 'a long and unusual passphrase';
const uniqueEmail = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** A guest on `page` who said something Engram remembered. */
async function guestChats(page: Page) {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask("I'm allergic to peanuts.");
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
}

/** The first tab signs up and takes the guest's conversation. */
async function firstTabSignsUp(page: Page, email: string) {
  await new AuthPage(page).submit(email, password);
  await expect(page).toHaveURL(/\/$/);
  const chat = new ChatPage(page);
  await expect(chat.currentUser()).toContainText(`Signed in as ${email}`);
  await expect(chat.conversationLinks()).toHaveCount(1);
}

test('a guest signs up in two tabs: the second is told where the chats went, and no empty account is signed in', async ({ context }) => {
  const first = await context.newPage();
  const second = await context.newPage();
  const [ada, bob] = [uniqueEmail('ada'), uniqueEmail('bob')];

  await guestChats(first);
  await first.goto('/sign-up');
  await second.goto('/sign-up');
  await firstTabSignsUp(first, ada);

  // The second tab's form posts with the cookie the first tab's sign-up set.
  await new AuthPage(second).submit(bob, password);
  const said = new AuthMessages(second);
  await expect(said.formError()).toHaveText(
    'Your guest chats and memories moved to a…@example.com in another tab, and this browser is signed in there now. ' +
      'No new account was created: to create another, sign out first.',
  );
  await expect(second).toHaveURL(/\/sign-up$/);
  await said.formLink().click();
  await expect(second).toHaveURL(/\/$/);
  const secondChat = new ChatPage(second);
  await expect(secondChat.currentUser()).toContainText(`Signed in as ${ada}`);
  await expect(secondChat.conversationLinks()).toHaveCount(1);

  // The first tab was not switched to another account either.
  await first.reload();
  await expect(new ChatPage(first).currentUser()).toContainText(`Signed in as ${ada}`);
  // And there is no account for the second email.
  await new AuthPage(second).signIn(bob, password);
  await expect(said.formError()).toHaveText('Wrong email or password.');
});

test('a second tab whose request still carries the guest’s cookie is sent to sign in where the chats went', async ({ context, browser }) => {
  const first = await context.newPage();
  const [ada, bob] = [uniqueEmail('ada'), uniqueEmail('bob')];
  await guestChats(first);
  await first.goto('/sign-up');

  // A tab that still holds the guest's cookie: its request left before the first tab's sign-up
  // replaced the cookie. A context of its own, with a copy of the guest's cookie, holds it back.
  const late = await browser.newContext({ storageState: await context.storageState() });
  const second = await late.newPage();
  await second.goto('/sign-up');
  await firstTabSignsUp(first, ada);

  await new AuthPage(second).submit(bob, password);
  const said = new AuthMessages(second);
  await expect(said.formError()).toHaveText(
    'Your guest chats and memories moved to a…@example.com in another tab. No new account was created: sign in there to see them.',
  );
  await said.formLink().click();
  await expect(second).toHaveURL(/\/sign-in$/);
  await expect(said.notice()).toHaveText('Your guest chats and memories moved to a…@example.com. Sign in there to see them.');

  // Arriving on sign-up again, the tab is told before typing anything.
  await second.goto('/sign-up');
  await expect(said.notice()).toContainText('moved to a…@example.com in another tab');
  await expect(second.getByTestId('auth-submit')).toHaveCount(0);

  await said.noticeLink().click();
  await new AuthPage(second).submit(ada, password);
  await expect(second).toHaveURL(/\/$/);
  await expect(new ChatPage(second).currentUser()).toContainText(`Signed in as ${ada}`);
  await expect(new ChatPage(second).conversationLinks()).toHaveCount(1);
  await late.close();
});

test('signing in to another account in the second tab warns that the chats stay behind, then goes ahead', async ({ context, browser }) => {
  const carol = uniqueEmail('carol');
  // An account of the same person, made earlier on another browser.
  const elsewhere = await browser.newContext();
  const earlier = await elsewhere.newPage();
  await new AuthPage(earlier).signUp(carol, password);
  await expect(earlier).toHaveURL(/\/$/);
  await elsewhere.close();

  const first = await context.newPage();
  const second = await context.newPage();
  const ada = uniqueEmail('ada');
  await guestChats(first);
  await first.goto('/sign-up');
  await second.goto('/sign-in');
  await firstTabSignsUp(first, ada);

  const auth = new AuthPage(second);
  await auth.submit(carol, password);
  const said = new AuthMessages(second);
  await expect(said.formError()).toHaveText(
    `This browser is signed in as a…@example.com, which holds your guest chats and memories; they won't come to ${carol}. ` +
      `Enter your password again to switch to ${carol} anyway.`,
  );
  await expect(said.formLink()).toHaveText('Stay signed in as a…@example.com');

  await auth.submit(carol, password);
  await expect(second).toHaveURL(/\/$/);
  await expect(new ChatPage(second).currentUser()).toContainText(`Signed in as ${carol}`);
  await expect(new ChatPage(second).conversationLinks()).toHaveCount(0);
});
