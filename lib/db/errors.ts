/** A database problem the operator must fix, with what to do about it, instead of a stack trace. */
export class DatabaseSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseSetupError';
  }
}

/** The database cannot do this unit of work right now; the same request may succeed in a moment (HTTP 503). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * A unit of work lost its connection (server restart, `pg_terminate_backend`, network cut). A
 * read-only unit was already retried once; a unit that writes is not, since its COMMIT may have
 * landed before the connection dropped.
 */
export class ConnectionLostError extends DatabaseUnavailableError {
  constructor(options: { cause: unknown }) {
    super('The connection to the database was lost.', options);
    this.name = 'ConnectionLostError';
  }
}

/** One user already has as many units of work running and waiting as they may: the rest of the pool stays free for others. */
export class UserBusyError extends DatabaseUnavailableError {
  constructor(waitedMs: number) {
    super(`Too many of this user's requests are using the database at once (waited ${waitedMs} ms for a turn).`);
    this.name = 'UserBusyError';
  }
}

const UNAVAILABLE = new Set(['DatabaseUnavailableError', 'ConnectionLostError', 'UserBusyError']);

/**
 * Whether the database could not serve the request just now (a 503 to try again). By name: the
 * store may be built in another bundle (the start-up warm-up), with its own copies of the classes.
 */
export const isDatabaseUnavailable = (error: unknown): boolean => error instanceof Error && UNAVAILABLE.has(error.name);

/** SQLSTATEs of a connection the server ended: admin_shutdown, crash_shutdown, cannot_connect_now. */
const LOST_STATES = new Set(['57P01', '57P02', '57P03']);
/** Socket errors of a connection that broke or could not open. */
const LOST_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
/** What node-postgres says when the socket closed under it, and to every later query on that client. */
const LOST_MESSAGES = ['Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable'];

/**
 * Whether `error`, or any error it wraps (Drizzle wraps the driver's in `cause`), is a lost
 * connection: the one failure a retry on a fresh connection can cure. Time-outs are not: retrying
 * them would double the wait.
 */
export function isConnectionLost(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth += 1) {
    if (e instanceof ConnectionLostError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || LOST_STATES.has(code) || LOST_SOCKET_CODES.has(code))) return true;
    const { message } = e;
    if (LOST_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}
