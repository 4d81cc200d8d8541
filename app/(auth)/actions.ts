'use server';

import { headers } from 'next/headers';
import { signIn, signOut } from '@/lib/auth';
import { checkCredentials } from '@/lib/auth/accounts';
import { fieldErrors, signInSchema, signUpSchema } from '@/lib/auth/credentials';
import { signInFromSession, signUpFromSession } from '@/lib/auth/guest-data';
import { sessionIdentity } from '@/lib/auth/session';
import { FailedSignInThrottle } from '@/lib/auth/throttle';
import { getServices } from '@/lib/services';

export interface AuthFormState {
  errors: Record<string, string>;
  email: string;
  /** Where to go instead, shown under the form's error. */
  link?: { href: string; label: string };
  /** The email whose sign-in was held back with a warning: submitting it again goes ahead. */
  confirm?: string;
}

const throttle = new FailedSignInThrottle();

async function clientAddress(): Promise<string> {
  const forwarded = (await headers()).get('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || 'local';
}

const GUEST_DATA_NOT_MOVED =
  'Your conversations from this guest session could not be moved to your account yet. Nothing was lost: ' +
  'they stay in this session, and signing in again moves them.';

export async function signUpAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signUpSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

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
      // Sets the session cookie and redirects; the redirect is thrown, so nothing runs after it.
      await signIn('password', { ...parsed.data, redirectTo: '/' });
      return { errors: {}, email: input.email };
  }
}

export async function signInAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  const address = await clientAddress();
  const wait = throttle.delayMs(address);
  if (wait) await new Promise((resolve) => setTimeout(resolve, wait));

  const { store, memory } = await getServices();
  const account = await checkCredentials(store, parsed.data.email, parsed.data.password);
  if (!account) {
    throttle.recordFailure(address);
    return { errors: { form: 'Wrong email or password.' }, email: input.email };
  }
  throttle.reset(address);
  const confirmed = form.get('confirm') === parsed.data.email;
  const outcome = await signInFromSession(store, memory.merge, await sessionIdentity(), account, confirmed);
  switch (outcome.status) {
    case 'guest_kept':
      return { errors: { form: GUEST_DATA_NOT_MOVED }, email: input.email };
    case 'confirm':
      return { errors: { form: outcome.message }, email: input.email, link: outcome.link, confirm: parsed.data.email };
    case 'proceed':
      await signIn('password', { ...parsed.data, redirectTo: '/' });
      return { errors: {}, email: input.email };
  }
}

export async function signOutAction() {
  await signOut({ redirectTo: '/' });
}
