/**
 * EXPLAIN ANALYZE of the retriever's own SQL: the statement retrieveFacts builds is captured by a
 * stand-in database that records instead of running, then explained, with its parameters, on
 * the real one.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import type { Store } from '@/lib/db/store';
import { retrieveFacts, type RetrieveOptions, type RetrieveQuery } from '@/lib/memory/retrieve';

async function retrievalSql(query: RetrieveQuery, options: RetrieveOptions): Promise<SQL> {
  const captured: SQL[] = [];
  // retrieveFacts runs one statement, through db.execute; nothing else of Database is used.
  const recorder = { execute: async (statement: SQL) => (captured.push(statement), { rows: [] }) };
  await retrieveFacts(recorder as unknown as Database, query, options);
  if (captured.length !== 1) throw new Error(`expected retrieveFacts to run one statement, it ran ${captured.length}`);
  return captured[0]!;
}

/** The plan lines, in a unit of work as the user (so a server applies row-level security). */
export async function explainRetrieval(store: Store, query: RetrieveQuery, options: RetrieveOptions): Promise<string[]> {
  const statement = await retrievalSql(query, options);
  const rows = await store.asUser(query.userId, (tx) =>
    selectRows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN (ANALYZE, BUFFERS) ${statement}`),
  );
  // The query vector is printed in full wherever the plan mentions it: thousands of digits.
  return rows.map((r) => r['QUERY PLAN'].replace(/'\[[-+0-9.,e]+\]'/g, "'[query vector]'"));
}
