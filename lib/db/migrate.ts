/** Applies the committed migrations in drizzle/ to either engine, with errors that say what to do. */
import path from 'node:path';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { DatabaseHandle, Schema } from './client';
import { DatabaseSetupError } from './errors';

export const MIGRATIONS_FOLDER = path.join(process.cwd(), 'drizzle');

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  try {
    if (handle.engine === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(handle.db as PgliteDatabase<Schema>, config);
    } else {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await migrate(handle.db as NodePgDatabase<Schema>, config);
    }
  } catch (error) {
    throw explainMigrationError(error);
  }
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
  return new DatabaseSetupError(`Applying the migrations failed: ${messages.trim()}`, { cause: error });
}
