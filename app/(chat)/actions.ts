'use server';

import { signIn } from '@/lib/auth';
import { redirect } from 'next/navigation';
import { getSessionUser, sessionMergedIntoAccount } from '@/lib/auth/session';

/**
 * Makes the visitor a guest, the first time they send a message: page views and bots create no
 * user rows. A session whose user no longer exists gets a new guest, unless it is a guest that
 * became an account: that one signs in, so nothing is written under its old id.
 */
export async function ensureGuestSession(): Promise<void> {
  if (await getSessionUser()) return;
  if (await sessionMergedIntoAccount()) redirect('/sign-in?merged=1');
  await signIn('guest', { redirect: false });
}
