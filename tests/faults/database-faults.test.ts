/**
 * The database misbehaving under the production build: the app's connections cut three times
 * under load (no stored message lost, every error clean JSON, nothing uncaught), and one
 * conversation's row held locked (other people unaffected, the stuck ones told within the lock
 * time-out).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, guestCookie, postChat, query, sleep, startApp, startFakeVendorServer, textOf, type App, type FakeVendorServer } from '../helpers/app-server';
import pg from 'pg';

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;

beforeAll(async () => {
  // Answers take a moment, as a vendor's do, so connections are cut while turns are in flight.
  fake = await startFakeVendorServer({ delayMs: 150 });
  const db = await freshDatabase('engram_faults_database');
  adminUrl = db.adminUrl;
  app = await startApp(db.appUrl, fake, { DATABASE_LOCK_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

type Result = Awaited<ReturnType<typeof postChat>> & { message: string };

it('loses no stored message and answers every failure with JSON when connections are cut under load', async () => {
  const USERS = 8;
  const TURNS = 5;
  const cookies = await Promise.all(Array.from({ length: USERS }, () => guestCookie(app.url)));
  const results: Result[] = [];
  const load = cookies.map(async (cookie, u) => {
    let conversationId: string | undefined;
    for (let t = 0; t < TURNS; t++) {
      const message = `User ${u} turn ${t}: I grow tomatoes on the balcony.`;
      const result = await postChat(app.url, cookie, { conversationId, message });
      results.push({ ...result, message });
      const start = result.events[0];
      if (start?.type === 'start' && start.conversationId) conversationId = start.conversationId;
      else conversationId = result.refusal?.conversationId ?? conversationId;
    }
  });
  // Three cuts while the load runs: the app's backends first found, then ended, by pid.
  const terminated: number[] = [];
  const cuts = (async () => {
    for (let cut = 0; cut < 3; cut++) {
      await sleep(400);
      const pids = await query<{ pid: number }>(adminUrl, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'engram'");
      await query(adminUrl, 'SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids.map((p) => p.pid)]);
      terminated.push(pids.length);
    }
  })();
  await Promise.all([...load, cuts]);
  expect(terminated.every((n) => n > 0)).toBe(true);

  expect(results).toHaveLength(USERS * TURNS);
  for (const r of results) {
    if (r.status === 200) {
      // A stream ends with done or a clean error event, never cut.
      expect(r.broken).toBeUndefined();
      expect(['done', 'error']).toContain(r.events.at(-1)?.type);
    } else {
      expect(r.contentType).toMatch(/application\/json/);
      expect(r.refusal?.error).toMatch(/\w+/);
    }
  }
  // Every message the server confirmed (a start event, or a refusal naming its conversation) is stored.
  const stored = new Set((await query<{ content: string }>(adminUrl, "SELECT content FROM conversation_turns WHERE role = 'user'")).map((r) => r.content));
  const confirmed = results.filter((r) => r.events[0]?.type === 'start' || r.refusal?.conversationId);
  expect(confirmed.filter((r) => !stored.has(r.message)).map((r) => r.message)).toEqual([]);
  // Every answer streamed to the end is stored whole.
  const answers = new Map((await query<{ content: string; status: string }>(adminUrl, "SELECT content, status FROM conversation_turns WHERE role = 'assistant'")).map((r) => [r.content, r.status]));
  const completed = results.filter((r) => r.events.at(-1)?.type === 'done');
  expect(completed.filter((r) => answers.get(textOf(r.events)) !== 'complete')).toEqual([]);
  expect(app.output()).not.toMatch(/uncaughtException|unhandledRejection/);
  console.log(
    `[faults] cuts under load: backends ended ${terminated.join(', ')}; ${results.length} requests, ${completed.length} answered, ${results.filter((r) => r.status !== 200).length} refused with JSON, ${confirmed.length} stored`,
  );
});

it("leaves other people unaffected while one conversation's row is locked, and tells the stuck person within the time-out", async () => {
  const [stuck, ...others] = await Promise.all(Array.from({ length: 6 }, () => guestCookie(app.url)));
  const first = await postChat(app.url, stuck!, { message: 'Hello there' });
  const start = first.events[0];
  if (start?.type !== 'start' || !start.conversationId) throw new Error('no conversation');

  const holder = new pg.Client({ connectionString: adminUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM conversations WHERE id = $1 FOR UPDATE', [start.conversationId]);
    const began = performance.now();
    const timed = async (run: Promise<Awaited<ReturnType<typeof postChat>>>) => ({ result: await run, ms: performance.now() - began });
    const [stuckResults, otherResults] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, (_, i) => timed(postChat(app.url, stuck!, { conversationId: start.conversationId!, message: `Stuck ${i}` })))),
      Promise.all(others.map((cookie, i) => timed(postChat(app.url, cookie, { message: `Free ${i}` })))),
    ]);
    // The lock is held until every request here has ended, so anyone it blocked would have failed
    // at the lock time-out: each other person's answer completing shows none waited on it.
    for (const { result } of otherResults) expect(result.events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
    for (const { result, ms } of stuckResults) {
      expect(result.status).toBe(503);
      expect(result.refusal?.error).toMatch(/could not be saved/);
      // The lock time-out (2 s), plus the wait for a turn of the user's share of the pool.
      expect(ms).toBeLessThan(2000 * 3 + 1500);
    }
    console.log(`[faults] row lock: others answered in ${Math.max(...otherResults.map((r) => r.ms)).toFixed(0)} ms at most; stuck refused in ${Math.max(...stuckResults.map((r) => r.ms)).toFixed(0)} ms at most`);
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  const after = await postChat(app.url, stuck!, { conversationId: start.conversationId, message: 'Back again' });
  expect(after.events.at(-1)).toMatchObject({ type: 'done', status: 'complete' });
});

it('answers one of five messages sent at once into one conversation, refuses the others with 409, and pairs every answer with its question', async () => {
  const cookie = await guestCookie(app.url);
  const first = await postChat(app.url, cookie, { message: 'Opening line' });
  const start = first.events[0];
  if (start?.type !== 'start' || !start.conversationId) throw new Error('no conversation');
  fake.script({ match: { forcedTool: 'none' }, text: 'One slow answer at a time.', chunkDelayMs: 100 });
  const sent = await Promise.all([1, 2, 3, 4, 5].map((n) => postChat(app.url, cookie, { conversationId: start.conversationId!, message: `At once ${n}` })));
  expect(sent.filter((r) => r.status === 200)).toHaveLength(1);
  const refused = sent.filter((r) => r.status === 409);
  expect(refused).toHaveLength(4);
  for (const r of refused) expect(r.refusal?.error).toMatch(/still answering your previous message/);

  const turns = await query<{ id: string; role: string; content: string; replies_to: string | null }>(
    adminUrl,
    'SELECT id, role, content, replies_to FROM conversation_turns WHERE conversation_id = $1 ORDER BY id',
    [start.conversationId],
  );
  expect(turns).toHaveLength(4);
  expect(turns[2]).toMatchObject({ role: 'user', content: expect.stringMatching(/^At once \d$/) });
  expect(turns[3]).toMatchObject({ role: 'assistant', content: 'One slow answer at a time.', replies_to: turns[2]!.id });
});
