'use server';

import { signIn } from '@/lib/auth';
import { redirect } from 'next/navigation';
import { getSessionUser, sessionMergedIntoAccount } from '@/lib/auth/session';
import { refusalOf } from '@/lib/rate-limit/auth';

/**
 * Makes the visitor a guest, the first time they send a message: page views and bots create no
 * user rows. A session whose user no longer exists gets a new guest, unless it is a guest that
 * became an account: that one signs in, so nothing is written under its old id.
 */
export async function ensureGuestSession(): Promise<{ error?: string }> {
  if (await getSessionUser()) return {};
  if (await sessionMergedIntoAccount()) redirect('/sign-in?merged=1');
  try {
    await signIn('guest', { redirect: false });
    return {};
  } catch (error) {
    // Too many new guests from this address: the page says so and keeps the message.
    const refusal = refusalOf(error);
    if (refusal) return { error: refusal.message };
    throw error;
  }
}
