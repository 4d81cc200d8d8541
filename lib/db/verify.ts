/**
 * Checks, at start-up, that the database is one Engram can use: migrated, with pgvector, with
 * an embedding column of the type the code writes, and with row-level security on every table the
 * schema gives a policy. Each failure says what to do.
 */
import { is, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './client';
import { DatabaseSetupError } from './errors';
import { selectRows } from './rows';
import * as schema from './schema';

/** The tables schema.ts puts behind row-level security (users, their data, merges). */
const PROTECTED_TABLES = Object.values(schema as Record<string, unknown>)
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => getTableConfig(table))
  .filter((table) => table.policies.length > 0)
  .map((table) => table.name);

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

  // A database migrated by an older version may lack a policy (users before 0016): requests would
  // then read every user's row, password hashes included.
  const unprotected = await selectRows<{ name: string }>(
    db,
    sql`SELECT relname AS name FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
          AND relname IN (${sql.join(PROTECTED_TABLES.map((name) => sql`${name}`), sql`, `)})
          AND NOT (relrowsecurity AND relforcerowsecurity)
        ORDER BY 1`,
  );
  if (unprotected.length) {
    throw new DatabaseSetupError(
      `${unprotected.map((t) => t.name).join(', ')} ${unprotected.length === 1 ? 'is' : 'are'} not behind FORCEd row-level security: ` +
        'this database was migrated by an older version. Run `npm run db:migrate` (or start with MIGRATE_ON_START=true).',
    );
  }
}
