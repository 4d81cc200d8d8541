/**
 * EXPLAIN (ANALYZE, BUFFERS) of the memory engine's own SQL: the statement a function builds is
 * captured by a stand-in database that records instead of running, then explained, with its
 * parameters, on the real one. Also the server settings a run went under.
 */
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import type { Store } from '@/lib/db/store';
import { readStandings, type DuplicateThresholds, type FactProbe } from '@/lib/memory/dedup';
import { retrieveEpisodes, type EpisodeOptions, type EpisodeQuery } from '@/lib/memory/episodes';
import { retrieveFacts, type RetrieveOptions, type RetrieveQuery } from '@/lib/memory/retrieve';

/** The one statement `run` sends; it must use nothing of Database but `execute`. */
async function captureStatement(what: string, run: (db: Database) => Promise<unknown>): Promise<SQL> {
  const captured: SQL[] = [];
  const recorder = { execute: async (statement: SQL) => (captured.push(statement), { rows: [] }) };
  await run(recorder as unknown as Database);
  if (captured.length !== 1) throw new Error(`expected ${what} to run one statement, it ran ${captured.length}`);
  return captured[0]!;
}

/** The plan lines of `statement`, in a unit of work as the user (so a server applies row-level security). */
export async function explainStatement(store: Store, userId: string, statement: SQL): Promise<string[]> {
  const rows = await store.asUser(userId, (tx) =>
    selectRows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN (ANALYZE, BUFFERS) ${statement}`),
  );
  // The query vector is printed in full wherever the plan mentions it: thousands of digits.
  return rows.map((r) => r['QUERY PLAN'].replace(/'\[[-+0-9.,e]+\]'/g, "'[query vector]'"));
}

export async function explainRetrieval(store: Store, query: RetrieveQuery, options: RetrieveOptions): Promise<string[]> {
  return explainStatement(store, query.userId, await captureStatement('retrieveFacts', (db) => retrieveFacts(db, query, options)));
}

export async function explainEpisodes(store: Store, query: EpisodeQuery, options: EpisodeOptions): Promise<string[]> {
  return explainStatement(store, query.userId, await captureStatement('retrieveEpisodes', (db) => retrieveEpisodes(db, query, options)));
}

/** The writer's read of how a turn's candidate facts stand against the user's current facts (dedup.ts). */
export async function explainStandings(store: Store, probes: FactProbe[], thresholds: DuplicateThresholds): Promise<string[]> {
  return explainStatement(store, probes[0]!.userId, await captureStatement('readStandings', (db) => readStandings(db, probes, thresholds)));
}

/** The settings that decide how the memory engine's queries run, as the app's connections see them. */
export const REPORTED_SETTINGS = [
  'server_version',
  'shared_buffers',
  'effective_cache_size',
  'work_mem',
  'jit',
  'random_page_cost',
  'max_parallel_workers_per_gather',
  'maintenance_work_mem',
  'max_wal_size',
] as const;

// Names of our own constant list, so inlined.
const SETTINGS_SQL = `SELECT name, current_setting(name) AS value FROM unnest('{${REPORTED_SETTINGS.join(',')}}'::text[]) AS name
  UNION ALL SELECT 'pgvector', extversion FROM pg_extension WHERE extname = 'vector'`;

const asRecord = (rows: { name: string; value: string }[]) => Object.fromEntries(rows.map((r) => [r.name, r.value]));

export async function serverSettings(store: Store): Promise<Record<string, string>> {
  const rows = await store.asSystem((tx) =>
    selectRows<{ name: string; value: string }>(tx, sql.raw(SETTINGS_SQL)),
  );
  return asRecord(rows);
}

/** The same settings, read over a connection of its own (a benchmark whose app runs in another process). */
export async function serverSettingsAt(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return asRecord((await client.query<{ name: string; value: string }>(SETTINGS_SQL)).rows);
  } finally {
    await client.end();
  }
}

/** How long a backend may keep its statistics before reporting them (PostgreSQL's PGSTAT_IDLE_INTERVAL is 10 s). */
const STATS_FLUSH_MS = 11_000;

/**
 * The database's block reads so far: found in shared_buffers (`hit`) or read in from the
 * kernel's cache or the disk (`read`). Waits first for idle backends to report theirs, so two
 * calls bracket what ran between them.
 */
export async function blockCounts(db: Database): Promise<{ read: number; hit: number }> {
  await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
  const [row] = await selectRows<{ read: string; hit: string }>(
    db,
    sql`SELECT blks_read AS read, blks_hit AS hit FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { read: Number(row?.read ?? 0), hit: Number(row?.hit ?? 0) };
}
