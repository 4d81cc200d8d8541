/**
 * `npm run bench:memory`: seeds synthetic users and facts, then times the memory engine's own
 * functions: retrieval (no embedding call), writing a turn's facts, building the prompt, and the
 * memory work of a whole turn (everything but the vendor calls). PGlite always; the PostgreSQL
 * server of DATABASE_URL too. Flags: --users N --facts N --queries N --engine E --json FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Embedder } from '@/lib/ai/types';
import { openPglite, openPostgres, type DatabaseHandle } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { selectRows } from '@/lib/db/rows';
import { appendTurn, createConversation } from '@/lib/db/queries';
import { prepareTurn } from '@/lib/memory/prepare-turn';
import { retrieveFacts, recordFactAccess } from '@/lib/memory/retrieve';
import { defaultMemorySettings } from '@/lib/memory/settings';
import type { MemoryServices } from '@/lib/memory/services';
import { writeFacts } from '@/lib/memory/write-facts';
import { measure, peakRssMb, printTable, type LatencySummary } from './bench/stats';

const { values } = parseArgs({
  options: {
    users: { type: 'string' },
    facts: { type: 'string', default: '500' },
    queries: { type: 'string', default: '400' },
    /** pglite, postgres or both; default both, or pglite alone without DATABASE_URL. */
    engine: { type: 'string' },
    json: { type: 'string' },
  },
});
const DIMENSIONS = 256;
const MODEL = 'bench-embedder';
const factsPerUser = Number(values.facts);
const queries = Number(values.queries);

