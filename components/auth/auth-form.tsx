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

interface FieldProps {
  name: 'email' | 'password';
  label: string;
  type: string;
  autoComplete: string;
  defaultValue?: string;
  error?: string;
  hint?: string;
}

/** A labelled input whose error (or hint) is tied to it for screen readers. */
function Field({ name, label, type, autoComplete, defaultValue, error, hint }: FieldProps) {
  const described = error ? `${name}-error` : hint ? `${name}-hint` : undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={name} className="block text-sm font-medium">
        {label}
      </label>
      <input
        id={name}
        name={name}
        type={type}
        autoComplete={autoComplete}
        required
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        data-testid={`${name}-input`}
        className={inputClass}
      />
      {error ? (
        <p id={`${name}-error`} className="text-sm text-red-700 dark:text-red-400" data-testid={`${name}-error`}>
          {error}
        </p>
      ) : (
        hint && (
          <p id={`${name}-hint`} className="text-sm text-neutral-600 dark:text-neutral-400">
            {hint}
          </p>
        )
      )}
    </div>
  );
}

export function AuthForm({ mode, action }: AuthFormProps) {
  const [state, formAction, pending] = useActionState(action, { errors: {}, email: '' });
  const signUp = mode === 'sign-up';
  return (
    <form action={formAction} className="space-y-4" noValidate>
      <Field name="email" label="Email" type="email" autoComplete="email" defaultValue={state.email} error={state.errors.email} />
      <Field
        name="password"
        label="Password"
        type="password"
        autoComplete={signUp ? 'new-password' : 'current-password'}
        error={state.errors.password}
        hint={signUp ? 'At least 10 characters.' : undefined}
      />
      {state.errors.form && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="form-error">
          {state.errors.form}
        </p>
      )}
      {state.link && (
        <Link href={state.link.href} data-testid="form-link" className="block text-sm underline underline-offset-2">
          {state.link.label}
        </Link>
      )}
      {/* The person saw the warning about this email: submitting it again goes ahead. */}
      {state.confirm && <input type="hidden" name="confirm" value={state.confirm} />}
      <button
        type="submit"
        disabled={pending}
        data-testid="auth-submit"
        className="w-full rounded-lg bg-neutral-900 px-4 py-2 font-medium text-white hover:bg-neutral-700 disabled:opacity-50 dark:bg-neutral-100 dark:text-neutral-900 dark:hover:bg-neutral-300"
      >
        {signUp ? 'Create account' : 'Sign in'}
      </button>
      <p className="text-center text-sm text-neutral-600 dark:text-neutral-400">
        {signUp ? 'Already have an account? ' : 'New here? '}
        <Link href={signUp ? '/sign-in' : '/sign-up'} className="underline underline-offset-2">
          {signUp ? 'Sign in' : 'Create an account'}
        </Link>
      </p>
    </form>
  );
}
