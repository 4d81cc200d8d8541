/**
 * A turn's lookups stay lookups as the app role, however much other users hold and whatever the
 * planner's statistics say. Row-level security changes plans (an enum's `=` is not leakproof, so
 * it never narrows an index scan), and a partial index that the statistics believe small can be
 * scanned whole. So the statements the product sends are recorded, then replayed as the app role
 * under EXPLAIN (ANALYZE, BUFFERS) in a transaction rolled back, counting the pages each touched.
 * On the PostgreSQL server only: PGlite's units run as the tables' owner, which RLS does not bind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Pool } from 'pg';
import { streamingStaleAfterMs } from '@/lib/chat/answer';
import { storeQuestion } from '@/lib/chat/turn';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { extractTurn } from '@/lib/memory/extract-turn';
import { loadStandingFacts } from '@/lib/memory/retrieve';
import { chatDepsOf, chatTurn, memoryServices } from '../../helpers/chat';
import { HOUSEKEEPING, recordingStore, type Statement } from '../../helpers/single-shard';
import { openTestStore, testEngine, type TestDatabase } from '../engines';

const onServer = testEngine === 'postgres';
let t: TestDatabase;

beforeAll(async () => {
  if (!onServer) return;
  t = await openTestStore(testEngine);
  // The statistics stay as the last ANALYZE left them, as between two runs of autovacuum.
  await t.db.execute(sql`ALTER TABLE conversation_turns SET (autovacuum_enabled = false)`);
  await t.db.execute(sql`ALTER TABLE user_facts SET (autovacuum_enabled = false)`);
});
afterAll(async () => {
  await t?.close();
});

/** Ten users, `me` first. */
async function tenUsers() {
  const me = (await createAnonymousUser(t.db)).id;
  const others = await Promise.all(Array.from({ length: 9 }, async () => (await createAnonymousUser(t.db)).id));
  return [me, ...others];
}

/** Shared pages (hit or read) the statement touched, run as `userId`'s unit on the app role. */
async function pagesTouched(userId: string, { sql: text, params }: Statement): Promise<number> {
  // The app role's own pool, which Drizzle keeps as $client.
  const client = await (t.app as unknown as { $client: Pool }).$client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, params);
    const plan = rows[0]!['QUERY PLAN'][0].Plan;
    return plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

it.skipIf(!onServer)('claiming and learning a turn read a few pages while thousands of other turns await extraction', async () => {
  const me = (await createAnonymousUser(t.db)).id;
  const other = (await createAnonymousUser(t.db)).id;
  const mine = await createConversation(t.db, me, 'mine');
  const theirs = await createConversation(t.db, other, 'theirs');
  await t.db.execute(sql`ANALYZE conversation_turns`);
  // Turns whose extraction gave up stay unextracted: after an outage there are many.
  await t.db.execute(sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, extraction_attempts)
    SELECT ${other}, ${theirs.id}, 'user', 'Waiting turn ' || g, 5 FROM generate_series(1, 5000) g`);
  const turn = await appendTurn(t.db, me, { conversationId: mine.id, role: 'user', content: 'I live in Lyon and I am vegetarian.' });

  const recorded = recordingStore(t.app, testEngine);
  expect(await extractTurn(memoryServices(recorded.store), me, turn!.id)).toMatchObject({ status: 'extracted' });
  const statements = recorded.units.flatMap((u) => u.statements).filter((s) => !HOUSEKEEPING.test(s.sql));
  // The claim and the learning (the turn marked, its episode kept) are among them.
  expect(statements.filter((s) => /extracted_at|extraction_attempts/.test(s.sql)).length).toBeGreaterThanOrEqual(2);
  for (const statement of statements) {
    expect.soft(await pagesTouched(me, statement), statement.sql).toBeLessThan(60);
  }
});

it.skipIf(!onServer)("a large memory's standing facts read its constraints, not every fact", async () => {
  const everyone = await tenUsers();
  const me = everyone[0]!;
  // Learned over time, a user's facts lie among everyone's: ten users' facts, interleaved.
  await t.db.execute(sql`INSERT INTO user_facts (user_id, fact_type, fact_text, confidence)
    SELECT u.id, CASE WHEN u.id = ${me} AND g % 500 = 0 THEN 'constraint' ELSE 'preference' END::fact_type,
           'Enjoys pastime number ' || g, 0.9
    FROM generate_series(1, 1500) g CROSS JOIN unnest(${sql.param(everyone)}::uuid[]) AS u(id)
    ORDER BY g, u.id`);
  await t.db.execute(sql`VACUUM ANALYZE user_facts`);

  const recorded = recordingStore(t.app, testEngine);
  const standing = await recorded.store.readAsUser(me, (tx) => loadStandingFacts(tx, me, 50));
  expect(standing.complete).toBe(false);
  expect(standing.facts.filter((f) => f.factType === 'constraint')).toHaveLength(3);
  const [statement, ...more] = recorded.units[0]!.statements.filter((s) => !HOUSEKEEPING.test(s.sql));
  expect(more).toEqual([]);
  // Every fact's page would be about 200; the constraints', the count's index and a few more, 30.
  expect(await pagesTouched(me, statement!)).toBeLessThan(60);
});

it.skipIf(!onServer)('a message in a long conversation reads a few pages', async () => {
  const everyone = await tenUsers();
  const me = everyone[0]!;
  const conversations = await Promise.all(everyone.map(async (user) => (await createConversation(t.db, user, 'long')).id));
  // 1,500 turns each, written over time among everyone's, and folded into the summary.
  await t.db.execute(sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, extracted_at)
    SELECT c.user_id, c.id, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END::turn_role, 'Turn number ' || g, now()
    FROM generate_series(1, 1500) g CROSS JOIN unnest(${sql.param(conversations)}::uuid[]) AS x(id) JOIN conversations c ON c.id = x.id
    ORDER BY g, c.id`);
  await t.db.execute(sql`UPDATE conversations c SET summary = 'What was said.',
    summarized_through_turn_id = (SELECT max(id) FROM conversation_turns t WHERE t.conversation_id = c.id)
    WHERE c.id = ANY(${sql.param(conversations)}::uuid[])`);
  await t.db.execute(sql`ANALYZE conversation_turns`);

  const recorded = recordingStore(t.app, testEngine);
  const stored = await storeQuestion(recorded.store, me, { conversationId: conversations[0]!, message: 'And one more thing.' }, streamingStaleAfterMs(60_000));
  expect(stored).toMatchObject({ ok: true, shortTerm: { summary: 'What was said.', unsummarized: 1 } });
  const statements = recorded.units[0]!.statements.filter((s) => !HOUSEKEEPING.test(s.sql));
  expect(statements.some((s) => /'streaming'/.test(s.sql))).toBe(true);
  for (const statement of statements) {
    expect.soft(await pagesTouched(me, statement), statement.sql).toBeLessThan(60);
  }
});

