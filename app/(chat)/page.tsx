import { getCurrentUser } from '@/lib/auth/current-user';
import { getDatabase } from '@/lib/db';
import { UserCard } from '@/components/user-card';
import { startAsGuest } from './actions';

export default async function HomePage() {
  const [user, { engine }] = await Promise.all([getCurrentUser(), getDatabase()]);

  return (
    <main className="mx-auto flex min-h-dvh max-w-2xl flex-col justify-center gap-6 p-6">
      <h1 className="text-3xl font-semibold tracking-tight">Engram</h1>
      <p className="text-neutral-600 dark:text-neutral-400">
        A Claude chat agent that remembers what matters about you, and lets you see and change all of it.
      </p>
      {user ? (
        <UserCard user={user} engine={engine} />
      ) : (
        <form action={startAsGuest}>
          <button
            type="submit"
            data-testid="start-button"
            className="rounded-lg bg-neutral-900 px-4 py-2 font-medium text-white hover:bg-neutral-700 focus-visible:outline-2 focus-visible:outline-offset-2 dark:bg-neutral-100 dark:text-neutral-900 dark:hover:bg-neutral-300"
          >
            Start without an account
          </button>
        </form>
      )}
    </main>
  );
}
