/**
 * Whose data this code is working on, carried through async calls. On a PostgreSQL server each
 * pooled connection is tagged with it (app.user_id) before it runs anything, and row-level
 * security lets a connection see only that user's rows: the second wall behind the queries'
 * own `user_id` filters. Code with no context sees no user data at all; jobs that work across
 * users (the nightly job, the sweep, a merge) say so with runAsSystem.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The app.user_id value that row-level security lets see every user's rows. */
export const SYSTEM_CONTEXT = 'system';

const context = new AsyncLocalStorage<string>();

/**
 * Runs `work` in the user's data context. The result is awaited inside the context, so a lazy
 * query (a Drizzle builder runs when awaited) runs as the user too.
 */
export function runAsUser<T>(userId: string, work: () => T | PromiseLike<T>): Promise<T> {
  return context.run(userId, async () => await work());
}

export function runAsSystem<T>(work: () => T | PromiseLike<T>): Promise<T> {
  return context.run(SYSTEM_CONTEXT, async () => await work());
}

/** The context of the running code: a user id, SYSTEM_CONTEXT, or '' (sees nothing). */
export function currentDataContext(): string {
  return context.getStore() ?? '';
}
