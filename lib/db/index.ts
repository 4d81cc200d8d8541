/**
 * The app's database: one handle per process, chosen by the settings. PGlite is migrated at
 * start; a PostgreSQL server when MIGRATE_ON_START is set (else by `npm run db:migrate`), as the
 * role of MIGRATION_DATABASE_URL. In production the app's own role must be one row-level
 * security applies to (app-role.ts).
 */
import path from 'node:path';
import { env, type Env } from '../env';
import { openPglite, openPostgres, type DatabaseHandle } from './client';
import { assertUnprivilegedRole } from './app-role';
import { migrateDatabase, migrateWithOwnConnection } from './migrate';
import { verifyDatabase } from './verify';

export type { Database, DatabaseHandle, Engine } from './client';

/** The engine the settings choose, opened but not migrated. */
export function openDatabase(settings: Env = env()): Promise<DatabaseHandle> {
  return settings.DATABASE_URL
    ? openPostgres(settings.DATABASE_URL, settings.DATABASE_POOL_MAX, {
        statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS,
        lockTimeoutMs: settings.DATABASE_LOCK_TIMEOUT_MS,
        connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS,
        idleTimeoutMs: settings.DATABASE_POOL_IDLE_SECONDS * 1000,
      })
    : openPglite(path.join(settings.DATA_DIR, 'pglite'));
}

async function openConfiguredDatabase(): Promise<DatabaseHandle> {
  const settings = env();
  // On a server, as the migration role on a connection of its own: the app's role may not do DDL.
  if (settings.DATABASE_URL && settings.MIGRATE_ON_START) await migrateWithOwnConnection(settings);
  const handle = await openDatabase(settings);
  try {
    await assertUnprivilegedRole(handle.db, settings);
    if (handle.engine === 'pglite') await migrateDatabase(handle);
    await verifyDatabase(handle.db);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

// Kept on globalThis so `next dev` reloads reuse the open database instead of opening it twice.
const holder = globalThis as typeof globalThis & { engramDatabase?: Promise<DatabaseHandle> };

export function getDatabase(): Promise<DatabaseHandle> {
  holder.engramDatabase ??= openConfiguredDatabase().catch((error: unknown) => {
    holder.engramDatabase = undefined;
    throw error;
  });
  return holder.engramDatabase;
}
