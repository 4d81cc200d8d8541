/**
 * Synthetic users, facts, conversations, turns and episodes, generated inside the database by one
 * INSERT ... SELECT per table (no rows travel from Node, except the vocabulary once), then VACUUM
 * ANALYZE, as autovacuum would leave a table in service, and a CHECKPOINT, so the timed work does
 * not pay for flushing the seed's writes.
 *
 * Rows arrive ordered by their number within the user, then by user: a user's facts, turns and
 * episodes are written over time between other users' rows, so they are scattered over their
 * tables as in service, not packed together.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { messageOf } from '@/lib/errors';

export interface SeedOptions {
  users: number;
  factsPerUser: number;
  /** The user's own turns (each one learned, so each with an episode); 0 seeds no conversations. */
  turnsPerUser: number;
  /** The conversations a user's turns are split over, oldest turns in the first. */
  conversationsPerUser: number;
  /**
   * The words turns are written in, most frequent first; each word is drawn with a probability
   * about 1/rank (Zipf), so the search by words meets common and rare words as in real text.
   */
  vocabulary: readonly string[];
  /** The synthetic embedder's width; vectors are zero-padded to the stored width. */
  dimensions: number;
  model: string;
}

/** Topic words: facts and messages share them, so the lexical side of retrieval finds matches. */
export const WORDS = ['coffee', 'berlin', 'rust', 'marathon', 'vegan', 'piano', 'kids', 'postgres', 'hiking', 'python', 'paris', 'tea', 'cats', 'chess', 'guitar', 'yoga'];

export interface SeedReport {
  seconds: number;
  /** Seconds per step: facts, turns, episodes, vacuum and checkpoint. */
  steps: Record<string, number>;
  rows: Record<string, number>;
  /** Table plus index size, MB. */
  sizesMb: Record<string, number>;
  /** Each index of the tables with episodes, MB. */
  indexesMb: Record<string, number>;
}

export const SEEDED_TABLES = ['users', 'user_facts', 'fact_embeddings', 'conversations', 'conversation_turns', 'episode_embeddings', 'episode_words'];

const words = () => sql`ARRAY[${sql.join(WORDS.map((w) => sql`${w}`), sql`, `)}]`;

/** A random unit vector of the embedder's width, stored at that width as the product stores it. */
const randomStoredVector = (dimensions: number, correlate: SQL) => sql`
  l2_normalize(ARRAY(SELECT random() - 0.5 FROM generate_series(1, ${dimensions}::int) WHERE ${correlate} IS NOT NULL)::vector)::halfvec`;

async function insertFacts(db: Database, { users, factsPerUser }: SeedOptions) {
  await db.execute(sql`INSERT INTO users (is_anonymous) SELECT true FROM generate_series(1, ${users}::int)`);
  await db.execute(sql`
    INSERT INTO user_facts (user_id, fact_type, fact_text, confidence)
    SELECT u.id, (enum_range(NULL::fact_type))[1 + g % 5],
           'Mentions ' || (${words()})[1 + g % ${WORDS.length}] || ' and ' ||
             (${words()})[1 + (g / ${WORDS.length}) % ${WORDS.length}] || ', note ' || left(md5(u.id::text || g), 12),
           0.6 + random() * 0.4
    FROM generate_series(1, ${factsPerUser}::int) g CROSS JOIN users u
    ORDER BY g, u.id`);
}

async function insertFactEmbeddings(db: Database, { dimensions, model }: SeedOptions) {
  await db.execute(sql`
    INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
    SELECT f.id, f.user_id, ${model}, ${randomStoredVector(dimensions, sql`f.id`)}
    FROM user_facts f`);
}

/**
 * Each user's conversations, then their turns: turn g (1 = the oldest, four hours apart, so 2,000
 * turns span about eleven months) of `conversationsPerUser` runs of equal length. Only the user's
 * side: the answers are neither searched nor kept as episodes. Each turn is 8 to 23 words drawn
 * from the vocabulary; `content_search` is the table's generated column.
 */
/** A text[] literal, one parameter however long (drizzle spreads a JS array into a list). */
function arrayLiteral(items: readonly string[]): string {
  const bad = items.find((w) => !/^[a-z]+$/.test(w));
  if (bad !== undefined) throw new Error(`vocabulary words must be lower-case letters, got ${JSON.stringify(bad)}`);
  return `{${items.join(',')}}`;
}