/** A random direction; synthetic facts are spread evenly, the hardest case for an index. */
const randomVector = () => {
  const v = Array.from({ length: DIMENSIONS }, () => Math.random() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

/** Answers instantly, so what is timed is the memory engine, not an embedding call. */
const instantEmbedder: Embedder = { model: MODEL, dimensions: DIMENSIONS, embed: async (texts) => texts.map(randomVector) };

const WORDS = ['coffee', 'berlin', 'rust', 'marathon', 'vegan', 'piano', 'kids', 'postgres', 'hiking', 'python', 'paris', 'tea', 'cats', 'chess', 'guitar', 'yoga'];
const message = () => `Tell me more about ${WORDS[Math.floor(Math.random() * WORDS.length)]} and ${WORDS[Math.floor(Math.random() * WORDS.length)]}`;

/** Users, facts and embeddings generated inside the database, in one statement each. */
async function seed(handle: DatabaseHandle, users: number) {
  const { db } = handle;
  const started = performance.now();
  await db.execute(sql`INSERT INTO users (is_anonymous) SELECT true FROM generate_series(1, ${users}::int)`);
  await db.execute(sql`
    INSERT INTO user_facts (user_id, fact_type, fact_text, confidence)
    SELECT u.id, (enum_range(NULL::fact_type))[1 + (g % 5)],
           'Synthetic fact ' || g || ' about ' || (ARRAY[${sql.join(WORDS.map((w) => sql`${w}`), sql`, `)}])[1 + (g % ${WORDS.length})] || ' ' || md5(u.id::text || g),
           0.6 + random() * 0.4
    FROM users u, generate_series(1, ${factsPerUser}::int) g`);
  // 256 random dimensions, zero-padded to the stored 1536 as toStoredVector does.
  await db.execute(sql`
    INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
    SELECT f.id, f.user_id, ${MODEL},
           (array_cat(ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, ${DIMENSIONS}::int) WHERE f.id IS NOT NULL),
                      array_fill(0::real, ARRAY[${1536 - DIMENSIONS}::int]))::vector)::halfvec
    FROM user_facts f`);
  await db.execute(sql`ANALYZE`);
  const [count] = await selectRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM user_facts`);
  return { facts: count!.n, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

async function bench(engine: 'pglite' | 'postgres', users: number) {
  let handle: DatabaseHandle;
  if (engine === 'pglite') handle = await openPglite();
  else {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS engram_bench WITH (FORCE)');
    await admin.query('CREATE DATABASE engram_bench');
    await admin.end();
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = '/engram_bench';
    handle = await openPostgres(url.toString(), 4);
  }
  try {
    await migrateDatabase(handle);
    console.log(`\n[${engine}] seeding ${users} users x ${factsPerUser} facts...`);
    const seeded = await seed(handle, users);
    console.log(`[${engine}] ${seeded.facts} facts seeded in ${seeded.seconds} s`);
    const { db } = handle;
    const userIds = (await selectRows<{ id: string }>(db, sql`SELECT id FROM users ORDER BY random() LIMIT 200`)).map((r) => r.id);
    const pick = (i: number) => userIds[i % userIds.length]!;
    const services: MemoryServices = { db, extract: async () => Promise.reject(new Error('unused')), embedder: instantEmbedder, settings: defaultMemorySettings };

    // Conversations with a few turns each, for the prompt.
    const conversations = new Map<string, string>();
    for (const userId of userIds) {
      const conversation = await createConversation(db, userId);
      for (let t = 0; t < 4; t++) {
        await appendTurn(db, userId, { conversationId: conversation.id, role: t % 2 ? 'assistant' : 'user', content: message() });
      }
      conversations.set(userId, conversation.id);
    }
    const query = (i: number) => ({ userId: pick(i), model: MODEL, vector: randomVector(), text: message() });
    const candidates = () => [
      { factType: 'preference' as const, factText: `Likes ${message()}`, confidence: 0.9, supersedes: [] },
      { factType: 'goal' as const, factText: `Wants to learn ${message()}`, confidence: 0.8, supersedes: [] },
      { factType: 'technical_context' as const, factText: `Uses ${message()}`, confidence: 0.7, supersedes: [] },
    ];

    await measure(50, (i) => retrieveFacts(db, query(i))); // warm-up
    const results: Record<string, LatencySummary> = {
      'retrieve (hybrid)': await measure(queries, (i) => retrieveFacts(db, query(i), { ...defaultMemorySettings.retrieve, ranking: 'hybrid' })),
      'retrieve (vector)': await measure(queries, (i) => retrieveFacts(db, query(i), { ...defaultMemorySettings.retrieve, ranking: 'vector' })),
      'write 3 facts': await measure(queries, (i) => writeFacts(db, instantEmbedder, { userId: pick(i), candidates: candidates() })),
      'prepare prompt': await measure(queries, (i) =>
        prepareTurn(services, { userId: pick(i), conversationId: conversations.get(pick(i))!, message: message() }),
      ),
      'memory work per turn': await measure(queries, async (i) => {
        const userId = pick(i);
        const conversationId = conversations.get(userId)!;
        const turn = await appendTurn(db, userId, { conversationId, role: 'user', content: message() });
        const prepared = await prepareTurn(services, { userId, conversationId, message: turn!.content });
        await appendTurn(db, userId, { conversationId, role: 'assistant', content: 'ok', memoryFactIds: prepared.usedFacts.map((f) => f.id) });
        await recordFactAccess(db, userId, prepared.usedFacts.map((f) => f.id));
        await writeFacts(db, instantEmbedder, { userId, sourceConversationId: conversationId, sourceTurnId: turn!.id, candidates: candidates() });
      }),
    };
    printTable(`[${engine}] ${seeded.facts.toLocaleString('en')} facts, ${users} users; peak RSS ${peakRssMb()} MB`, results);
    return { engine, users, factsPerUser, facts: seeded.facts, seedSeconds: seeded.seconds, results, peakRssMb: peakRssMb() };
  } finally {
    await handle.close();
  }
}

const engines = values.engine === 'both' || !values.engine ? ['pglite', 'postgres'] : [values.engine];
const runs = [];
// PGlite is smaller by default: one WASM process seeding 500k facts takes minutes and gigabytes.
if (engines.includes('pglite')) runs.push(await bench('pglite', Number(values.users ?? 100)));
if (engines.includes('postgres') && process.env.DATABASE_URL) runs.push(await bench('postgres', Number(values.users ?? 1000)));
else if (engines.includes('postgres')) console.log('\nDATABASE_URL is not set: the PostgreSQL server run is skipped.');
const report = { date: new Date().toISOString(), embeddingDimensions: DIMENSIONS, runs };
console.log(`\n${JSON.stringify(report)}`);
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