/** Other users' turns (some unlearned, some streaming) and facts (some constraints), interleaved, then ANALYZE. */
async function othersHold(others: string[], turnsEach: number, factsEach: number) {
  const conversations = await Promise.all(others.map(async (other) => (await createConversation(t.db, other, 'busy')).id));
  await t.db.execute(sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, status, extracted_at)
    SELECT c.user_id, c.id, CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END::turn_role, 'Message ' || g,
           CASE WHEN g % 500 = 0 THEN 'streaming' ELSE 'complete' END::turn_status, CASE WHEN g % 4 <> 1 THEN now() END
    FROM generate_series(1, ${turnsEach}) g CROSS JOIN unnest(${sql.param(conversations)}::uuid[]) AS x(id) JOIN conversations c ON c.id = x.id
    ORDER BY g, c.id`);
  await t.db.execute(sql`INSERT INTO user_facts (user_id, fact_type, fact_text, confidence)
    SELECT u.id, CASE WHEN g % 10 = 0 THEN 'constraint' ELSE 'preference' END::fact_type, 'Likes hobby ' || g, 0.9
    FROM generate_series(1, ${factsEach}) g CROSS JOIN unnest(${sql.param(others)}::uuid[]) AS u(id) ORDER BY g, u.id`);
  await t.db.execute(sql`ANALYZE`);
}

it.skipIf(!onServer)("a chat turn's statements read no more when other users hold far more", async () => {
  const [me, ...others] = await tenUsers();
  await othersHold(others, 20, 10);
  const user = { id: me!, memoryEnabled: true };
  const recorded = recordingStore(t.app, testEngine);
  const deps = chatDepsOf(memoryServices(recorded.store));
  // A new chat (its title, the facts learned, the message kept as an episode), a second turn in
  // it, then a new chat that searches the facts and the first chat.
  const { turn } = await chatTurn(deps, user, { message: 'I live in Lyon and I am vegetarian.' });
  await chatTurn(deps, user, { message: 'I work as a nurse at the city hospital.', conversationId: turn.conversation.id });
  await chatTurn(deps, user, { message: 'What should I cook for dinner tonight?' });
  const statements = recorded.units.flatMap((u) => u.statements).filter((s) => !HOUSEKEEPING.test(s.sql));
  const before = [];
  for (const statement of statements) before.push(await pagesTouched(me!, statement));

  // A hundred times more, with statistics that know it.
  await othersHold(others, 2000, 500);
  expect(statements.length).toBeGreaterThan(20);
  for (const [i, statement] of statements.entries()) {
    // A row of values reads nobody's rows: its pages are where it lands (free space, a new page).
    if (/^\s*insert into "\w+" \([^)]*\) values \(/i.test(statement.sql)) continue;
    // A B-tree a level deeper costs a page per lookup; a scan of other users' rows, hundreds.
    expect.soft(await pagesTouched(me!, statement), statement.sql).toBeLessThanOrEqual(before[i]! + 8);
  }
});
