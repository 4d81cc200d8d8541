/**
 * The session's user, then its unit of work: the one way pages, routes and actions act for the
 * person making the request. The user id comes from the signed session cookie only, never from
 * the request's body, path or query.
 */
import 'server-only';
import { eq } from 'drizzle-orm';
import type { Database } from '@/lib/db/client';
import { getUser } from '@/lib/db/queries';
import { accountMerges, type User } from '@/lib/db/schema';
import { isUserId } from '@/lib/db/store';
import { getServices } from '@/lib/services';
import { auth } from '.';
import { standingOf, type SessionIdentity, type SessionStanding } from './guest-data';

/** Who the signed session cookie names, and whether it was issued to a guest. */
export async function sessionIdentity(): Promise<SessionIdentity | undefined> {
  const user = (await auth())?.user;
  return user?.id && isUserId(user.id) ? { userId: user.id, isAnonymous: user.isAnonymous } : undefined;
}

/**
 * Runs `work` in one unit of work as the session's user, with their row. Undefined for a visitor
 * who has not acted yet, and for a session whose user no longer exists (deleted account, reset
 * database, or a guest merged into an account: see sessionMergedIntoAccount).
 */
export function asSessionUser<T>(work: (tx: Database, user: User) => Promise<T>): Promise<{ user: User; result: T } | undefined> {
  return sessionUnit(work, false);
}

/** asSessionUser for `work` that only reads: READ ONLY, and tried again once on a dropped connection. */
export function readAsSessionUser<T>(work: (tx: Database, user: User) => Promise<T>): Promise<{ user: User; result: T } | undefined> {
  return sessionUnit(work, true);
}

async function sessionUnit<T>(work: (tx: Database, user: User) => Promise<T>, readOnly: boolean): Promise<{ user: User; result: T } | undefined> {
  const userId = (await sessionIdentity())?.userId;
  if (!userId) return undefined;
  const { store } = await getServices();
  const unit = async (tx: Database) => {
    const user = await getUser(tx, userId);
    return user ? { user, result: await work(tx, user) } : undefined;
  };
  return readOnly ? store.readAsUser(userId, unit) : store.asUser(userId, unit);
}

/** The session's user row, for work that runs its own units (a chat turn, an edit that embeds). */
export async function getSessionUser(): Promise<User | undefined> {
  return (await readAsSessionUser(async () => undefined))?.user;
}

/**
 * Whether this session is an old guest cookie whose data now belongs to an account. Such a
 * request must sign in to the account; it never acts as the account, and never writes under the
 * guest's dead id.
 */
export async function sessionMergedIntoAccount(): Promise<boolean> {
  const identity = await sessionIdentity();
  if (!identity?.isAnonymous) return false;
  const { userId } = identity;
  const { store } = await getServices();
  const [merge] = await store.asUser(userId, (tx) =>
    tx.select({ id: accountMerges.accountUserId }).from(accountMerges).where(eq(accountMerges.anonymousUserId, userId)),
  );
  return merge !== undefined;
}

/** What the session's user is now: a guest, a guest merged into an account, an account, or nobody. */
export async function sessionStanding(): Promise<SessionStanding> {
  // The session first: reading the cookie is what makes a page that asks render per request.
  const identity = await sessionIdentity();
  const { store } = await getServices();
  return standingOf(store, identity);
}
