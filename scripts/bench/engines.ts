/**
 * The databases bench:memory runs on, each freshly created and migrated: PGlite in a temporary
 * folder (on disk, as the app keeps it), or a database of its own on the PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openPglite, openPostgres, type Database, type DatabaseHandle, type Engine } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { createStore, type Store } from '@/lib/db/store';
import { scratchDatabase } from './scratch-database';

export interface BenchDatabase {
  engine: Engine;
  /** Seeds and sets up, as the server's superuser (row-level security does not apply). */
  owner: Database;
  /**
   * Runs the timed work as the app does. On the server that is a role that is not a superuser,
   * so row-level security applies as in production (superusers bypass it).
   */
  app: Store;
  /** Where the data lives, for the report. */
  location: string;
  close(): Promise<void>;
}

export async function openBenchPglite(): Promise<BenchDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'engram-bench-'));
  const handle = await openPglite(dir);
  await migrateDatabase(handle);
  return {
    engine: 'pglite',
    owner: handle.db,
    app: createStore(handle),
    location: dir,
    close: async () => {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const APP_ROLE = 'engram_bench_app';
const APP_PASSWORD = 'bench';

function withUser(url: string, name: string, password: string): string {
  const parsed = new URL(url);
  [parsed.username, parsed.password] = [name, password];
  return parsed.toString();
}

/** The role the timed work connects as; created once per server, so needs a user allowed to. */
async function ensureAppRole(serverUrl: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
           CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${APP_PASSWORD}' NOSUPERUSER;
         END IF;
       END $$`,
    );
  } finally {
    await client.end();
  }
}

export async function openBenchPostgres(serverUrl: string, database: string): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`--database must be a plain lower-case name, got ${database}`);
  await ensureAppRole(serverUrl);
  const url = await scratchDatabase(serverUrl, database);
  const handles: DatabaseHandle[] = [];
  try {
    const owner = await openPostgres(url, 4);
    handles.push(owner);
    await migrateDatabase(owner);
    await owner.db.execute(sql.raw(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`));
    await owner.db.execute(sql.raw(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`));
    // The app's pool: the after-response steps of a turn run on connections of their own.
    const app = await openPostgres(withUser(url, APP_ROLE, APP_PASSWORD), 4);
    handles.push(app);
    return {
      engine: 'postgres',
      owner: owner.db,
      app: createStore(app),
      location: `${new URL(serverUrl).host}/${database}`,
      close: async () => {
        await Promise.all(handles.map((h) => h.close()));
      },
    };
  } catch (error) {
    await Promise.all(handles.map((h) => h.close()));
    throw error;
  }
}
