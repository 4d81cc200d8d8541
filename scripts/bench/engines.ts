/**
 * The databases bench:memory runs on, each freshly created and migrated: PGlite in a temporary
 * folder (on disk, as the app keeps it), or a database of its own on the PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres, type Database, type DatabaseHandle, type Engine } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { createStore, type Store } from '@/lib/db/store';
import { scratchAppDatabase } from './scratch-database';

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

/** A fresh database; with `keep`, the one a previous run left (it must exist). */
export async function openBenchPostgres(serverUrl: string, database: string, { keep = false } = {}): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`--database must be a plain lower-case name, got ${database}`);
  const { ownerUrl, appUrl } = await scratchAppDatabase(serverUrl, database, { keep });
  const handles: DatabaseHandle[] = [];
  try {
    const owner = await openPostgres(ownerUrl, 4);
    handles.push(owner);
    // The app's pool: the after-response steps of a turn run on connections of their own.
    const app = await openPostgres(appUrl, 4);
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
