import type { Engine } from '@/lib/db';
import type { User } from '@/lib/db/schema';

const engineNames: Record<Engine, string> = {
  pglite: 'the embedded database (PGlite)',
  postgres: 'PostgreSQL',
};

export function UserCard({ user, engine }: { user: User; engine: Engine }) {
  return (
    <section
      data-testid="current-user"
      className="rounded-xl border border-neutral-200 p-4 text-sm dark:border-neutral-800"
      aria-label="Your account"
    >
      <p>
        {user.isAnonymous ? 'You are chatting as a guest' : `Signed in as ${user.email}`}
        {' · '}
        memory is {user.memoryEnabled ? 'on' : 'off'}
      </p>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-neutral-600 dark:text-neutral-400">
        <dt>User id</dt>
        <dd data-testid="user-id" className="font-mono break-all">
          {user.id}
        </dd>
        <dt>Since</dt>
        <dd>
          <time dateTime={user.createdAt.toISOString()}>{user.createdAt.toUTCString()}</time>
        </dd>
        <dt>Stored in</dt>
        <dd data-testid="engine">{engineNames[engine]}</dd>
      </dl>
    </section>
  );
}
