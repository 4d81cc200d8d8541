/**
 * Synthetic users, facts and embeddings, generated inside the database by one INSERT ... SELECT
 * per table (no rows travel from Node), then VACUUM ANALYZE, as autovacuum would leave a table
 * in service, and a CHECKPOINT, so the timed work does not pay for flushing the seed's writes.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { EMBEDDING_DIMENSIONS } from '@/lib/db/schema';
import { messageOf } from '@/lib/errors';

export interface SeedOptions {
  users: number;
  factsPerUser: number;
  /** The synthetic embedder's width; vectors are zero-padded to the stored width. */
  dimensions: number;
  model: string;
}

/** Topic words: facts and messages share them, so the lexical side of retrieval finds matches. */
export const WORDS = ['coffee', 'berlin', 'rust', 'marathon', 'vegan', 'piano', 'kids', 'postgres', 'hiking', 'python', 'paris', 'tea', 'cats', 'chess', 'guitar', 'yoga'];

export interface SeedReport {
  seconds: number;
  rows: Record<string, number>;
  /** Table plus index size, MB. */
  sizesMb: Record<string, number>;
}

const words = () => sql`ARRAY[${sql.join(WORDS.map((w) => sql`${w}`), sql`, `)}]`;

async function insertFacts(db: Database, { users, factsPerUser }: SeedOptions) {
  await db.execute(sql`INSERT INTO users (is_anonymous) SELECT true FROM generate_series(1, ${users}::int)`);
  // Ordered by fact number, then user: a user's facts arrive over time, between other users'
  // facts, so they are scattered over the table as in service, not packed together.
  await db.execute(sql`
    INSERT INTO user_facts (user_id, fact_type, fact_text, confidence)
    SELECT u.id, (enum_range(NULL::fact_type))[1 + g % 5],
           'Mentions ' || (${words()})[1 + g % ${WORDS.length}] || ' and ' ||
             (${words()})[1 + (g / ${WORDS.length}) % ${WORDS.length}] || ', note ' || left(md5(u.id::text || g), 12),
           0.6 + random() * 0.4
    FROM generate_series(1, ${factsPerUser}::int) g CROSS JOIN users u
    ORDER BY g, u.id`);
}

async function insertEmbeddings(db: Database, { dimensions, model }: SeedOptions) {
  // A random unit vector per fact, padded with zeros to the stored width as toStoredVector does.
  await db.execute(sql`
    INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
    SELECT f.id, f.user_id, ${model},
           array_cat(
             l2_normalize(ARRAY(SELECT random() - 0.5 FROM generate_series(1, ${dimensions}::int) WHERE f.id IS NOT NULL)::vector)::real[],
             array_fill(0::real, ARRAY[${EMBEDDING_DIMENSIONS - dimensions}::int])
           )::halfvec
    FROM user_facts f`);
}

async function describeTables(db: Database): Promise<Omit<SeedReport, 'seconds'>> {
  const tables = ['users', 'user_facts', 'fact_embeddings'];
  const rows: Record<string, number> = {};
  const sizesMb: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await selectRows<{ n: number; mb: number }>(
      db,
      sql`SELECT count(*)::int AS n, (pg_total_relation_size(${table}::regclass) / 1048576)::int AS mb FROM ${sql.identifier(table)}`,
    );
    rows[table] = row!.n;
    sizesMb[table] = row!.mb;
  }
  return { rows, sizesMb };
}

async function checkpoint(db: Database) {
  try {
    await db.execute(sql`CHECKPOINT`);
  } catch (error) {
    // Needs a superuser or pg_checkpoint; without it the first timed runs may share the disk with it.
    console.warn(`[seed] CHECKPOINT failed, continuing: ${messageOf(error)}`);
  }
}

export function seed(db: Database, options: SeedOptions): Promise<SeedReport> {
  // As the server's superuser (engines.ts), which row-level security does not bind: VACUUM cannot
  // run inside a unit of work's transaction.
  return (async () => {
    const started = performance.now();
    await insertFacts(db, options);
    await insertEmbeddings(db, options);
    await db.execute(sql`VACUUM ANALYZE users, user_facts, fact_embeddings`);
    await checkpoint(db);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    return { seconds, ...(await describeTables(db)) };
  })();
}
