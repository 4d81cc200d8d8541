/**
 * The app's database: one handle per process, chosen by the settings. PGlite is migrated at
 * start; a PostgreSQL server when MIGRATE_ON_START is set (else by `npm run db:migrate`).
 */
import path from 'node:path';
import { env } from '../env';
import { openPglite, openPostgres, type DatabaseHandle } from './client';
import { migrateDatabase } from './migrate';
import { verifyDatabase } from './verify';

export type { Database, DatabaseHandle, Engine } from './client';

export async function openConfiguredDatabase(): Promise<DatabaseHandle> {
  const settings = env();
  const handle = settings.DATABASE_URL
    ? await openPostgres(settings.DATABASE_URL, settings.DATABASE_POOL_MAX)
    : await openPglite(path.join(settings.DATA_DIR, 'pglite'));
  try {
    if (handle.engine === 'pglite' || settings.MIGRATE_ON_START) await migrateDatabase(handle);
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
