/**
 * The database client rate-limiter-flexible's PostgreSQL store talks to, over the app's own
 * Drizzle handle: one code path for both engines (PGlite's client takes `query(text, params)`,
 * not node-postgres's `query({ text, values })`, and the pool is the one the app already has).
 * Its statements run outside any unit of work: `rate_limits` holds no user data and has no
 * row-level security, and each check stays one statement (no BEGIN, no set_config).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';

type Row = Record<string, unknown>;

/** The part of a node-postgres client the store uses (its storeType 'client'). */
export interface RateLimitClient {
  query(query: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number }>;
}

export function rateLimitClient(db: Database): RateLimitClient {
  return {
    async query({ text, values = [] }) {
      // node-postgres answers rowCount, PGlite affectedRows; neither shape is in the shared type.
      const result = (await db.execute(withParameters(text, values))) as unknown as {
        rows: Row[];
        rowCount?: number | null;
        affectedRows?: number;
      };
      return { rows: result.rows.map(withNumbers), rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
    },
  };
}

/** `$1`-style placeholders as Drizzle parameters; one used twice becomes two parameters of one value. */
export function withParameters(text: string, values: unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  return sql.join(parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1]}`)));
}

/**
 * `expire` is a bigint column: PGlite may answer it as a BigInt, which the library's arithmetic
 * with Date.now() cannot mix (node-postgres answers a string, which it can).
 */
function withNumbers(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value]));
}
