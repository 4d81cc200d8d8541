/** Applies the committed migrations in drizzle/ to either engine, with errors that say what to do. */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Env } from '../env';
import { openPglite, openPostgres, type Database, type DatabaseHandle, type Engine, type Schema } from './client';
import { DatabaseSetupError } from './errors';
import { selectRows } from './rows';
import { verifyDatabase } from './verify';

export const MIGRATIONS_FOLDER = path.join(process.cwd(), 'drizzle');

/**
 * The server migrations run on, as the role allowed DDL: MIGRATION_DATABASE_URL, else
 * DATABASE_URL. Undefined: the embedded database (PGlite migrates itself at start).
 */
export function migrationDatabaseUrl(settings: Env): string | undefined {
  return settings.MIGRATION_DATABASE_URL ?? settings.DATABASE_URL;
}

/**
 * `npm run db:migrate` and MIGRATE_ON_START: migrates on a connection of its own, opened with
 * the migration URL and closed when done, so the app's own role needs no DDL rights. Without a
 * server URL, the embedded database in DATA_DIR (not while the app holds it).
 */
export async function migrateWithOwnConnection(settings: Env): Promise<Engine> {
  const url = migrationDatabaseUrl(settings);
  const handle = url ? await openPostgres(url, 1) : await openPglite(path.join(settings.DATA_DIR, 'pglite'));
  try {
    await migrateDatabase(handle);
    await verifyDatabase(handle.db);
    return handle.engine;
  } finally {
    await handle.close();
  }
}

/**
 * Applies the migrations not yet applied; a test may stop at an older folder's last one. When it
 * applied any, it then vacuums: a migration that rewrites a table (a new stored column) leaves it
 * without a visibility map, and until one is made every index-only scan of it (the searches of
 * facts and past chats) also reads the table's pages; autovacuum would not come for a long time,
 * and PGlite has none.
 */
export async function migrateDatabase(handle: DatabaseHandle, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  const config = { migrationsFolder };
  try {
    const before = await appliedMigrations(handle.db);
    if (handle.engine === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(handle.db as PgliteDatabase<Schema>, config);
    } else {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await migrate(handle.db as NodePgDatabase<Schema>, config);
    }
    // Outside any transaction (VACUUM cannot run in one); only the tables' owner's are vacuumed.
    if ((await appliedMigrations(handle.db)) > before) await handle.db.execute(sql`VACUUM (ANALYZE)`);
  } catch (error) {
    throw explainMigrationError(error);
  }
}

/** How many migrations the database has had (Drizzle's own journal); none on an empty one. */
async function appliedMigrations(db: Database): Promise<number> {
  const [journal] = await selectRows<{ found: boolean }>(db, sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS found`);
  if (!journal?.found) return 0;
  const [count] = await selectRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return count?.n ?? 0;
}

function explainMigrationError(error: unknown): Error {
  // Drizzle wraps the driver's error; the Postgres message is on the cause.
  const messages = [error, (error as { cause?: unknown })?.cause]
    .map((e) => (e instanceof Error ? e.message : String(e)))
    .join(' ');
  if (/permission denied to create extension/.test(messages)) {
    return new DatabaseSetupError(
      'The database user may not create extensions. As a superuser run ' +
        '`CREATE EXTENSION vector; CREATE EXTENSION pg_trgm;` in this database, then `npm run db:migrate`.',
      { cause: error },
    );
  }
  if (/extension "vector" is not available|vector\.control/.test(messages)) {
    return new DatabaseSetupError(
      'This PostgreSQL server has no pgvector extension, which Engram needs to store embeddings. ' +
        'Install pgvector 0.7 or newer on the server (a managed Postgres usually offers it; with ' +
        'Docker use the pgvector/pgvector image), then run `npm run db:migrate` again.',
      { cause: error },
    );
  }
  if (/extension "pg_trgm" is not available|pg_trgm\.control/.test(messages)) {
    return new DatabaseSetupError(
      'This PostgreSQL server has no pg_trgm extension (part of postgresql-contrib). Install the ' +
        'contrib package on the server, then run `npm run db:migrate` again.',
      { cause: error },
    );
  }
  if (/permission denied|must be owner/.test(messages)) {
    return new DatabaseSetupError(
      `Applying the migrations was refused (${messages.trim()}). Migrations change the schema: run ` +
        'them as the tables\' owner or an admin by setting MIGRATION_DATABASE_URL (for ' +
        '`npm run db:migrate` and MIGRATE_ON_START); the app\'s own DATABASE_URL role needs only to read and write rows.',
      { cause: error },
    );
  }
  return new DatabaseSetupError(`Applying the migrations failed: ${messages.trim()}`, { cause: error });
}
