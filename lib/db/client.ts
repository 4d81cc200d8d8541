/**
 * Opens one of the two engines behind the same Drizzle `Database` type: embedded PGlite (no
 * set-up) or a PostgreSQL server through a node-postgres pool. Same schema, same migrations.
 */
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';
import { lockDataFolder } from './pglite-lock';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Engine = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Database;
  engine: Engine;
  close(): Promise<void>;
}

/**
 * Embedded PGlite with pgvector and pg_trgm. `dataDir` persists it (locked to this process);
 * without one the database lives in memory, which is what the tests use.
 */
export async function openPglite(dataDir?: string): Promise<DatabaseHandle> {
  // Imported here so a server deployment never loads the WASM build.
  const [{ PGlite }, { vector }, { pg_trgm }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('drizzle-orm/pglite'),
  ]);
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataFolder(dataDir);
  }
  try {
    const client = await PGlite.create(dataDir, { extensions: { vector, pg_trgm } });
    return {
      db: drizzle({ client, schema }),
      engine: 'pglite',
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/** Time-outs of the app's connections; none for migrations and benchmarks, whose statements may run long. */
export interface PostgresLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Waiting for a free connection of the pool (or a new one to open). */
  connectTimeoutMs: number;
}

/** A transaction left open this long is a bug: a unit of work never waits on a model. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

export async function openPostgres(url: string, poolMax = 10, limits?: PostgresLimits): Promise<DatabaseHandle> {
  const [{ Pool }, { drizzle }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new Pool({
    connectionString: url,
    max: poolMax,
    ...(limits && {
      statement_timeout: limits.statementTimeoutMs,
      lock_timeout: limits.lockTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectionTimeoutMillis: limits.connectTimeoutMs,
    }),
  });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error('[db] idle PostgreSQL client error:', error.message));
  return {
    db: drizzle({ client: pool, schema }),
    engine: 'postgres',
    close: () => pool.end(),
  };
}
