/**
 * Acting as someone on the database. Every read and write of user data runs in a unit of work:
 * one short transaction whose first statement says whose data it is, with a transaction-local
 * `set_config('app.user_id', …, true)`. Row-level security then lets the unit see that user's
 * rows only: the second wall behind every query's own `user_id` filter. The user travels as an
 * argument, never as module state, so a bundler that copies a module cannot split who is set
 * from who is read; and a connection goes back to the pool carrying no user.
 *
 * A unit wraps database work only, never a model call or a stream: it holds a pooled connection
 * (and, on PGlite, the one connection) until it commits, and what it writes is invisible until
 * then. Units never nest: a unit that waited on another would hold two connections, and on
 * PGlite it would wait for itself.
 */
import { sql } from 'drizzle-orm';
import type { Database, DatabaseHandle, Engine } from './client';

/** The app.user_id of jobs that span users; the policies let it see every row. */
export const SYSTEM_CONTEXT = 'system';

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` can name a user (a UUID): never the system context, never empty. */
export const isUserId = (value: string): boolean => USER_ID.test(value);

export type Unit<T> = (tx: Database) => Promise<T>;

export interface Store {
  readonly engine: Engine;
  /** Runs `work` in one transaction that sees and writes `userId`'s rows only. */
  asUser<T>(userId: string, work: Unit<T>): Promise<T>;
  /** Runs `work` in one transaction across users: the nightly job, the sweep, sign-in, a merge. */
  asSystem<T>(work: Unit<T>): Promise<T>;
}

export function createStore({ db, engine }: Pick<DatabaseHandle, 'db' | 'engine'>): Store {
  const unit = <T>(who: string, work: Unit<T>): Promise<T> =>
    db.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('app.user_id', ${who}, true)`);
      return work(tx);
    });
  return {
    engine,
    asUser(userId, work) {
      // Only a user id can name a user: never the system context, never an empty one.
      if (!isUserId(userId)) return Promise.reject(new Error(`Not a user id: ${JSON.stringify(userId).slice(0, 60)}`));
      return unit(userId, work);
    },
    asSystem: (work) => unit(SYSTEM_CONTEXT, work),
  };
}
