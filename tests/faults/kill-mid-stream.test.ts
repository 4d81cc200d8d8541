/**
 * kill -9 of `next start` while five people read their answers, then a restart: each answer is
 * kept with the text saved before the process died, counts as interrupted once nothing saves it,
 * Retry answers the question again, and the question's facts are learned once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TurnEvent } from '@/lib/chat/events';
import { freshDatabase, guestCookie, postChat, query, sleep, startApp, startFakeVendorServer, textOf, type App, type FakeVendorServer } from '../helpers/app-server';

const USERS = 5;
/** The app's MODEL_TIMEOUT_MS (harness) plus the save interval: an answer unsaved this long is cut off. */
const STALE_AFTER_MS = 3000 + 1000;
const longAnswer = (i: number) => Array.from({ length: 60 }, (_, w) => `word${w}-of-${i}`).join(' ');

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  const db = await freshDatabase('engram_faults_kill');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

it('keeps each partly read answer as interrupted; Retry answers it and its facts are learned once', async () => {
  const cookies = await Promise.all(Array.from({ length: USERS }, () => guestCookie(app.url)));
  fake.script(
    ...cookies.map((_, i) => ({ match: { forcedTool: 'none', lastUserMessageIncludes: `hive ${i}` }, text: longAnswer(i), chunkDelayMs: 100 })),
  );

  // Everyone reads for at least 1.5 s (so the answer was saved at least once), then the server dies.
  const seen: string[] = cookies.map(() => '');
  const conversations: string[] = [];
  const onEvent = (i: number) => (event: TurnEvent, all: TurnEvent[]) => {
    if (event.type === 'start' && event.conversationId) conversations[i] = event.conversationId;
    seen[i] = textOf(all);
  };
  const streams = cookies.map((cookie, i) => postChat(app.url, cookie, { message: `My hive ${i} is on the roof, I keep bees.` }, onEvent(i)));
  for (let waited = 0; seen.some((s) => s.split(' ').length < 16) && waited < 20_000; waited += 50) await sleep(50);
  await app.kill();
  const cut = await Promise.all(streams);
  expect(cut.every((r) => r.status === 200 && r.events.at(-1)?.type === 'text')).toBe(true);

  // What the database holds for each: the question, and the answer as last saved.
  const rows = async (i: number) =>
    query<{ id: string; role: string; status: string; content: string; replies_to: string | null; extracted_at: Date | null }>(
      adminUrl,
      'SELECT id, role, status, content, replies_to, extracted_at FROM conversation_turns WHERE conversation_id = $1 ORDER BY id',
      [conversations[i]],
    );
  for (let i = 0; i < USERS; i++) {
    const [question, answer] = await rows(i);
    expect(question).toMatchObject({ role: 'user', content: `My hive ${i} is on the roof, I keep bees.` });
    expect(answer).toMatchObject({ role: 'assistant', status: 'streaming', replies_to: question!.id });
    // Saved text is what the person saw, up to the last save before the kill.
    expect(answer!.content.length).toBeGreaterThan(0);
    expect(seen[i]!.startsWith(answer!.content)).toBe(true);
  }

  await app.start();
  await sleep(STALE_AFTER_MS);
  for (let i = 0; i < USERS; i++) {
    const [, answer] = await rows(i);
    const now = await fetch(`${app.url}/api/chat/turns/${answer!.id}`, { headers: { cookie: cookies[i]! } });
    expect(await now.json()).toEqual({ status: 'interrupted', content: answer!.content });
  }

  // Retry answers each question again, and its facts are learned once.
  fake.script(
    ...cookies.flatMap((_, i) => [
      { match: { forcedTool: 'none', lastUserMessageIncludes: `hive ${i}` }, text: `Bees on roof ${i}: lovely.` },
      {
        match: { forcedTool: 'record_facts', lastUserMessageIncludes: `hive ${i}` },
        toolCalls: [{ name: 'record_facts', input: { facts: [{ fact_type: 'personal_context', fact_text: `Keeps bees in hive ${i} on the roof`, confidence: 0.9, supersedes: [] }] } }],
      },
    ]),
  );
  const retried = await Promise.all(cookies.map((cookie, i) => postChat(app.url, cookie, { conversationId: conversations[i]!, retry: true })));
  expect(retried.map((r) => r.events.at(-1))).toEqual(cookies.map(() => expect.objectContaining({ type: 'done', status: 'complete' })));
  for (let i = 0; i < USERS; i++) {
    const turns = await rows(i);
    expect(turns.map((t) => [t.role, t.status, t.content])).toEqual([
      ['user', 'complete', `My hive ${i} is on the roof, I keep bees.`],
      ['assistant', 'complete', `Bees on roof ${i}: lovely.`],
    ]);
  }
  let facts: { user_id: string; n: string }[] = [];
  for (let waited = 0; waited < 15_000; waited += 250) {
    facts = await query(adminUrl, "SELECT user_id, count(*) AS n FROM user_facts WHERE fact_text LIKE 'Keeps bees%' GROUP BY user_id");
    if (facts.length === USERS) break;
    await sleep(250);
  }
  expect(facts.map((f) => Number(f.n))).toEqual(cookies.map(() => 1));
  expect(app.output()).not.toMatch(/uncaughtException|unhandledRejection/);
});
