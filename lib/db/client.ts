/**
 * Opens one of the two engines behind the same Drizzle `Database` type: embedded PGlite (no
 * set-up) or a PostgreSQL server through a node-postgres pool. Same schema, same migrations.
 */
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';
import { currentDataContext } from './user-context';
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

type PgPool = import('pg').Pool;
type PgPoolClient = import('pg').PoolClient & { engramContext?: string };

/**
 * Tags every connection the pool hands out with the running code's data context (see
 * user-context.ts) before it runs anything; a connection already tagged the same costs nothing.
 */
function scopeToDataContext(pool: PgPool) {
  const connect = pool.connect.bind(pool) as () => Promise<PgPoolClient>;
  const scopedConnect = async () => {
    const client = await connect();
    const tag = currentDataContext();
    if (client.engramContext !== tag) {
      try {
        await client.query("SELECT set_config('app.user_id', $1, false)", [tag]);
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      client.engramContext = tag;
    }
    return client;
  };
  // Drizzle uses the promise forms only: connect() for transactions, query() for the rest.
  pool.connect = scopedConnect as PgPool['connect'];
  pool.query = (async (config: unknown, values?: unknown) => {
    const client = await scopedConnect();
    try {
      return await client.query(config as string, values as unknown[]);
    } finally {
      client.release();
    }
  }) as PgPool['query'];
}

export async function openPostgres(url: string, poolMax = 10): Promise<DatabaseHandle> {
  const [{ Pool }, { drizzle }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new Pool({ connectionString: url, max: poolMax });
  scopeToDataContext(pool);
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (error) => console.error('[db] idle PostgreSQL client error:', error.message));
  return {
    db: drizzle({ client: pool, schema }),
    engine: 'postgres',
    close: () => pool.end(),
  };
}
