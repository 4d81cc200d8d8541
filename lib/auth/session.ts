/**
 * The session's user, then its unit of work: the one way pages, routes and actions act for the
 * person making the request. The user id comes from the signed session cookie only, never from
 * the request's body, path or query.
 */
import 'server-only';
import { headers } from 'next/headers';
import { eq } from 'drizzle-orm';
import { commitWithNext, type Database } from '@/lib/db/client';
import { accountMerges, type User } from '@/lib/db/schema';
import { isUserId, ONE_STATEMENT, type UnitShape } from '@/lib/db/store';
import { getServices } from '@/lib/services';
import { sessionToken } from './session-cookie';
import { standingOf, type SessionIdentity, type SessionStanding } from './guest-data';
import { currentSessionUser, isStaleSession, type SessionClaims } from './session-version';

/**
 * What the signed session cookie claims: who, whether issued to a guest, under which version.
 * Read as Auth.js's auth() reads it (the same cookie, key and expiry check), without auth()'s
 * session round, which also encrypts a refreshed cookie that auth() drops (it cannot set cookies
 * there): 1.7-2.2 ms of CPU per request against 0.6-0.8 ms for this read.
 */
async function sessionClaims(): Promise<SessionClaims | undefined> {
  const token = await sessionToken(await headers());
  const userId = token?.userId;
  return userId && isUserId(userId)
    ? // Auth.js's session callback's defaults (lib/auth/index.ts): a token without them is a guest's first version.
      { userId, isAnonymous: token.isAnonymous ?? true, sessionVersion: token.sessionVersion ?? 0 }
    : undefined;
}

/**
 * Who the signed session cookie names, and whether it was issued to a guest; undefined for a
 * session that was ended (sign-out, "sign out everywhere"). Costs one read of the user's row: for
 * the sign-in and sign-up flows, which act on the session's guest before any unit of theirs.
 */
export async function sessionIdentity(): Promise<SessionIdentity | undefined> {
  const claims = await sessionClaims();
  if (!claims) return undefined;
  const { store } = await getServices();
  const stale = await store.readAsUser(claims.userId, (tx) => isStaleSession(tx, claims), ONE_STATEMENT);
  return stale ? undefined : { userId: claims.userId, isAnonymous: claims.isAnonymous };
}

/**
 * Runs `work` in one unit of work as the session's user, with their row. Undefined for a visitor
 * who has not acted yet, for a session that was ended, and for a session whose user no longer
 * exists (deleted account, reset database, or a guest merged into an account: see
 * sessionMergedIntoAccount).
 */
export function asSessionUser<T>(work: (tx: Database, user: User) => Promise<T>): Promise<{ user: User; result: T } | undefined> {
  return sessionUnit(work, false);
}

/** What a session unit's work says of itself. */
export interface SessionWorkShape {
  /**
   * The work sends exactly one statement (after the user's row), which then carries the unit's
   * COMMIT: one round trip for the unit (commitWithNext). A second statement fails the unit.
   */
  oneStatement?: boolean;
}

/** The shape of session work that sends one statement. */
export const ONE_STATEMENT_WORK: SessionWorkShape = { oneStatement: true };

/** asSessionUser for `work` that only reads: READ ONLY, and tried again once on a dropped connection. */
export function readAsSessionUser<T>(
  work: (tx: Database, user: User) => Promise<T>,
  workShape?: SessionWorkShape,
): Promise<{ user: User; result: T } | undefined> {
  return sessionUnit(work, true, undefined, workShape);
}

async function sessionUnit<T>(
  work: (tx: Database, user: User) => Promise<T>,
  readOnly: boolean,
  shape?: UnitShape,
  workShape: SessionWorkShape = {},
): Promise<{ user: User; result: T } | undefined> {
  const claims = await sessionClaims();
  if (!claims) return undefined;
  const { store } = await getServices();
  const unit = async (tx: Database) => {
    // The version is checked on the row read here anyway: ending sessions costs no extra query.
    const user = await currentSessionUser(tx, claims);
    if (!user) return undefined;
    if (workShape.oneStatement) commitWithNext(tx);
    return { user, result: await work(tx, user) };
  };
  return readOnly ? store.readAsUser(claims.userId, unit, shape) : store.asUser(claims.userId, unit, shape);
}

/** The session's user row, for work that runs its own units (a chat turn, an edit that embeds). */
export async function getSessionUser(): Promise<User | undefined> {
  return (await sessionUnit(async () => undefined, true, ONE_STATEMENT))?.user;
}

/**
 * Whether this session is an old guest cookie whose data now belongs to an account. Such a
 * request must sign in to the account; it never acts as the account, and never writes under the
 * guest's dead id.
 */
export async function sessionMergedIntoAccount(): Promise<boolean> {
  // The claims alone: a merged guest's row is gone, so there is no version to compare, and a
  // guest whose row remains was never merged.
  const claims = await sessionClaims();
  if (!claims?.isAnonymous) return false;
  const { userId } = claims;
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
