/**
 * A server unit of work's connection, whose opening (BEGIN and whose unit it is) goes out with
 * the unit's first statement: one write and one round trip instead of two. A unit of one
 * statement sends its COMMIT with it too: one round trip for the whole unit. The profile of a
 * chat turn put most of the app's socket writes in node-postgres's statements, one write each,
 * more than half of them BEGINs and COMMITs.
 *
 * How: the extended protocol runs every Execute up to a Sync in order, so the opening (and the
 * COMMIT) are sent as Parse/Bind/Execute messages of their own around the statement's, with one
 * Sync after them all. Their results (a command tag each, a row for set_config) are skipped. If
 * one fails, the backend skips the rest up to the Sync, and the error is the statement's.
 */
import type { Connection, PoolClient, QueryConfig, QueryResult, QueryResultRow, Submittable } from 'pg';

/** What of node-postgres's Query this subclass relies on (its typings declare only `submit`). */
interface QueryInternals {
  queryMode?: string;
  portal: string;
  callback?: (error: Error | undefined, result: QueryResult) => void;
  prepare(connection: Connection): void;
  _getRows(connection: Connection, rows?: number): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: Connection): void;
}
type QueryClass = new (config: QueryConfig, values?: unknown[]) => QueryInternals;
/** The protocol messages of node-postgres's Connection that the opening and closing use. */
interface ProtocolWriter {
  parse(message: { text: string }): void;
  bind(message: object): void;
  execute(message: object): void;
  sync(): void;
}

/** Where a unit stands: nothing sent yet, a transaction open, or committed with its statement. */
export type UnitState = 'unopened' | 'open' | 'committed';

export interface UnitConnection {
  /** node-postgres's `query(config, values)`, as Drizzle's session and rows.ts call it. */
  query<R extends QueryResultRow>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>>;
  /**
   * Readies the connection for a unit: `opening` goes out with its first statement, and with
   * `oneStatement` so does the COMMIT (a second statement then fails, outside any transaction).
   */
  begin(opening: readonly string[], oneStatement: boolean): void;
  /**
   * The unit's next statement is its last: its COMMIT goes with it, one round trip saved. For a
   * statement whose result can no longer undo the unit: a failure of the statement itself still
   * does (its COMMIT is then skipped), but the work failing after it does not. A statement after
   * it fails, outside any transaction.
   */
  commitWithNext(): void;
  /** Ends the unit: what, of its transaction, is left to end. */
  end(): UnitState;
}

/**
 * A named (prepared) statement runs on its generic plan from its first run, planned once per
 * connection. Left to itself, PostgreSQL plans the first five runs on each connection for their
 * values before it settles on that same generic plan: for a turn's three reads, 1-2 ms each at
 * Bind against 0.1-0.7 ms to execute, on the first turns of every new connection (a pool that
 * grows under load, an instance that starts). The setting is the transaction's, put back after
 * the statement, so the unit's other statements are planned as before.
 */
const GENERIC_PLAN = 'SET LOCAL plan_cache_mode = force_generic_plan';
const AUTO_PLAN = 'SET LOCAL plan_cache_mode = DEFAULT';

/** Builds, for a pool, the UnitConnection of each of its clients. */
export function unitConnectionOf(Query: typeof import('pg').Query): (client: PoolClient) => UnitConnection {
  // The cast: node-postgres's Query exposes the protocol hooks below, its typings do not.
  const Base = Query as unknown as QueryClass;
  const send = (writer: ProtocolWriter, statements: readonly string[]) => {
    for (const text of statements) {
      writer.parse({ text });
      writer.bind({});
      writer.execute({});
    }
  };

  class UnitQuery extends Base {
    /** Command tags still to skip: the opening's, before the statement's own. */
    private before: number;
    private answered = false;
    constructor(
      config: QueryConfig,
      values: unknown[] | undefined,
      private readonly opening: readonly string[],
      private readonly closing: readonly string[],
    ) {
      super(config, values);
      this.before = opening.length;
      // A statement without parameters would go as a simple query, which can carry nothing else.
      this.queryMode = 'extended';
    }
    override prepare(connection: Connection): void {
      send(connection as unknown as ProtocolWriter, this.opening);
      super.prepare(connection);
    }
    override _getRows(connection: Connection, rows?: number): void {
      if (rows || !this.closing.length) return super._getRows(connection, rows);
      const writer = connection as unknown as ProtocolWriter;
      writer.execute({ portal: this.portal });
      send(writer, this.closing);
      writer.sync();
    }
    override handleDataRow(message: unknown): void {
      if (this.before === 0 && !this.answered) super.handleDataRow(message);
    }
    override handleCommandComplete(message: unknown, connection: Connection): void {
      if (this.before > 0) this.before -= 1;
      else if (!this.answered) {
        this.answered = true;
        super.handleCommandComplete(message, connection);
      }
    }
  }

  return (client) => {
    let opening: readonly string[] | undefined;
    let closing: readonly string[] = [];
    let state: UnitState = 'unopened';
    return {
      query<R extends QueryResultRow>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>> {
        if (state === 'committed') return Promise.reject(new Error('A unit sent a statement after the one its COMMIT went with.'));
        const named = typeof config !== 'string' && config.name !== undefined;
        if (!opening && !closing.length && !named) return client.query<R>(config, values);
        const query = new UnitQuery(
          typeof config === 'string' ? { text: config } : config,
          values,
          named ? [...(opening ?? []), GENERIC_PLAN] : (opening ?? []),
          named ? [AUTO_PLAN, ...closing] : closing,
        );
        opening = undefined;
        state = closing.length ? 'committed' : 'open';
        return new Promise((resolve, reject) => {
          query.callback = (error, result) => {
            if (!error) return resolve(result as QueryResult<R>);
            // Its COMMIT was skipped: the transaction is still there, to be ended.
            if (state === 'committed') state = 'open';
            reject(error);
          };
          // The cast: UnitQuery is a Submittable through its base, which QueryClass does not say.
          client.query(query as unknown as Submittable);
        });
      },
      begin(statements, oneStatement) {
        opening = statements;
        closing = oneStatement ? ['COMMIT'] : [];
        state = 'unopened';
      },
      commitWithNext() {
        closing = ['COMMIT'];
      },
      end() {
        const ended = state;
        opening = undefined;
        closing = [];
        state = 'unopened';
        return ended;
      },
    };
  };
}
