import { expect, test } from '@playwright/test';
import { systemPromptOf } from '../fakes/vendor-server';
import { ChatPage, MemorySettingsPage } from '../pages/chat';
import { fakeVendor } from '../pages/fake-vendor';
import { teachFacts } from '../pages/memory-page';

test.beforeEach(() => fakeVendor.reset());

test('review, search, edit, delete with Undo, history, and delete all', async ({ page }) => {
  await teachFacts(page, 'I live in Paris and I play the cello.', [
    { fact_type: 'personal_context', fact_text: 'Lives in Paris' },
    { fact_type: 'preference', fact_text: 'Plays the cello' },
  ]);
  await teachFacts(page, 'I moved from Paris to Berlin.', [{ fact_type: 'personal_context', fact_text: 'Lives in Berlin', supersedes: ['F1'] }]);

  const settings = new MemorySettingsPage(page);
  await settings.open();
  await expect(page.getByTestId('fact-count')).toContainText('2 of 500 memories');
  await expect(page.getByRole('heading', { name: 'Personal context' })).toBeVisible();
  await expect(settings.factTexts()).toHaveText(['Plays the cello', 'Lives in Berlin']);
  // The old value is history, not a memory.
  await settings.fact('Lives in Berlin').getByTestId('fact-history').click();
  await expect(settings.fact('Lives in Berlin').getByTestId('fact-history')).toContainText('Lives in Paris');
  await expect(settings.fact('Lives in Berlin').getByTestId('fact-source')).toHaveAttribute('href', /\/chat\/[0-9a-f-]{36}$/);

  await page.getByTestId('memory-search').fill('cello');
  await page.getByTestId('memory-search').press('Enter');
  await expect(settings.factTexts()).toHaveText(['Plays the cello']);

  await settings.open();
  await settings.fact('Plays the cello').getByTestId('fact-edit').click();
  await page.getByTestId('fact-edit-input').fill('Plays the cello in an amateur orchestra');
  await page.getByTestId('fact-save').click();
  await expect(settings.factTexts()).toContainText(['Plays the cello in an amateur orchestra']);

  await settings.fact('Lives in Berlin').getByTestId('fact-delete').click();
  await expect(settings.fact('Lives in Berlin')).toHaveCount(0);
  await page.getByTestId('undo-delete').click();
  await expect(settings.fact('Lives in Berlin')).toHaveCount(1);
  await page.reload();
  await expect(settings.factTexts()).toHaveText(['Plays the cello in an amateur orchestra', 'Lives in Berlin']);

  await settings.fact('Lives in Berlin').getByTestId('fact-delete').click();
  await expect(page.getByTestId('undo-toast')).toBeVisible();
  // The notice shows at once; the reload waits for the delete to be stored.
  await expect(page.getByTestId('undo-toast')).toHaveAttribute('data-stored', 'true');
  await page.reload();
  await expect(settings.factTexts()).toHaveText(['Plays the cello in an amateur orchestra']);

  await page.getByTestId('delete-all-open').click();
  await page.getByTestId('delete-all-confirm').check();
  await page.getByTestId('delete-all').click();
  await expect(page.getByTestId('no-memories')).toBeVisible();
  await expect(page.getByTestId('fact-count')).toContainText('0 of 500');
});

test('asked in the chat, the agent lists and forgets memories, and the settings page agrees', async ({ page }) => {
  await teachFacts(page, 'I live in Paris and I play the cello.', [
    { fact_type: 'personal_context', fact_text: 'Lives in Paris' },
    { fact_type: 'preference', fact_text: 'Plays the cello' },
  ]);
  const chat = new ChatPage(page);
  await chat.newChat();
  await fakeVendor.script(
    { match: { lastUserMessageIncludes: 'what do you remember' }, toolCalls: [{ name: 'list_my_memories', input: {} }] },
    { match: { forcedTool: 'none' }, text: 'You live in Paris and play the cello.' },
  );
  await chat.ask('Hey, what do you remember about me?');
  await expect(chat.lastAnswer()).toContainText('You live in Paris and play the cello.');
  const listed = (await fakeVendor.requests()).filter((r) => r.api === 'anthropic' && r.stream);
  expect(JSON.stringify(listed.at(-1)!.body.messages)).toContain('Lives in Paris');

  await fakeVendor.script(
    { match: { lastUserMessageIncludes: 'forget' }, toolCalls: [{ name: 'forget', input: { description: 'lives in Paris' } }] },
    { match: { forcedTool: 'none' }, text: 'Done, I forgot that.' },
  );
  await chat.ask('Please forget that I live in Paris');
  await expect(page.getByTestId('memory-changed')).toHaveText('Forgot: Lives in Paris');

  const settings = new MemorySettingsPage(page);
  await settings.open();
  await expect(settings.factTexts()).toHaveText(['Plays the cello']);
});

