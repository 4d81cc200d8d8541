import { expect, test, type Page } from '@playwright/test';
import { systemPromptOf } from '../fakes/vendor-server';
import { ChatPage, MemorySettingsPage } from '../pages/chat';
import { fakeVendor } from '../pages/fake-vendor';

test.beforeEach(() => fakeVendor.reset());

/** After any action, focus is somewhere a keyboard user can go on from, never lost to <body>. */
const expectFocusNotOnBody = async (page: Page) => expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');

test('keyboard only: the composer is focused on load with a visible ring; Enter sends, Stop and Retry by keyboard give focus back to it', async ({
  page,
}) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 300 });
  await chat.open();
  await expect(chat.input()).toBeFocused();
  // The ring is drawn around the box while the text area has focus.
  const ring = await chat.input().evaluate((input) => getComputedStyle(input.closest('form')!).boxShadow);
  expect(ring).not.toBe('none');

  await page.keyboard.type('Count slowly to twelve');
  await page.keyboard.press('Enter');
  await expect(chat.lastAnswer()).toContainText('two');
  await expect(chat.input()).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(chat.stopButton()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(chat.lastAnswer()).toHaveAttribute('data-status', 'interrupted');
  await expect(chat.input()).toBeFocused();

  // Retry is just before the composer.
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'One to twelve, done.' });
  await page.keyboard.press('Shift+Tab');
  await expect(chat.retryButton()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(chat.lastAnswer()).toHaveText('One to twelve, done.');
  await expect(chat.input()).toBeFocused();
  await expectFocusNotOnBody(page);
});

test('sending with the mouse or stopping with it leaves focus in the composer, not on <body>', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'a b c d e f g h i j k l m n o p', chunkDelayMs: 300 });
  await chat.open();
  await chat.input().fill('Say the alphabet slowly');
  await chat.sendButton().click();
  await expect(chat.lastAnswer()).toContainText('b');
  await expectFocusNotOnBody(page);
  await chat.stopButton().click();
  await expect(chat.lastAnswer()).toHaveAttribute('data-status', 'interrupted');
  await expect(chat.input()).toBeFocused();
});

test('a failed answer is announced as an alert, and Retry by keyboard keeps focus', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({ match: { forcedTool: 'none' }, status: 529, errorMessage: 'Overloaded' });
  await chat.open();
  await chat.ask('What is the tallest mountain?');
  await expect(chat.turnError()).toHaveText('The model provider is overloaded. Try again in a moment.');
  await expect(chat.turnError()).toHaveAttribute('role', 'alert');
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'Mount Everest.' });
  await chat.retryButton().focus();
  await page.keyboard.press('Enter');
  await expect(chat.lastAnswer()).toHaveText('Mount Everest.');
  await expect(chat.input()).toBeFocused();
});

test('with memory off, the model is told that memory is off and nothing will be remembered', async ({ page }) => {
  const chat = new ChatPage(page);
  const settings = new MemorySettingsPage(page);
  await settings.turnMemoryOffAfterFirstMessage();

  await fakeVendor.reset();
  await chat.open();
  await expect(chat.memoryOffNotice()).toContainText('nothing you say here will be remembered');
  await chat.ask('Remember that I like tea');
  const request = (await fakeVendor.requests()).find((r) => r.api === 'anthropic' && r.stream)!;
  expect(systemPromptOf(request.body)).toContain('Memory is off');
  expect(systemPromptOf(request.body)).toContain('never say you will remember it');
});
