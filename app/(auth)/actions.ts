'use server';

import { headers } from 'next/headers';
import { signIn, signOut } from '@/lib/auth';
import { fieldErrors, signInSchema, signUpSchema } from '@/lib/auth/credentials';
import { signInFromSession, signUpFromSession } from '@/lib/auth/guest-data';
import { sessionIdentity } from '@/lib/auth/session';
import { addressOf, getRateLimits, limitSignUp, signInClient, signInWithLimits } from '@/lib/rate-limit';
import { refusalOf } from '@/lib/rate-limit/auth';
import { getServices } from '@/lib/services';

export interface AuthFormState {
  errors: Record<string, string>;
  email: string;
  /** Where to go instead, shown under the form's error. */
  link?: { href: string; label: string };
  /** The email whose sign-in was held back with a warning: submitting it again goes ahead. */
  confirm?: string;
}

/**
 * Signs in to the account whose credentials were checked; sets the session cookie and redirects
 * (the redirect is thrown). Its `authorize` checks the limits again: a refusal there is shown.
 */
async function signInTo(credentials: { email: string; password: string }, email: string): Promise<AuthFormState> {
  try {
    await signIn('password', { ...credentials, redirectTo: '/' });
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    return { errors: { form: refusal.message }, email };
  }
  return { errors: {}, email };
}

const GUEST_DATA_NOT_MOVED =
  'Your conversations from this guest session could not be moved to your account yet. Nothing was lost: ' +
  'they stay in this session, and signing in again moves them.';

export async function signUpAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signUpSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  // Before the password is hashed: the hash is what makes a flood of sign-ups expensive.
  const limits = await getRateLimits();
  const allowed = await limitSignUp(limits, addressOf(limits, await headers()));
  if (!allowed.ok) return { errors: { form: allowed.message }, email: input.email, link: { href: '/sign-in', label: 'Sign in instead' } };

  const { store, memory } = await getServices();
  const outcome = await signUpFromSession(store, memory.merge, await sessionIdentity(), parsed.data.email, parsed.data.password);
  switch (outcome.status) {
    case 'email_taken':
      return { errors: { email: 'An account with this email already exists. Sign in instead.' }, email: input.email };
    case 'refused':
      return { errors: { form: outcome.refusal.message }, email: input.email, link: outcome.refusal.link };
    case 'created_guest_kept':
      return { errors: { form: `Your account was created. ${GUEST_DATA_NOT_MOVED}` }, email: input.email };
    case 'created':
      return signInTo(parsed.data, input.email);
  }
}

export async function signInAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  const [{ store, memory }, limits] = await Promise.all([getServices(), getRateLimits()]);
  const checked = await signInWithLimits(limits, store, parsed.data, signInClient(limits, await headers()));
  if (checked.status === 'refused') return { errors: { form: checked.refusal.message }, email: input.email };
  if (checked.status === 'wrong') return { errors: { form: 'Wrong email or password.' }, email: input.email };
  const account = checked.user;
  const confirmed = form.get('confirm') === parsed.data.email;
  const outcome = await signInFromSession(store, memory.merge, await sessionIdentity(), account, confirmed);
  switch (outcome.status) {
    case 'guest_kept':
      return { errors: { form: GUEST_DATA_NOT_MOVED }, email: input.email };
    case 'confirm':
      return { errors: { form: outcome.message }, email: input.email, link: outcome.link, confirm: parsed.data.email };
    case 'proceed':
      return signInTo(parsed.data, input.email);
  }
}

export async function signOutAction() {
  await signOut({ redirectTo: '/' });
}
