import { getDatabase } from '@/lib/db';
import { getUser } from '@/lib/db/queries';
import { auth } from '.';

/**
 * The signed-in user's row, from the session only. Undefined for a visitor who has not acted
 * yet, and for a session whose user no longer exists (deleted account, reset database).
 */
export async function getCurrentUser() {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) return undefined;
  const { db } = await getDatabase();
  return getUser(db, userId);
}
