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
import type { Database, DatabaseHandle, Engine, UnitsPerUser } from './client';
import { ConnectionLostError, isConnectionLost, UserBusyError } from './errors';
import { isUserId, SYSTEM_CONTEXT } from './unit-context';

export { isUserId, SYSTEM_CONTEXT };

export type Unit<T> = (tx: Database) => Promise<T>;

/** What a unit says of itself so that it costs fewer round trips. */
export interface UnitShape {
  /**
   * The work sends exactly one statement: on a server its COMMIT goes with it, so the unit is
   * one round trip. A second statement fails the unit.
   */
  oneStatement?: boolean;
  /**
   * PostgreSQL's asynchronous commit, for this unit only (`synchronous_commit` off in its
   * transaction): its COMMIT does not wait for the write-ahead log to reach the disk. A crash of
   * the database server may then lose the last fraction of a second of such units, each whole,
   * never a unit committed without it after them. Only for writes whose loss costs nothing a
   * person relies on: work that is done again (a turn's learning, which the sweep redoes; a
   * conversation's summary or title, which the next turn's work writes), or a count whose loss
   * is harmless (a rate limit's).
   */
  asynchronousCommit?: boolean;
}

/** The shape of a unit that sends one statement. */
export const ONE_STATEMENT: UnitShape = { oneStatement: true };

/** The shape of a unit that commits asynchronously (UnitShape.asynchronousCommit). */
export const ASYNCHRONOUS_COMMIT: UnitShape = { asynchronousCommit: true };

/** The shape of a unit that sends one statement and commits it asynchronously. */
export const ONE_STATEMENT_ASYNCHRONOUS: UnitShape = { ...ONE_STATEMENT, ...ASYNCHRONOUS_COMMIT };

/**
 * What a unit sets first: whose unit it is and, for an asynchronous commit, that its COMMIT does
 * not wait for the disk. `who` is a validated UUID or SYSTEM_CONTEXT, so it can be a literal:
 * the statement then needs no parameters, and on a server goes out with the unit's first one.
 */
const unitSettings = (who: string, shape: UnitShape) =>
  `SELECT set_config('app.user_id', '${who}', true)${shape.asynchronousCommit ? `, set_config('synchronous_commit', 'off', true)` : ''}`;

/**
 * How a unit fails when the database does: a lost connection as ConnectionLostError, one user's
 * units beyond their share of the pool as UserBusyError (both DatabaseUnavailableError, errors.ts).
 */
export interface Store {
  readonly engine: Engine;
  /** Runs `work` in one transaction that sees and writes `userId`'s rows only. */
  asUser<T>(userId: string, work: Unit<T>, shape?: UnitShape): Promise<T>;
  /**
   * Like asUser, in a READ ONLY transaction (a write in it fails), run a second time on a fresh
   * connection if the first lost its connection: a read can be repeated, a write could land twice.
   */
  readAsUser<T>(userId: string, work: Unit<T>, shape?: UnitShape): Promise<T>;
  /** Runs `work` in one transaction across users: the nightly job, the sweep, sign-in, a merge, a rate limit. */
  asSystem<T>(work: Unit<T>, shape?: UnitShape): Promise<T>;
}

export function createStore({ db, engine, unitsPerUser, transaction: serverTransaction }: Pick<DatabaseHandle, 'db' | 'engine' | 'unitsPerUser' | 'transaction'>): Store {
  const transaction = <T>(who: string, work: Unit<T>, readOnly: boolean, shape: UnitShape): Promise<T> => {
    if (serverTransaction) {
      const opening = [readOnly ? 'BEGIN READ ONLY' : 'BEGIN', unitSettings(who, shape)];
      return serverTransaction(opening, shape.oneStatement ?? false, work);
    }
    let failure: { error: unknown } | undefined;
    return db
      .transaction(
        async (tx) => {
          try {
            await tx.execute(sql.raw(unitSettings(who, shape)));
            return await work(tx);
          } catch (error) {
            failure = { error };
            throw error;
          }
        },
        readOnly ? { accessMode: 'read only' } : undefined,
      )
      .catch((error: unknown) => {
        // On a lost connection the ROLLBACK fails too; what failed the work says what happened.
        throw failure ? failure.error : error;
      });
  };
  const unit = async <T>(who: string, work: Unit<T>, readOnly: boolean, shape: UnitShape = {}): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transaction(who, work, readOnly, shape);
      } catch (error) {
        if (!isConnectionLost(error)) throw error;
        if (!readOnly || attempt === 2) throw new ConnectionLostError({ cause: error });
      }
    }
  };
  const limit = unitsPerUser ? perUserLimit(unitsPerUser) : <T>(_userId: string, run: () => Promise<T>) => run();
  const asUser = <T>(userId: string, work: Unit<T>, readOnly: boolean, shape?: UnitShape): Promise<T> => {
    // Only a user id can name a user: never the system context, never an empty one.
    if (!isUserId(userId)) return Promise.reject(new Error(`Not a user id: ${JSON.stringify(userId).slice(0, 60)}`));
    return limit(userId, () => unit(userId, work, readOnly, shape));
  };
  return {
    engine,
    asUser: (userId, work, shape) => asUser(userId, work, false, shape),
    readAsUser: (userId, work, shape) => asUser(userId, work, true, shape),
    asSystem: (work, shape) => unit(SYSTEM_CONTEXT, work, false, shape),
  };
}

/**
 * At most `max` units of one user at once; the next wait their turn in order, each for at most
 * `waitMs`, then fail with UserBusyError. Per process: each instance caps its own pool.
 */
function perUserLimit({ max, waitMs }: UnitsPerUser) {
  const users = new Map<string, { running: number; waiting: (() => void)[] }>();
  return async <T>(userId: string, run: () => Promise<T>): Promise<T> => {
    let user = users.get(userId);
    if (!user) users.set(userId, (user = { running: 0, waiting: [] }));
    const slots = user;
    if (slots.running < max) slots.running += 1;
    else {
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          slots.waiting.splice(slots.waiting.indexOf(turn), 1);
          reject(new UserBusyError(waitMs));
        }, waitMs);
        slots.waiting.push(turn);
      });
    }
    try {
      return await run();
    } finally {
      // A finished unit hands its slot straight to the next in line.
      const next = slots.waiting.shift();
      if (next) next();
      else if ((slots.running -= 1) === 0) users.delete(userId);
    }
  };
}
