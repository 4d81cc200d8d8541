/**
 * Sessions that end. A session carries the `session_version` its user's row had when it was
 * issued; moving the version on (sign-out, "sign out everywhere") ends every session issued
 * before, on every device. A session whose version is not the row's is no session at all: the
 * request is a visitor's, never an error.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { getUser } from '../db/queries';
import { users, type User } from '../db/schema';
import type { SessionIdentity } from './guest-data';

/** What the signed session cookie claims, before the user's row is consulted. */
export interface SessionClaims extends SessionIdentity {
  sessionVersion: number;
}

/** The version a session issued now carries; undefined when the user does not exist. */
export async function sessionVersionOf(tx: Database, userId: string): Promise<number | undefined> {
  const [row] = await tx.select({ version: users.sessionVersion }).from(users).where(eq(users.id, userId));
  return row?.version;
}

/**
 * The session's user, read in the request's own unit of work, or undefined: no such user, or a
 * session of an older version. The comparison rides on the read every request makes anyway.
 */
export async function currentSessionUser(tx: Database, claims: SessionClaims): Promise<User | undefined> {
  const user = await getUser(tx, claims.userId);
  return user?.sessionVersion === claims.sessionVersion ? user : undefined;
}

/**
 * Whether the session was ended: its user exists under a newer version. A session whose user is
 * gone is not stale but orphaned, and its callers tell the two apart (a guest merged into an
 * account is told where its data went).
 */
export async function isStaleSession(tx: Database, claims: SessionClaims): Promise<boolean> {
  const version = await sessionVersionOf(tx, claims.userId);
  return version !== undefined && version !== claims.sessionVersion;
}

/**
 * Ends every session of the user. With `issuedAt`, only while the row is still at that version:
 * an ended session signing out again cannot end the sessions issued after it.
 */
export async function endSessions(tx: Database, userId: string, issuedAt?: number): Promise<boolean> {
  const ended = await tx
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(issuedAt === undefined ? eq(users.id, userId) : and(eq(users.id, userId), eq(users.sessionVersion, issuedAt)))
    .returning({ id: users.id });
  return ended.length > 0;
}
