import { Chat } from '@/components/chat/chat';
import { getSessionUser } from '@/lib/auth/session';
import { env } from '@/lib/env';

/** A new conversation: long-term memory carries over, the recent turns start empty. */
export default async function NewChatPage({ searchParams }: { searchParams: Promise<{ temporary?: string }> }) {
  const [params, user] = await Promise.all([searchParams, getSessionUser()]);
  const isTemporary = params.temporary === '1';
  return (
    <Chat
      key={isTemporary ? 'temporary' : 'new'}
      conversationId={null}
      initialTurns={[]}
      maxChars={env().CHAT_MAX_MESSAGE_CHARS}
      temporary={isTemporary}
      // A visitor has no switch yet: memory starts on.
      memoryEnabled={user?.memoryEnabled ?? true}
    />
  );
}
