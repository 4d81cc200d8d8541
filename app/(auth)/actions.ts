'use server';

import { headers } from 'next/headers';
import { signIn, signOut } from '@/lib/auth';
import { checkCredentials, createAccount } from '@/lib/auth/accounts';
import { fieldErrors, signInSchema, signUpSchema } from '@/lib/auth/credentials';
import { getSessionUser } from '@/lib/auth/session';
import { FailedSignInThrottle } from '@/lib/auth/throttle';
import { getServices } from '@/lib/services';
import { messageOf } from '@/lib/errors';

export interface AuthFormState {
  errors: Record<string, string>;
  email: string;
}

const throttle = new FailedSignInThrottle();

async function clientAddress(): Promise<string> {
  const forwarded = (await headers()).get('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || 'local';
}

const GUEST_DATA_NOT_MOVED =
  'Your conversations from this guest session could not be moved to your account yet. Nothing was lost: ' +
  'they stay in this session, and signing in again moves them.';

/**
 * Moves the current guest's conversations and memories into the account, if there is a guest.
 * False when they could not be moved: the guest is then kept as it was, and the person stays
 * signed in as the guest, so the next sign-in tries again.
 */
async function bringGuestData(accountUserId: string): Promise<boolean> {
  const current = await getSessionUser();
  if (!current?.isAnonymous) return true;
  const { memory } = await getServices();
  try {
    const result = await memory.merge(current.id, accountUserId);
    return result.status !== 'incomplete';
  } catch (error) {
    console.error(`[merge] moving guest ${current.id} into ${accountUserId} failed: ${messageOf(error)}`);
    return false;
  }
}

export async function signUpAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signUpSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  const { store } = await getServices();
  const created = await createAccount(store, parsed.data.email, parsed.data.password);
  if (!created.ok) {
    return { errors: { email: 'An account with this email already exists. Sign in instead.' }, email: input.email };
  }
  if (!(await bringGuestData(created.user.id))) {
    return { errors: { form: `Your account was created. ${GUEST_DATA_NOT_MOVED}` }, email: input.email };
  }
  // Sets the session cookie and redirects; the redirect is thrown, so nothing runs after it.
  await signIn('password', { ...parsed.data, redirectTo: '/' });
  return { errors: {}, email: input.email };
}

export async function signInAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  const address = await clientAddress();
  const wait = throttle.delayMs(address);
  if (wait) await new Promise((resolve) => setTimeout(resolve, wait));

  const { store } = await getServices();
  const account = await checkCredentials(store, parsed.data.email, parsed.data.password);
  if (!account) {
    throttle.recordFailure(address);
    return { errors: { form: 'Wrong email or password.' }, email: input.email };
  }
  throttle.reset(address);
  if (!(await bringGuestData(account.id))) return { errors: { form: GUEST_DATA_NOT_MOVED }, email: input.email };
  await signIn('password', { ...parsed.data, redirectTo: '/' });
  return { errors: {}, email: input.email };
}

export async function signOutAction() {
  await signOut({ redirectTo: '/' });
}
