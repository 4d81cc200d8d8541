import Link from 'next/link';
import type { Engine } from '@/lib/db';
import type { User } from '@/lib/db/schema';
import { GuestRetention } from '../guest-retention';
import { ConversationList } from './conversations';
import { MobileMenu } from './mobile-menu';

const engineNames: Record<Engine, string> = {
  pglite: 'the embedded database (PGlite)',
  postgres: 'PostgreSQL',
};

interface SidebarProps {
  user: User | undefined;
  engine: Engine;
  /** GUEST_TTL_DAYS, told to a guest. */
  guestTtlDays: number;
  signOut: () => Promise<void>;
}

/** Conversations, newest first, and who you are; a drop-down menu on a phone. */
export function Sidebar(props: SidebarProps) {
  return (
    <>
      <MobileMenu>
        <SidebarBody {...props} />
      </MobileMenu>
      <aside className="hidden w-72 shrink-0 flex-col border-r border-neutral-200 bg-neutral-50 md:flex dark:border-neutral-800 dark:bg-neutral-900">
        <p className="px-4 pt-4 text-lg font-semibold tracking-tight">Engram</p>
        <SidebarBody {...props} />
      </aside>
    </>
  );
}

const linkClass = 'underline underline-offset-2';

function SidebarBody({ user, engine, guestTtlDays, signOut }: SidebarProps) {
  return (
    <nav aria-label="Conversations" className="flex min-h-0 flex-1 flex-col gap-2 p-3">
      <Link
        href="/"
        data-testid="new-chat"
        className="rounded-lg border border-neutral-300 px-3 py-2 text-sm font-medium hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800"
      >
        + New chat
      </Link>
      <ConversationList />
      <div className="border-t border-neutral-200 pt-2 text-xs text-neutral-500 dark:border-neutral-800 dark:text-neutral-400">
        {user ? (
          <div data-testid="current-user">
            {/* Who, in words a person knows (never the id). */}
            <p className="wrap-anywhere">
              {user.isAnonymous ? 'Chatting as a guest' : `Signed in as ${user.email}`} · memory {user.memoryEnabled ? 'on' : 'off'}
            </p>
            <Link href="/settings/memory" className={`inline-flex min-h-6 items-center ${linkClass}`}>
              What I remember about you
            </Link>
            {user.isAnonymous ? (
              <p data-testid="guest-retention">
                <GuestRetention days={guestTtlDays} />{' '}
                <Link href="/sign-up" data-testid="sign-up-link" className={linkClass}>
                  Create an account
                </Link>{' '}
                to keep it, or{' '}
                <Link href="/sign-in" data-testid="sign-in-link" className={linkClass}>
                  sign in
                </Link>
                .
              </p>
            ) : (
              <form action={signOut}>
                <button type="submit" data-testid="sign-out" className={`min-h-6 ${linkClass}`}>
                  Sign out
                </button>
              </form>
            )}
          </div>
        ) : (
          <p>
            Say something to start. No account needed, or{' '}
            <Link href="/sign-in" data-testid="sign-in-link" className={linkClass}>
              sign in
            </Link>
            .
          </p>
        )}
        <p>
          Stored in <span data-testid="engine">{engineNames[engine]}</span>
        </p>
      </div>
    </nav>
  );
}
