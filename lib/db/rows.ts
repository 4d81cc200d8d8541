import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
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
 * parses it once, and after five runs PostgreSQL keeps a generic plan when it costs no more than
 * planning each run. For a statement whose generic plan was measured to run as fast as its
 * custom ones (a bad generic plan is slower on every run after the fifth). The name carries a
 * hash of the text, so two texts never share one. On PGlite (in process, nothing to save) and
 * outside a unit, plain selectRows.
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
 * A read as its owner defines it: the statement (prepared under `name`, as selectPreparedRows)
 * and how its rows become the value it answers. Run alone with runRead, or several at once in
 * one statement with runReads.
 */
export interface Read<T> {
  name: string;
  query: SQL;
  value: (rows: Record<string, unknown>[]) => T;
}

/** A Read whose rows have the type its owner says (as selectRows' do). */
export function read<Row extends Record<string, unknown>, T>(name: string, query: SQL, value: (rows: Row[]) => T): Read<T> {
  return { name, query, value: value as (rows: Record<string, unknown>[]) => T };
}

export async function runRead<T>(db: Database, read: Read<T>): Promise<T> {
  return read.value(await selectPreparedRows(db, read.name, read.query));
}

type Values<R extends Record<string, Read<unknown>>> = { [K in keyof R]: R[K] extends Read<infer T> ? T : never };

/**
 * Several reads as one statement, prepared under `name`: one round trip and one connection where
 * each alone would take its own, side by side. Each read's rows come back as a JSON array in a
 * column of its own, in the order its statement gives them (its ORDER BY, under a plain
 * aggregate over it). JSON carries a timestamp as text and a bigint as a number: a read's `value`
 * must take those as its row mapping would take a driver's values.
 */
export async function runReads<R extends Record<string, Read<unknown>>>(db: Database, name: string, reads: R): Promise<Values<R>> {
  const keys = Object.keys(reads);
  const columns = keys.map((key, i) => sql`(SELECT coalesce(json_agg(r), '[]'::json) FROM (${reads[key]!.query}) r) AS ${sql.identifier(`r${i}`)}`);
  const [row] = await selectPreparedRows<Record<string, Record<string, unknown>[]>>(db, name, sql`SELECT ${sql.join(columns, sql`, `)}`);
  return Object.fromEntries(keys.map((key, i) => [key, reads[key]!.value(row![`r${i}`]!)])) as Values<R>;
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
