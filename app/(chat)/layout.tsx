import { connection } from 'next/server';
import { Announcer } from '@/components/chat/announcer';
import { ConversationsProvider } from '@/components/chat/conversations';
import { Sidebar } from '@/components/chat/sidebar';
import { ONE_STATEMENT_WORK, readAsSessionUser } from '@/lib/auth/session';
import { listConversations } from '@/lib/db/queries';
import { env } from '@/lib/env';
import { getServices } from '@/lib/services';
import { OFFLINE_NOTICE, OFFLINE_NOTICE_SHORT } from '@/lib/ai/offline/reply-writer';
import { signOutAction } from '../(auth)/actions';

export default async function ChatLayout({ children }: { children: React.ReactNode }) {
  // Per-user pages, rendered per request: never prerendered at build time.
  await connection();
  const [session, { store, chat }] = await Promise.all([readAsSessionUser((tx, user) => listConversations(tx, user.id), ONE_STATEMENT_WORK), getServices()]);
  const memoryOff = session?.user.memoryEnabled === false;
  return (
    <ConversationsProvider initial={session?.result ?? []}>
      <div className="flex h-dvh flex-col md:flex-row">
        <Sidebar user={session?.user} engine={store.engine} guestTtlDays={env().GUEST_TTL_DAYS} signOut={signOutAction} />
        <main className="flex min-h-0 min-w-0 flex-1 flex-col">
          {chat.offline && (
            <p data-testid="offline-notice" role="status" className="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
              {/* Two lines at most on a phone: the short form there, the full one from sm up. */}
              <span className="sm:hidden">
                {OFFLINE_NOTICE_SHORT} {memoryOff ? 'Memory is off.' : 'Memory still works.'}
              </span>
              <span className="hidden sm:inline">
                {OFFLINE_NOTICE}{' '}
                {memoryOff ? 'Memory is off: nothing you say is remembered.' : 'Memory still works: what you tell Engram is remembered and shown.'}
              </span>
            </p>
          )}
          {children}
          <Announcer />
        </main>
      </div>
    </ConversationsProvider>
  );
}
