import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { unitConnection, type Database } from './client';

/**
 * Runs raw SQL (pgvector operators, catalog queries) and returns its rows. Both drivers answer
 * `db.execute` with an object carrying `rows`; the shared Database type cannot say so.
 */
export async function selectRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * selectRows as a named prepared statement, in a unit of work on a server: each connection
 * parses it once and plans it once, generically (unit-connection.ts). For a statement whose
 * generic plan was measured to run as fast as its custom ones (a bad generic plan is slower on
 * every run). The name carries a hash of the text, so two texts never share one. On PGlite (in
 * process, nothing to save) and outside a unit, plain selectRows.
 */
export async function selectPreparedRows<T extends Record<string, unknown>>(db: Database, name: string, query: SQL): Promise<T[]> {
  const connection = unitConnection(db);
  if (!connection) return selectRows<T>(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const result = await connection.query<T>({ name: `${name}_${hash}`, text, values: params });
  return result.rows;
}

/**
 * A write that rides in another module's statement, as its leading CTEs: one round trip instead
 * of two. The write's owner builds it; the carrier puts `ctes` first in its WITH and answers
 * whether `took` (a boolean over the CTEs' results) held. A data-modifying CTE runs whatever the
 * rest of the statement reads, and the rest reads the snapshot from before it.
 */
export interface StatementRider {
  /** Named CTEs, comma-separated, without WITH. */
  ctes: SQL;
  /** Whether the write took place, as an expression the carrier's final SELECT can evaluate. */
  took: SQL;
}
