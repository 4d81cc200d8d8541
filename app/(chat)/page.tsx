import { Chat } from '@/components/chat/chat';
import { getCurrentUser } from '@/lib/auth/current-user';
import { env } from '@/lib/env';

/** A new conversation: long-term memory carries over, the recent turns start empty. */
export default async function NewChatPage({ searchParams }: { searchParams: Promise<{ temporary?: string }> }) {
  const [user, { temporary }] = await Promise.all([getCurrentUser(), searchParams]);
  const isTemporary = temporary === '1';
  return (
    <Chat
      key={isTemporary ? 'temporary' : 'new'}
      conversationId={null}
      initialTurns={[]}
      maxChars={env().CHAT_MAX_MESSAGE_CHARS}
      hasSession={!!user}
      temporary={isTemporary}
    />
  );
}
