/**
 * A vendor that stalls after two words: the turn ends within MODEL_TIMEOUT_MS (3 s here) plus a
 * little, says what happened, keeps the question and the words shown, and Retry then answers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, guestCookie, postChat, query, startApp, startFakeVendorServer, textOf, type App, type FakeVendorServer } from '../helpers/app-server';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_faults_stall');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

it('ends a stalled answer within the time-out, keeps the message, and Retry answers it', async () => {
  const cookie = await guestCookie(app.url);
  fake.script({ match: { forcedTool: 'none' }, text: 'Tides are caused by the moon.', stallAfterChunks: 2 });
  const started = performance.now();
  const stalled = await postChat(app.url, cookie, { message: 'Why are there tides?' });
  const seconds = (performance.now() - started) / 1000;

  expect(seconds).toBeLessThan(3 + 3);
  expect(textOf(stalled.events)).toBe('Tides are');
  expect(stalled.events.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/stopped responding/) });
  // The vendor's socket was closed, not left hanging.
  expect(fake.openStalls()).toBe(0);

  const start = stalled.events[0]!;
  if (start.type !== 'start' || !start.conversationId) throw new Error('no start event');
  const turns = () =>
    query<{ role: string; status: string; content: string }>(adminUrl, 'SELECT role, status, content FROM conversation_turns WHERE conversation_id = $1 ORDER BY id', [
      start.conversationId,
    ]);
  expect(await turns()).toEqual([
    { role: 'user', status: 'complete', content: 'Why are there tides?' },
    { role: 'assistant', status: 'failed', content: 'Tides are' },
  ]);

  fake.script({ match: { forcedTool: 'none' }, text: 'The moon pulls the sea.' });
  const retried = await postChat(app.url, cookie, { conversationId: start.conversationId, retry: true });
  expect(retried.events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
  expect(await turns()).toEqual([
    { role: 'user', status: 'complete', content: 'Why are there tides?' },
    { role: 'assistant', status: 'complete', content: 'The moon pulls the sea.' },
  ]);
});

it('tells the person it is retrying a vendor that asks to wait, with the wait capped', async () => {
  const cookie = await guestCookie(app.url);
  // One retry allowed for this test's server: the harness default is none.
  await app.stop();
  await app.start({ MODEL_MAX_RETRIES: '1' });
  fake.script(
    { match: { forcedTool: 'none' }, status: 429, retryAfter: '25', errorMessage: 'slow down' },
    { match: { forcedTool: 'none' }, text: 'Here you go.' },
  );
  const started = performance.now();
  const answered = await postChat(app.url, cookie, { message: 'Tell me something' });
  const seconds = (performance.now() - started) / 1000;
  expect(answered.events.find((e) => e.type === 'retrying')).toMatchObject({ type: 'retrying', inSeconds: 10 });
  expect(answered.events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
  expect(textOf(answered.events)).toBe('Here you go.');
  // Capped at 10 s, not the 25 s asked.
  expect(seconds).toBeLessThan(14);
});
