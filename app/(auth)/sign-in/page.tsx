import { AuthForm } from '@/components/auth/auth-form';
import { signInNotice } from '@/lib/auth/guest-data';
import { sessionStanding } from '@/lib/auth/session';
import { signInAction } from '../actions';

export const metadata = { title: 'Sign in · Engram' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ merged?: string }> }) {
  const { merged } = await searchParams;
  const notice = signInNotice(await sessionStanding());
  return (
    <>
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Sign in</h1>
        <p className="text-sm text-neutral-600 dark:text-neutral-400" data-testid="auth-notice">
          {notice ??
            (merged
              ? 'This guest session now belongs to an account. Sign in to continue.'
              : 'What you said as a guest on this device comes with you.')}
        </p>
      </div>
      <AuthForm mode="sign-in" action={signInAction} />
    </>
  );
}