async function insertTurns(db: Database, { turnsPerUser, conversationsPerUser, vocabulary }: SeedOptions) {
  const conversations = Math.min(conversationsPerUser, turnsPerUser);
  await db.execute(sql`
    INSERT INTO conversations (user_id, title, created_at, updated_at)
    SELECT u.id, 'Bench chat ' || c,
           now() - make_interval(hours => 4 * (${turnsPerUser}::int - (c - 1) * ${turnsPerUser}::int / ${conversations}::int)),
           now() - make_interval(hours => 4 * (${turnsPerUser}::int - c * ${turnsPerUser}::int / ${conversations}::int))
    FROM generate_series(1, ${conversations}::int) c CROSS JOIN users u
    ORDER BY c, u.id`);
  await db.execute(sql`
    WITH vocabulary AS (SELECT ${arrayLiteral(vocabulary)}::text[] AS words)
    INSERT INTO conversation_turns (user_id, conversation_id, role, content, created_at, extracted_at, extraction_attempts)
    SELECT c.user_id, c.id, 'user',
           -- "+ 0 * w": the aggregate must belong to the subquery, not to the outer query.
           (SELECT string_agg(v.words[floor(exp(random() * ln(${vocabulary.length}::float8)))::int + 0 * w], ' ')
            FROM generate_series(1, 8 + (g * 7) % 16) w WHERE c.id IS NOT NULL),
           now() - make_interval(hours => 4 * (${turnsPerUser}::int - g)),
           now() - make_interval(hours => 4 * (${turnsPerUser}::int - g)),
           1
    FROM generate_series(1, ${turnsPerUser}::int) g
    CROSS JOIN vocabulary v
    JOIN conversations c ON c.title = 'Bench chat ' || (1 + (g - 1) * ${conversations}::int / ${turnsPerUser}::int)
    ORDER BY g, c.user_id`);
}

/** An episode per user turn, as extraction stores it: the turn's vector (here a random one) and its words. */
async function insertEpisodes(db: Database, { dimensions, model }: SeedOptions) {
  await db.execute(sql`
    INSERT INTO episode_embeddings (turn_id, user_id, conversation_id, model, embedding, created_at)
    SELECT t.id, t.user_id, t.conversation_id, ${model}, ${randomStoredVector(dimensions, sql`t.id`)}, t.created_at
    FROM conversation_turns t
    WHERE t.role = 'user'
    ORDER BY t.id`);
  await db.execute(sql`
    INSERT INTO episode_words (user_id, word, turn_id)
    SELECT t.user_id, w.word, t.id
    FROM conversation_turns t CROSS JOIN LATERAL unnest(tsvector_to_array(t.content_search)) AS w (word)
    WHERE t.role = 'user'
    ORDER BY 1, 2, 3`);
}

/** Rows and sizes of the seeded tables as they are now. */
export async function describeTables(db: Database): Promise<Pick<SeedReport, 'rows' | 'sizesMb' | 'indexesMb'>> {
  const rows: Record<string, number> = {};
  const sizesMb: Record<string, number> = {};
  for (const table of SEEDED_TABLES) {
    const [row] = await selectRows<{ n: number; mb: number }>(
      db,
      sql`SELECT count(*)::int AS n, (pg_total_relation_size(${table}::regclass) / 1048576)::int AS mb FROM ${sql.identifier(table)}`,
    );
    rows[table] = row!.n;
    sizesMb[table] = row!.mb;
  }
  const indexes = await selectRows<{ name: string; mb: number }>(
    db,
    sql`SELECT indexrelid::regclass::text AS name, (pg_relation_size(indexrelid) / 1048576)::int AS mb
        FROM pg_index WHERE indrelid IN ('conversation_turns'::regclass, 'episode_embeddings'::regclass, 'episode_words'::regclass) ORDER BY 1`,
  );
  return { rows, sizesMb, indexesMb: Object.fromEntries(indexes.map((i) => [i.name, i.mb])) };
}

