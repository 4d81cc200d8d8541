/**
 * Opens one of the two engines behind the same Drizzle `Database` type: embedded PGlite (no
 * set-up) or a PostgreSQL server through a node-postgres pool. Same schema, same migrations.
 */
import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PoolClient } from 'pg';
import * as schema from './schema';
import { lockDataFolder } from './pglite-lock';
import { unitConnectionOf, type UnitConnection } from './unit-connection';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Engine = 'pglite' | 'postgres';

/**
 * Runs `work` in a transaction on one connection, opened by `opening`: statements of constants
 * (BEGIN, the unit's settings) sent with the work's first statement, and with `oneStatement`
 * the COMMIT too (unit-connection.ts).
 */
export type RunInTransaction = <T>(opening: readonly string[], oneStatement: boolean, work: (db: Database) => Promise<T>) => Promise<T>;

export interface DatabaseHandle {
  db: Database;
  engine: Engine;
  /** The server's transactions (PGlite, in process, has no round trips to save: Drizzle's own). */
  transaction?: RunInTransaction;
  close(): Promise<void>;
  /** How many units of work one user may run at once, and how long the next may wait; unset: no cap. */
  unitsPerUser?: UnitsPerUser;
}

export interface UnitsPerUser {
  max: number;
  waitMs: number;
}

/**
 * Embedded PGlite with pgvector and pg_trgm. `dataDir` persists it (locked to this process);
 * without one the database lives in memory, which is what the tests use.
 */
export async function openPglite(dataDir?: string): Promise<DatabaseHandle> {
  // Imported here so a server deployment never loads the WASM build.
  const [{ PGlite }, { vector }, { pg_trgm }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('drizzle-orm/pglite'),
  ]);
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataFolder(dataDir);
  }
  try {
    const client = await PGlite.create(dataDir, { extensions: { vector, pg_trgm } });
    return {
      db: drizzle({ client, schema }),
      engine: 'pglite',
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * Each server unit's session carries its connection, for what Drizzle cannot send (rows.ts,
 * commitWithNext), under a key of the runtime's symbol registry rather than in a module's own map:
 * Next.js bundles a module once per layer, so the route handlers' copy of this module is not the
 * one that opened the pool, and a map of one copy is empty in the other (commitWithNext and rows.ts's
 * prepared statements then quietly fell back to their slower forms).
 */
const UNIT_CONNECTION = Symbol.for('engram.unitConnection');

type WithConnection = { [UNIT_CONNECTION]?: UnitConnection };

/** The connection a unit of work runs on; undefined on PGlite and outside a unit. */
export const unitConnection = (db: Database): UnitConnection | undefined => (db as WithConnection)[UNIT_CONNECTION];

/**
 * Inside a unit of work: its next statement is its last, so on a server its COMMIT goes with it
 * (UnitConnection.commitWithNext; the work must not fail after it counting on a rollback). On
 * PGlite, in process, there is nothing to save and the unit commits at its end as before.
 */
export function commitWithNext(tx: Database): void {
  unitConnection(tx)?.commitWithNext();
}

/** Time-outs of the app's connections; none for migrations and benchmarks, whose statements may run long. */
export interface PostgresLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Waiting for a free connection of the pool (or a new one to open). */
  connectTimeoutMs: number;
  /** How long a connection beyond the kept ones may sit idle before it closes; 0: never. */
  idleTimeoutMs: number;
}

/** A transaction left open this long is a bug: a unit of work never waits on a model. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** How the app's connections show in pg_stat_activity, unless the URL names another application_name. */
export const APPLICATION_NAME = 'engram';

/**
 * With limits (the app's pool), one user's units of work may hold at most a third of the pool, so
 * a stuck request of one user (a held row lock, say) leaves the rest to everyone else.
 */
export async function openPostgres(url: string, poolMax = 10, limits?: PostgresLimits): Promise<DatabaseHandle> {
  const [{ Pool, Query }, { drizzle }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new Pool({
    // A default: node-postgres lets the URL's own application_name win.
    application_name: APPLICATION_NAME,
    connectionString: url,
    max: poolMax,
    ...(limits && {
      statement_timeout: limits.statementTimeoutMs,
      lock_timeout: limits.lockTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      connectionTimeoutMillis: limits.connectTimeoutMs,
      idleTimeoutMillis: limits.idleTimeoutMs,
      // A new connection costs a turn far more than its open and log-in: PostgreSQL's new process
      // loads its catalog caches and plans the prepared statements again (a turn after a pause
      // longer than node-postgres's default 10 s waited about 130 ms more before its answer; README,
      // "A chat turn under load"). As many as one user's units may hold stay open however long
      // the app idles, so a person's next message, after any pause, finds them.
      min: Math.ceil(poolMax / 3),
    }),
  });
  // node-postgres reports a dropped connection as an 'error' event on its client, and the pool
  // listens only while the client is idle: on a client a unit has checked out (between two
  // statements of its transaction) the event had no listener and became an uncaughtException.
  // The unit sees the loss anyway, as the failure of its next statement; here it is only logged.
  pool.on('connect', (client) => {
    let logged = false;
    client.on('error', (error) => {
      if (!logged) console.error('[db] PostgreSQL connection lost:', error.message);
      logged = true;
    });
  });
  // The pool re-emits an idle client's error once it has dropped that client: logged above already.
  pool.on('error', () => {});
  // One Drizzle session per pooled connection, made once: units run on the connection directly.
  // No schema: the relational query API (db.query) is not used, and it would be rebuilt per session.
  const unitConnectionFor = unitConnectionOf(Query);
  const units = new WeakMap<PoolClient, { connection: UnitConnection; session: Database }>();
  const unitOf = (client: PoolClient) => {
    let unit = units.get(client);
    if (!unit) {
      const connection = unitConnectionFor(client);
      // The cast: Drizzle's session calls only `query(config, values)`, which UnitConnection has.
      const session = drizzle({ client: connection as unknown as PoolClient }) as unknown as Database;
      units.set(client, (unit = { connection, session }));
      Object.defineProperty(session, UNIT_CONNECTION, { value: connection });
    }
    return unit;
  };
  const transaction: RunInTransaction = async (opening, oneStatement, work) => {
    const client = await pool.connect();
    const { connection, session } = unitOf(client);
    connection.begin(opening, oneStatement);
    let broken: Error | undefined;
    try {
      const result = await work(session);
      if (connection.end() === 'open') await client.query('COMMIT');
      return result;
    } catch (error) {
      // Committed with its last statement, the unit failed after it: nothing is left to end.
      if (connection.end() === 'committed') throw error;
      // A ROLLBACK that fails means the connection is gone: the pool must not hand it out again.
      await client.query('ROLLBACK').catch((lost: unknown) => {
        broken = lost instanceof Error ? lost : new Error(String(lost));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  };
  return {
    db: drizzle({ client: pool, schema }),
    engine: 'postgres',
    transaction,
    close: () => pool.end(),
    ...(limits && { unitsPerUser: { max: Math.ceil(poolMax / 3), waitMs: limits.connectTimeoutMs } }),
  };
}
