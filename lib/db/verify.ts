/**
 * Checks, at start-up, that the database is one Engram can use: migrated, with pgvector, and with
 * an embedding column of the type the code writes. Each failure says what to do.
 */
import { sql } from 'drizzle-orm';
import type { Database } from './client';
import { DatabaseSetupError } from './errors';
import { selectRows } from './rows';

export async function verifyDatabase(db: Database): Promise<void> {
  const rows = await selectRows<{ extname: string }>(
    db,
    sql`SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_trgm')`,
  );
  const installed = new Set(rows.map((r) => r.extname));
  if (!installed.has('vector')) {
    throw new DatabaseSetupError(
      'The database has no pgvector extension. Run `npm run db:migrate` (or start with ' +
        'MIGRATE_ON_START=true); if that fails, install pgvector on the PostgreSQL server first.',
    );
  }
  if (!installed.has('pg_trgm')) {
    throw new DatabaseSetupError('The database has no pg_trgm extension. Run `npm run db:migrate`.');
  }

  const column = await selectRows<{ type: string | null }>(
    db,
    sql`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = to_regclass('public.fact_embeddings') AND attname = 'embedding'`,
  );
  const type = column[0]?.type;
  if (!type) {
    throw new DatabaseSetupError(
      'The database has no Engram tables yet. Run `npm run db:migrate`, or start with MIGRATE_ON_START=true.',
    );
  }
  // Vectors are stored at their embedder's own width (migration 0012), so the column has none.
  if (type !== 'halfvec') {
    throw new DatabaseSetupError(
      `fact_embeddings.embedding is ${type}, but Engram writes halfvec of any width. This database was made ` +
        'by another version or by hand: migrate it with `npm run db:migrate`, or point DATABASE_URL ' +
        'at a fresh database.',
    );
  }
}
