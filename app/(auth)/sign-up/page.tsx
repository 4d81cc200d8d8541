import Link from 'next/link';
import { AuthForm } from '@/components/auth/auth-form';
import { signUpRefusal } from '@/lib/auth/guest-data';
import { sessionStanding } from '@/lib/auth/session';
import { signUpAction } from '../actions';

export const metadata = { title: 'Create an account · Engram' };

export default async function SignUpPage() {
  // A browser whose guest already became an account (say, in another tab) is told so up front.
  const refusal = signUpRefusal(await sessionStanding());
  return (
    <>
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Create an account</h1>
        <p className="text-sm text-neutral-600 dark:text-neutral-400">Your conversations and everything Engram remembers come with you.</p>
      </div>
      {refusal ? (
        <div className="space-y-2 text-sm">
          <p role="status" data-testid="auth-notice">
            {refusal.message}
          </p>
          <Link href={refusal.link.href} data-testid="auth-notice-link" className="underline underline-offset-2">
            {refusal.link.label}
          </Link>
        </div>
      ) : (
        <AuthForm mode="sign-up" action={signUpAction} />
      )}
    </>
  );
}
