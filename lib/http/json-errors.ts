import { messageOf } from '../errors';

/**
 * A route handler whose unexpected failures (a dropped database connection, a bug) answer JSON
 * with a message a person can act on, never an empty 500. The cause goes to the server log.
 */
export function withJsonErrors<Args extends unknown[]>(route: string, handler: (...args: Args) => Promise<Response>) {
  return async (...args: Args): Promise<Response> => {
    try {
      return await handler(...args);
    } catch (error) {
      console.error(`[${route}] failed: ${messageOf(error)}`);
      return Response.json({ error: 'Something went wrong on our side. Try again in a moment.' }, { status: 500 });
    }
  };
}
