import { Chat } from '@/components/chat/chat';
import { getCurrentUser } from '@/lib/auth/current-user';
import { env } from '@/lib/env';

/** A new conversation: long-term memory carries over, the recent turns start empty. */
export default async function NewChatPage() {
  const user = await getCurrentUser();
  return <Chat key="new" conversationId={null} initialTurns={[]} maxChars={env().CHAT_MAX_MESSAGE_CHARS} hasSession={!!user} />;
}
