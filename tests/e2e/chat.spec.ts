import { expect, test } from '@playwright/test';
import { systemPromptOf } from '../fakes/vendor-server';
import { ChatPage } from '../pages/chat';
import { fakeVendor } from '../pages/fake-vendor';

test.beforeEach(() => fakeVendor.reset());

const chatRequests = async () => (await fakeVendor.requests()).filter((r) => r.api === 'anthropic' && r.stream);

test('a page view creates no user; the first message makes the visitor a guest', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await expect(page.getByTestId('current-user')).toHaveCount(0);
  await expect(chat.engine()).toHaveText(process.env.E2E_ENGINE === 'postgres' ? 'PostgreSQL' : 'the embedded database (PGlite)');

  await chat.ask('Hello there');
  await expect(chat.lastAnswer()).toContainText('This is the fake vendor speaking.');
  await page.reload();
  await expect(chat.currentUser()).toContainText('Chatting as a guest');
  // Who you are in words, never an id.
  await expect(chat.currentUser()).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-/);
});

test('a fact learned in one chat is in the system prompt of the next', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script(
    { match: { forcedTool: 'none' }, text: 'Noted: **vegetarian** recipes only, from now on.' },
    {
      match: { forcedTool: 'record_facts' },
      toolCalls: [
        {
          name: 'record_facts',
          input: { facts: [{ fact_type: 'constraint', fact_text: 'Is vegetarian', confidence: 0.95, supersedes: [] }] },
        },
      ],
    },
    { match: { forcedTool: 'write_title' }, toolCalls: [{ name: 'write_title', input: { title: 'Vegetarian cooking' } }] },
  );
  await chat.open();
  await chat.ask("I'm vegetarian, so please keep that in mind for recipes.");
  // Streamed Markdown, rendered: the bold part is an element, not asterisks.
  await expect(chat.lastAnswer().locator('strong')).toHaveText('vegetarian');
  await expect(chat.memoryUpdated()).toBeVisible({ timeout: 15_000 });
  await expect(chat.memoryUpdatedLink()).toHaveAttribute('href', '/settings/memory');
  await expect(chat.memoryLearned()).toHaveText(['Is vegetarian']);
  await expect(chat.conversationLinks().first()).toHaveText('Vegetarian cooking');

  await chat.newChat();
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'How about a mushroom risotto?' });
  await chat.ask('Suggest vegetarian recipes for dinner tonight');
  await expect(chat.lastAnswer()).toContainText('How about a mushroom risotto?');
  await expect(chat.userMessages()).toHaveCount(1);

  const requests = await chatRequests();
  const system = systemPromptOf(requests.at(-1)!.body);
  expect(system).toContain('"Is vegetarian"');
  // A new conversation: no turns of the first one are sent.
  expect(JSON.stringify(requests.at(-1)!.body.messages)).not.toContain('keep that in mind');
  await chat.memoriesUsed().click();
  await expect(chat.memoriesUsed()).toContainText('Is vegetarian');
});

test('Stop keeps what was written, stored as interrupted', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({
    match: { forcedTool: 'none' },
    text: 'one two three four five six seven eight nine ten eleven twelve',
    chunkDelayMs: 300,
  });
  await chat.open();
  await chat.send('Count slowly to twelve');
  await expect(chat.lastAnswer()).toContainText('two');
  await chat.stopButton().click();
  await expect(chat.lastAnswer()).toHaveAttribute('data-status', 'interrupted');
  await expect(chat.lastAnswer()).toContainText('Stopped before the end.');
  await expect(chat.sendButton()).toBeVisible();

  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  await page.reload();
  await expect(chat.lastAnswer()).toHaveAttribute('data-status', 'interrupted');
  await expect(chat.lastAnswer()).toContainText('one two');
  await expect(chat.lastAnswer()).not.toContainText('twelve');

  // An interrupted answer can be asked for again; the new one replaces it.
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'One to twelve, done.' });
  await chat.retryButton().click();
  await expect(chat.lastAnswer()).toHaveText('One to twelve, done.');
  await page.reload();
  await expect(chat.answers()).toHaveText(['One to twelve, done.']);
});

test('a message refused while the previous answer streams stays in the box, with the reason', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'A long and slow answer that takes its time', chunkDelayMs: 400 });
  await chat.open();
  await chat.send('Tell me a slow story');
  await expect(chat.lastAnswer()).toContainText('A long');
  // A second tab of the same conversation sends while this answer is still being written.
  const other = await page.context().newPage();
  await other.goto(page.url());
  const second = new ChatPage(other);
  await second.input().fill('And another thing');
  await second.input().press('Enter');
  await expect(second.composerError()).toContainText('still answering your previous message');
  await expect(second.input()).toHaveValue('And another thing');
  await expect(second.userMessages()).toHaveText(['Tell me a slow story']);
  await other.close();
});

test('a vendor error keeps the message and offers Retry', async ({ page }) => {
  const chat = new ChatPage(page);
  await fakeVendor.script({ match: { forcedTool: 'none' }, status: 529, errorMessage: 'Overloaded' });
  await chat.open();
  await chat.ask('What is the tallest mountain?');
  await expect(chat.turnError()).toHaveText('The model provider is overloaded. Try again in a moment.');

  // Nothing typed is lost: the message is stored.
  await page.reload();
  await expect(chat.userMessages()).toHaveText(['What is the tallest mountain?']);
  await expect(chat.turnError()).toBeVisible();

  await fakeVendor.script({ match: { forcedTool: 'none' }, text: 'Mount Everest.' });
  await chat.retryButton().click();
  await expect(chat.lastAnswer()).toHaveText('Mount Everest.');
  await expect(chat.turnError()).toHaveCount(0);
  await page.reload();
  await expect(chat.answers()).toHaveText(['Mount Everest.']);
});

test('an empty or too long message is not sent', async ({ page }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.input().press('Enter');
  await expect(chat.sendButton()).toBeDisabled();

  await chat.input().fill('x'.repeat(8001));
  await chat.input().press('Enter');
  await expect(chat.composerError()).toContainText('the limit is 8,000');
  await expect(chat.userMessages()).toHaveCount(0);
  await expect(chat.input()).toHaveValue('x'.repeat(8001));
  expect(await fakeVendor.requests()).toEqual([]);

  // Shift+Enter breaks the line instead of sending.
  await chat.input().fill('first line');
  await chat.input().press('Shift+Enter');
  await chat.input().pressSequentially('second line');
  await expect(chat.input()).toHaveValue('first line\nsecond line');
  await expect(chat.userMessages()).toHaveCount(0);
});

test("another user's conversation is not found", async ({ page, browser }) => {
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask('My secret plan');
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/);
  const url = page.url();

  const other = await browser.newContext();
  const stranger = await other.newPage();
  await stranger.goto('/');
  await new ChatPage(stranger).ask('hi');
  const response = await stranger.goto(url);
  expect(response?.status()).toBe(404);
  const post = await stranger.request.post('/api/chat', {
    data: { conversationId: url.split('/').pop(), message: 'let me in' },
  });
  expect(post.status()).toBe(404);

  // What a turn taught Engram is the owner's too: the owner sees it, the stranger gets 404.
  const owned = await page.request.post('/api/chat', { data: { message: 'I live in Oslo' } });
  const start = JSON.parse((await owned.text()).split('\n')[0]!) as { userTurnId: number };
  expect((await page.request.get(`/api/chat/turns/${start.userTurnId}/memory`)).status()).toBe(200);
  expect((await stranger.request.get(`/api/chat/turns/${start.userTurnId}/memory`)).status()).toBe(404);
  await other.close();
});