async function checkpoint(db: Database) {
  try {
    await db.execute(sql`CHECKPOINT`);
  } catch (error) {
    // Needs a superuser or pg_checkpoint; without it the first timed runs may share the disk with it.
    console.warn(`[seed] CHECKPOINT failed, continuing: ${messageOf(error)}`);
  }
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export function seed(db: Database, options: SeedOptions, log: (line: string) => void = () => {}): Promise<SeedReport> {
  // As the server's superuser (engines.ts), which row-level security does not bind: VACUUM cannot
  // run inside a unit of work's transaction.
  return (async () => {
    const started = performance.now();
    const steps: Record<string, number> = {};
    const step = async (name: string, work: () => Promise<unknown>) => {
      const at = performance.now();
      await work();
      steps[name] = seconds(at);
      log(`${name}: ${steps[name]} s`);
    };
    await step('facts', () => insertFacts(db, options));
    await step('fact embeddings', () => insertFactEmbeddings(db, options));
    if (options.turnsPerUser > 0) {
      await step('conversations and turns', () => insertTurns(db, options));
      await step('episodes', () => insertEpisodes(db, options));
    }
    await step('vacuum analyze', () => db.execute(sql.raw(`VACUUM ANALYZE ${SEEDED_TABLES.join(', ')}`)));
    await step('checkpoint', () => checkpoint(db));
    return { seconds: seconds(started), steps, ...(await describeTables(db)) };
  })();
}

/** What a seed is, for telling whether a database left by an earlier run holds the same one. */
const seedKey = (o: SeedOptions) =>
  JSON.stringify({ users: o.users, factsPerUser: o.factsPerUser, turnsPerUser: o.turnsPerUser, conversationsPerUser: o.conversationsPerUser, vocabulary: o.vocabulary.length, dimensions: o.dimensions, model: o.model });

/** Notes the seed in the database (a table the app role cannot read), for `--reuse`. */
export async function recordSeed(db: Database, options: SeedOptions, report: SeedReport): Promise<void> {
  await db.execute(sql`CREATE TABLE IF NOT EXISTS bench_seed (key text NOT NULL, report jsonb NOT NULL)`);
  await db.execute(sql`DELETE FROM bench_seed`);
  await db.execute(sql`INSERT INTO bench_seed VALUES (${seedKey(options)}, ${JSON.stringify(report)}::jsonb)`);
}

/** The report of the seed this database holds, when it is the one `options` asks for. */
export async function previousSeed(db: Database, options: SeedOptions): Promise<SeedReport | undefined> {
  const [table] = await selectRows<{ found: boolean }>(db, sql`SELECT to_regclass('bench_seed') IS NOT NULL AS found`);
  if (!table?.found) return undefined;
  const [row] = await selectRows<{ key: string; report: SeedReport }>(db, sql`SELECT key, report FROM bench_seed`);
  return row?.key === seedKey(options) ? row.report : undefined;
}

/**
 * Takes out what earlier timed runs added to a reused seed, so that each run starts from the
 * seed's rows: without it every run grew the users it timed (12,000 facts a run: 572,000 instead
 * of the seed's 500,000 after two days of runs) and left their pages not all-visible, and runs on
 * one database drifted apart.
 * The seed inserts its facts first, in one statement, and dates all its other rows in the past;
 * whatever is newer than its facts came from a run. Their conversations take the runs' turns,
 * past chats and words with them. Then a vacuum, as after seeding. Not undone: the access
 * statistics and refreshed confidences of seeded facts, and the recent episodes `sampleUsers`
 * made to resemble a fact.
 */
export async function restoreSeed(db: Database): Promise<{ facts: number; conversations: number; seconds: number }> {
  const started = performance.now();
  const [gone] = await selectRows<{ facts: number; conversations: number }>(
    db,
    sql`WITH seeded AS (SELECT min(created_at) AS at FROM user_facts),
        facts AS (DELETE FROM user_facts WHERE created_at > (SELECT at FROM seeded) RETURNING 1),
        conversations AS (DELETE FROM conversations WHERE created_at > (SELECT at FROM seeded) RETURNING 1)
        SELECT (SELECT count(*) FROM facts)::int AS facts, (SELECT count(*) FROM conversations)::int AS conversations`,
  );
  await db.execute(sql.raw(`VACUUM ANALYZE ${SEEDED_TABLES.join(', ')}`));
  return { ...gone!, seconds: seconds(started) };
}

/**
 * Reads every page of the seeded tables and their indexes once (pg_prewarm's 'read' mode): into
 * the kernel's page cache, not into shared_buffers. A server that has been up a while has its
 * working set there; on a machine just booted the first reads of each page come from the disk,
 * which times the disk rather than the queries. The seconds it took and the megabytes read.
 */
export async function prewarmKernelCache(db: Database): Promise<{ seconds: number; mb: number }> {
  const started = performance.now();
  await db.execute(sql`CREATE EXTENSION IF NOT EXISTS pg_prewarm`);
  const [row] = await selectRows<{ blocks: string }>(
    db,
    sql`WITH t AS (SELECT name::regclass AS oid FROM unnest(${`{${SEEDED_TABLES.join(',')}}`}::text[]) AS name)
        SELECT coalesce(sum(pg_prewarm(r.oid, 'read')), 0) AS blocks
        FROM (SELECT oid FROM t UNION SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM t)) r`,
  );
  return { seconds: seconds(started), mb: Math.round((Number(row?.blocks ?? 0) * 8) / 1024) };
}
