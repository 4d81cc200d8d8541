/**
 * The database client rate-limiter-flexible's PostgreSQL store talks to, over the app's own
 * store: one code path for both engines (PGlite's client takes `query(text, params)`, not
 * node-postgres's `query({ text, values })`, and the pool is the one the app already has).
 * `rate_limits` holds no user data and has no row-level security, so each statement is a system
 * unit of one statement (one round trip on a server, its BEGIN and COMMIT in the same write),
 * committed asynchronously: a count lost in a crash of the database server only gives a client
 * back an event or two, and a turn's counts before its answer do not wait for the disk.
 */
import { sql, type SQL } from 'drizzle-orm';
import { ONE_STATEMENT_ASYNCHRONOUS, type Store } from '../db/store';

type Row = Record<string, unknown>;

/** The part of a node-postgres client the store uses (its storeType 'client'). */
export interface RateLimitClient {
  query(query: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number }>;
}

export function rateLimitClient(store: Store): RateLimitClient {
  return {
    async query({ text, values = [] }) {
      // node-postgres answers rowCount, PGlite affectedRows; neither shape is in the shared type.
      const result = (await store.asSystem((tx) => tx.execute(withParameters(text, values)), ONE_STATEMENT_ASYNCHRONOUS)) as unknown as {
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