test('memory off: nothing is retrieved or extracted; a temporary chat is not kept', async ({ page }) => {
  await teachFacts(page, 'I am vegetarian.', [{ fact_type: 'constraint', fact_text: 'Is vegetarian' }]);
  const settings = new MemorySettingsPage(page);
  await settings.open();
  await settings.setMemory(false);

  await fakeVendor.reset();
  const chat = new ChatPage(page);
  await chat.open();
  await chat.ask('Suggest vegetarian recipes for dinner');
  await page.waitForTimeout(1500); // time enough for an extraction that must not happen
  const requests = await fakeVendor.requests();
  expect(requests.filter((r) => r.api === 'anthropic').map((r) => (r.body.tool_choice as { name?: string } | undefined)?.name ?? 'chat')).not.toContain(
    'record_facts',
  );
  expect(requests.filter((r) => r.api === 'openai-embeddings')).toEqual([]);
  const chatRequest = requests.find((r) => r.api === 'anthropic' && r.stream)!;
  expect(systemPromptOf(chatRequest.body)).not.toContain('Is vegetarian');
  expect(chatRequest.body.tools).toBeUndefined();

  await settings.open();
  await settings.setMemory(true);
  await page.goto('/?temporary=1');
  // The earlier chat's title may still be on its way; start counting from here.
  await page.waitForTimeout(1000);
  await fakeVendor.reset();
  await expect(page.getByTestId('temporary-notice')).toBeVisible();
  await chat.ask('A quick question that should leave no trace');
  await expect(chat.lastAnswer()).toContainText('This is the fake vendor speaking.');
  // No embedding, no extraction, no title: one chat request, without memories.
  const temporary = await fakeVendor.requests();
  expect(temporary.map((r) => [r.api, r.stream])).toEqual([['anthropic', true]]);
  expect(systemPromptOf(temporary[0]!.body)).not.toContain('Is vegetarian');
  await page.reload();
  await expect(chat.conversationLinks()).not.toContainText(['A quick question']);
});

test('export holds exactly my data; deleting the account removes it and signs out', async ({ page, browser }) => {
  await teachFacts(page, 'I live in Oslo.', [{ fact_type: 'personal_context', fact_text: 'Lives in Oslo' }]);
  const other = await browser.newContext();
  await teachFacts(await other.newPage(), 'I live in Quito.', [{ fact_type: 'personal_context', fact_text: 'Lives in Quito' }]);
  await other.close();

  const settings = new MemorySettingsPage(page);
  await settings.open();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-data').click();
  const file = await (await download).path();
  const data = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))) as {
    account: { id: string };
    conversations: { turns: { content: string }[] }[];
    facts: { text: string }[];
  };
  expect(data.facts.map((f) => f.text)).toEqual(['Lives in Oslo']);
  expect(data.conversations.flatMap((c) => c.turns.map((t) => t.content))).toEqual(['I live in Oslo.', 'Noted.']);
  expect(JSON.stringify(data)).not.toContain('Quito');

  const chatUrl = await settings.fact('Lives in Oslo').getByTestId('fact-source').getAttribute('href');
  await page.getByTestId('delete-account-open').click();
  await page.getByTestId('delete-account-confirm').check();
  await page.getByTestId('delete-account').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('current-user')).toHaveCount(0);
  expect((await page.goto(chatUrl!))?.status()).toBe(404);
  expect((await page.request.get('/api/account/export')).status()).toBe(401);
});
