'use server';

import { signIn } from '@/lib/auth';

/** Makes the visitor a guest: the first action that creates a user row. */
export async function startAsGuest() {
  await signIn('guest', { redirectTo: '/' });
}
