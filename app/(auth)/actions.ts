'use server';

import { headers } from 'next/headers';
import { signIn, signOut } from '@/lib/auth';
import { checkCredentials, createAccount } from '@/lib/auth/accounts';
import { fieldErrors, signInSchema, signUpSchema } from '@/lib/auth/credentials';
import { getCurrentUser } from '@/lib/auth/current-user';
import { FailedSignInThrottle } from '@/lib/auth/throttle';
import { runAsSystem } from '@/lib/db/user-context';
import { mergeGuestIntoAccount } from '@/lib/memory/merge';
import { getServices } from '@/lib/services';

export interface AuthFormState {
  errors: Record<string, string>;
  email: string;
}

const throttle = new FailedSignInThrottle();

async function clientAddress(): Promise<string> {
  const forwarded = (await headers()).get('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || 'local';
}

/** Moves the current guest's conversations and memories into the account, if there is a guest. */
async function bringGuestData(accountUserId: string) {
  const current = await getCurrentUser();
  if (!current?.isAnonymous) return;
  const { memory } = await getServices();
  // A merge works on two users' rows at once.
  await runAsSystem(() => mergeGuestIntoAccount(memory.db, current.id, accountUserId, memory.settings.write));
}

export async function signUpAction(_previous: AuthFormState, form: FormData): Promise<AuthFormState> {
  const input = { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
  const parsed = signUpSchema.safeParse(input);
  if (!parsed.success) return { errors: fieldErrors(parsed.error), email: input.email };

  const { memory } = await getServices();
  const created = await createAccount(memory.db, parsed.data.email, parsed.data.password);
  if (!created.ok) {
    return { errors: { email: 'An account with this email already exists. Sign in instead.' }, email: input.email };
  }
  await bringGuestData(created.user.id);
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

  const { memory } = await getServices();
  const account = await checkCredentials(memory.db, parsed.data.email, parsed.data.password);
  if (!account) {
    throttle.recordFailure(address);
    return { errors: { form: 'Wrong email or password.' }, email: input.email };
  }
  throttle.reset(address);
  await bringGuestData(account.id);
  await signIn('password', { ...parsed.data, redirectTo: '/' });
  return { errors: {}, email: input.email };
}

export async function signOutAction() {
  await signOut({ redirectTo: '/' });
}
