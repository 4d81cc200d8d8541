'use client';

import Link from 'next/link';
import { useActionState } from 'react';
import type { AuthFormState } from '@/app/(auth)/actions';

interface AuthFormProps {
  mode: 'sign-in' | 'sign-up';
  action: (state: AuthFormState, form: FormData) => Promise<AuthFormState>;
}

const inputClass =
  'w-full rounded-lg border border-neutral-300 bg-white px-3 py-2 dark:border-neutral-700 dark:bg-neutral-900 aria-invalid:border-red-600';

export function AuthForm({ mode, action }: AuthFormProps) {
  const [state, formAction, pending] = useActionState(action, { errors: {}, email: '' });
  const signUp = mode === 'sign-up';
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <div className="space-y-1">
        <label htmlFor="email" className="block text-sm font-medium">
          Email
        </label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={state.email}
          aria-invalid={state.errors.email ? true : undefined}
          aria-describedby={state.errors.email ? 'email-error' : undefined}
          data-testid="email-input"
          className={inputClass}
        />
        {state.errors.email && (
          <p id="email-error" className="text-sm text-red-700 dark:text-red-400" data-testid="email-error">
            {state.errors.email}
          </p>
        )}
      </div>
      <div className="space-y-1">
        <label htmlFor="password" className="block text-sm font-medium">
          Password
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={signUp ? 'new-password' : 'current-password'}
          required
          aria-invalid={state.errors.password ? true : undefined}
          aria-describedby={state.errors.password ? 'password-error' : signUp ? 'password-hint' : undefined}
          data-testid="password-input"
          className={inputClass}
        />
        {state.errors.password ? (
          <p id="password-error" className="text-sm text-red-700 dark:text-red-400" data-testid="password-error">
            {state.errors.password}
          </p>
        ) : (
          signUp && (
            <p id="password-hint" className="text-sm text-neutral-500">
              At least 10 characters.
            </p>
          )
        )}
      </div>
      {state.errors.form && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="form-error">
          {state.errors.form}
        </p>
      )}
      <button
        type="submit"
        disabled={pending}
        data-testid="auth-submit"
        className="w-full rounded-lg bg-neutral-900 px-4 py-2 font-medium text-white hover:bg-neutral-700 disabled:opacity-50 dark:bg-neutral-100 dark:text-neutral-900 dark:hover:bg-neutral-300"
      >
        {signUp ? 'Create account' : 'Sign in'}
      </button>
      <p className="text-center text-sm text-neutral-500">
        {signUp ? 'Already have an account? ' : 'New here? '}
        <Link href={signUp ? '/sign-in' : '/sign-up'} className="underline underline-offset-2">
          {signUp ? 'Sign in' : 'Create an account'}
        </Link>
      </p>
    </form>
  );
}
