/**
 * Whose unit of work it is, as `app.user_id` says: a user's id, or the system. One definition
 * for the store that sets it (store.ts) and the row-level security policies that read it
 * (schema.ts).
 */

/** The app.user_id of jobs that span users; the policies let it see every row. */
export const SYSTEM_CONTEXT = 'system';

/** A user id: a UUID, in either case (the policies match it case-insensitively too). */
export const USER_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

const USER_ID = new RegExp(USER_ID_PATTERN, 'i');

/** Whether `value` can name a user (a UUID): never the system context, never empty. */
export const isUserId = (value: string): boolean => USER_ID.test(value);
