import { eq } from 'drizzle-orm';
import { getDatabase } from '@/lib/db';
import { getUser } from '@/lib/db/queries';
import { accountMerges } from '@/lib/db/schema';
import { auth } from '.';

/**
 * The signed-in user's row, from the session only. Undefined for a visitor who has not acted
 * yet, and for a session whose user no longer exists (deleted account, reset database, or a
 * guest merged into an account: see sessionMergedIntoAccount).
 */
export async function getCurrentUser() {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) return undefined;
  const { db } = await getDatabase();
  return getUser(db, userId);
}

/**
 * Whether this session is an old guest cookie whose data now belongs to an account. Such a
 * request must sign in to the account; it never acts as the account, and never writes under the
 * guest's dead id.
 */
export async function sessionMergedIntoAccount(): Promise<boolean> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId || !session.user.isAnonymous) return false;
  const { db } = await getDatabase();
  const [merge] = await db.select({ id: accountMerges.accountUserId }).from(accountMerges).where(eq(accountMerges.anonymousUserId, userId));
  return merge !== undefined;
}
