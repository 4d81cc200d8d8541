import type { SQL } from 'drizzle-orm';
import type { Database } from './client';

/**
 * Runs raw SQL (pgvector operators, catalog queries) and returns its rows. Both drivers answer
 * `db.execute` with an object carrying `rows`; the shared Database type cannot say so.
 */
export async function selectRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
