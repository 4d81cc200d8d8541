'use client';

import Link from 'next/link';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import type { Conversation } from '@/lib/db/schema';

type ConversationLink = Pick<Conversation, 'id' | 'title'>;

interface ConversationsState {
  conversations: ConversationLink[];
  /** Reads the list again (a turn created a conversation, named it, or moved it to the top). */
  refresh: () => Promise<void>;
}

const ConversationsContext = createContext<ConversationsState | null>(null);

/**
 * The sidebar's conversations, held in the browser. A turn refreshes them from
 * /api/conversations instead of re-rendering the page: after a new chat's URL changes, a page
 * refresh remounts the chat, and a message being typed or sent then was lost.
 */
export function ConversationsProvider({ initial, children }: { initial: ConversationLink[]; children: ReactNode }) {
  const [conversations, setConversations] = useState(initial);
  // A server render (a server action, a sign-in) brings the list as it now stands.
  const [rendered, setRendered] = useState(initial);
  if (initial !== rendered) {
    setRendered(initial);
    setConversations(initial);
  }
  const refresh = useCallback(async () => {
    const response = await fetch('/api/conversations', { cache: 'no-store' }).catch(() => null);
    if (!response?.ok) return; // the list stays as it was; the next turn or page load mends it
    setConversations(((await response.json()) as { conversations: ConversationLink[] }).conversations);
  }, []);
  return <ConversationsContext value={{ conversations, refresh }}>{children}</ConversationsContext>;
}

export function useConversations(): ConversationsState {
  const state = useContext(ConversationsContext);
  if (!state) throw new Error('useConversations needs a ConversationsProvider (the chat layout renders one).');
  return state;
}

/** Conversations, newest first, as links. */
export function ConversationList() {
  const { conversations } = useConversations();
  return (
    <ul className="min-h-0 flex-1 space-y-0.5 overflow-y-auto" data-testid="conversation-list">
      {conversations.map((c) => (
        <li key={c.id}>
          <Link
            href={`/chat/${c.id}`}
            data-testid="conversation-link"
            className="block truncate rounded-md px-3 py-1.5 text-sm hover:bg-neutral-200 dark:hover:bg-neutral-800"
          >
            {c.title ?? 'New chat'}
          </Link>
        </li>
      ))}
    </ul>
  );
}
