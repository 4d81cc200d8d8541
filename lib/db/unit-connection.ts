/**
 * A server unit of work's connection, whose opening (BEGIN and whose unit it is) goes out with
 * the unit's first statement: one write and one round trip instead of two. The profile of a chat
 * turn put most of the app's socket writes in node-postgres's statements, one write each, about
 * a third of them BEGINs.
 *
 * How: the extended protocol runs every Execute up to a Sync in order, so the opening is sent as
 * its own Parse/Bind/Execute messages ahead of the statement's, with the one Sync after them. Its
 * results (a command tag each, a row for set_config) are skipped; if it fails, the backend skips
 * the statement too and the error is the statement's. A unit that sends nothing opens nothing.
 */
import type { Connection, PoolClient, QueryConfig, QueryResult, QueryResultRow, Submittable } from 'pg';

/** What of node-postgres's Query this subclass relies on (its typings declare only `submit`). */
interface QueryInternals {
  queryMode?: string;
  callback?: (error: Error | undefined, result: QueryResult) => void;
  prepare(connection: Connection): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: Connection): void;
}
type QueryClass = new (config: QueryConfig, values?: unknown[]) => QueryInternals;
/** The protocol messages of node-postgres's Connection that the opening is sent with. */
interface ProtocolWriter {
  parse(message: { text: string }): void;
  bind(message: object): void;
  execute(message: object): void;
}

export interface UnitConnection {
  /** node-postgres's `query(config, values)`, as Drizzle's session and rows.ts call it. */
  query<R extends QueryResultRow>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Readies the connection for a unit: `opening` goes out with its first statement. */
  begin(opening: readonly string[]): void;
  /** Whether the unit's opening went out (else there is no transaction to end); ends the unit. */
  end(): boolean;
}

/** Builds, for a pool, the UnitConnection of each of its clients. */
export function unitConnectionOf(Query: typeof import('pg').Query): (client: PoolClient) => UnitConnection {
  // The cast: node-postgres's Query exposes the protocol hooks below, its typings do not.
  const Base = Query as unknown as QueryClass;
  class OpeningQuery extends Base {
    private skipping: number;
    constructor(
      config: QueryConfig,
      values: unknown[] | undefined,
      private readonly opening: readonly string[],
    ) {
      super(config, values);
      this.skipping = opening.length;
      // A statement without parameters would go as a simple query, which could carry no opening.
      this.queryMode = 'extended';
    }
    override prepare(connection: Connection): void {
      const writer = connection as unknown as ProtocolWriter;
      for (const text of this.opening) {
        writer.parse({ text });
        writer.bind({});
        writer.execute({});
      }
      super.prepare(connection);
    }
    override handleDataRow(message: unknown): void {
      if (this.skipping === 0) super.handleDataRow(message);
    }
    override handleCommandComplete(message: unknown, connection: Connection): void {
      if (this.skipping > 0) this.skipping -= 1;
      else super.handleCommandComplete(message, connection);
    }
  }

  return (client) => {
    let pending: readonly string[] | undefined;
    let opened = false;
    return {
      query<R extends QueryResultRow>(config: QueryConfig | string, values?: unknown[]): Promise<QueryResult<R>> {
        if (!pending) return client.query<R>(config, values);
        const query = new OpeningQuery(typeof config === 'string' ? { text: config } : config, values, pending);
        pending = undefined;
        opened = true;
        return new Promise((resolve, reject) => {
          query.callback = (error, result) => (error ? reject(error) : resolve(result as QueryResult<R>));
          // The cast: OpeningQuery is a Submittable through its base, which QueryClass does not say.
          client.query(query as unknown as Submittable);
        });
      },
      begin(opening) {
        pending = opening;
        opened = false;
      },
      end() {
        const wasOpened = opened;
        pending = undefined;
        opened = false;
        return wasOpened;
      },
    };
  };
}
