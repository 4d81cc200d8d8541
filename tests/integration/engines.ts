/**
 * The engine an integration suite runs on: vitest runs the suite once per engine (see
 * vitest.config.ts), in-memory PGlite always and a PostgreSQL server when TEST_DATABASE_URL is
 * set. Each suite gets a database of its own, migrated from empty. On the server, the app's
 * units of work connect as a plain role, as in production, so row-level security binds them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openPglite, openPostgres, type Database, type DatabaseHandle, type Engine } from '@/lib/db/client';
import { ensureAppRole } from '@/lib/db/app-role';
import { selectRows } from '@/lib/db/rows';
import { migrateDatabase } from '@/lib/db/migrate';
import { createStore, type Store } from '@/lib/db/store';

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

/** The role the app's units of work connect as on the server: no superuser, no BYPASSRLS. */
export const TEST_APP_ROLE = { name: 'engram_test_app', password: 'engram-test-app' };

/**
 * What a suite works with: `db`, the database as its owner (set-up and checks; on the server a
 * superuser, which row-level security does not bind), and `store`, the app's units of work.
 */
export interface TestDatabase extends DatabaseHandle {
  store: Store;
  /** The app role's own connection pool, under the store: for checking what a unit leaves behind. */
  app: Database;
}

export async function openTestStore(engine: Engine): Promise<TestDatabase> {
  const owner = await openTestDatabase(engine);
  if (engine === 'pglite') return { ...owner, store: createStore(owner), app: owner.db };
  const url = new URL(serverUrl!);
  const database = (await selectRows<{ name: string }>(owner.db, sql`SELECT current_database() AS name`))[0]!.name;
  url.pathname = `/${database}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await ensureAppRole(admin, TEST_APP_ROLE);
  } finally {
    await admin.end();
  }
  [url.username, url.password] = [TEST_APP_ROLE.name, TEST_APP_ROLE.password];
  const app = await openPostgres(url.toString(), 4);
  return {
    ...owner,
    store: createStore(app),
    app: app.db,
    close: async () => {
      await app.close();
      await owner.close();
    },
  };
}

/**
 * A suite with a migrated database of its own, shared by its tests (tests isolate themselves by
 * creating their own users).
 */
export function describeOnEngine(title: string, suite: (db: () => Database, engine: Engine, store: () => Store) => void) {
  describe(title, () => {
    let handle: TestDatabase | undefined;
    beforeAll(async () => {
      handle = await openTestStore(testEngine);
    });
    afterAll(async () => {
      await handle?.close();
    });
    const open = () => {
      if (!handle) throw new Error('database not open');
      return handle;
    };
    suite(() => open().db, testEngine, () => open().store);
  });
}
