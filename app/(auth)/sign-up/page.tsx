import { AuthForm } from '@/components/auth/auth-form';
import { signUpAction } from '../actions';

export const metadata = { title: 'Create an account · Engram' };

export default function SignUpPage() {
  return (
    <>
      <div className="space-y-1">
        <h1 className="text-xl font-semibold">Create an account</h1>
        <p className="text-sm text-neutral-500">Your conversations and everything Engram remembers come with you.</p>
      </div>
      <AuthForm mode="sign-up" action={signUpAction} />
    </>
  );
}
