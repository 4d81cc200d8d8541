/**
 * The engine an integration suite runs on: vitest runs the suite once per engine (see
 * vitest.config.ts), in-memory PGlite always and a PostgreSQL server when TEST_DATABASE_URL is
 * set. Each suite gets a database of its own, migrated from empty.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import pg from 'pg';
import { openPglite, openPostgres, type Database, type DatabaseHandle, type Engine } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';

const serverUrl = process.env.TEST_DATABASE_URL;
export const testEngine: Engine = process.env.TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';
if (testEngine === 'postgres' && !serverUrl) throw new Error('TEST_ENGINE=postgres needs TEST_DATABASE_URL');

async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database: in-memory PGlite, or a fresh database on the test server. */
export async function openEmptyDatabase(engine: Engine): Promise<DatabaseHandle> {
  if (engine === 'pglite') return openPglite();
  const name = `engram_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  const handle = await openPostgres(url.toString(), 4);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export async function openTestDatabase(engine: Engine): Promise<DatabaseHandle> {
  const handle = await openEmptyDatabase(engine);
  await migrateDatabase(handle);
  return handle;
}

/**
 * A suite with a migrated database of its own, shared by its tests (tests isolate themselves by
 * creating their own users).
 */
export function describeOnEngine(title: string, suite: (db: () => Database, engine: Engine) => void) {
  describe(title, () => {
    let handle: DatabaseHandle | undefined;
    beforeAll(async () => {
      handle = await openTestDatabase(testEngine);
    });
    afterAll(async () => {
      await handle?.close();
    });
    suite(() => {
      if (!handle) throw new Error('database not open');
      return handle.db;
    }, testEngine);
  });
}
