'use server';

import { signIn } from '@/lib/auth';
import { getCurrentUser } from '@/lib/auth/current-user';

/**
 * Makes the visitor a guest, the first time they send a message: page views and bots create no
 * user rows. A session whose user no longer exists gets a new guest.
 */
export async function ensureGuestSession(): Promise<void> {
  if (await getCurrentUser()) return;
  await signIn('guest', { redirect: false });
}
