import { isDatabaseUnavailable } from '../db/errors';
import { messageOf } from '../errors';

/**
 * A route handler whose unexpected failures (a dropped database connection, a bug) answer JSON
 * with a message a person can act on, never an empty 500. The cause goes to the server log. A
 * database that cannot serve the request right now is a 503: the same request may work in a moment.
 */
export function withJsonErrors<Args extends unknown[]>(route: string, handler: (...args: Args) => Promise<Response>) {
  return async (...args: Args): Promise<Response> => {
    try {
      return await handler(...args);
    } catch (error) {
      console.error(`[${route}] failed: ${messageOf(error)}`);
      if (isDatabaseUnavailable(error)) {
        return Response.json({ error: 'The database is busy or was briefly unreachable. Try again in a moment.' }, { status: 503, headers: { 'retry-after': '2' } });
      }
      return Response.json({ error: 'Something went wrong on our side. Try again in a moment.' }, { status: 500 });
    }
  };
}
