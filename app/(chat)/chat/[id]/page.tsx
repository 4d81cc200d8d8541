import { notFound } from 'next/navigation';
import { Chat } from '@/components/chat/chat';
import { getCurrentUser } from '@/lib/auth/current-user';
import { loadConversationView } from '@/lib/chat/history';
import { getDatabase } from '@/lib/db';
import { runAsUser } from '@/lib/db/user-context';
import { env } from '@/lib/env';

export default async function ConversationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await getCurrentUser();
  // Not yours, or not a conversation at all: the same answer, so ids reveal nothing.
  if (!user || !/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const { db } = await getDatabase();
  const view = await runAsUser(user.id, () => loadConversationView(db, user.id, id));
  if (!view) notFound();
  return (
    <Chat
      key={id}
      conversationId={id}
      initialTurns={view.turns.map((t) => ({ ...t, key: String(t.id), changes: [] }))}
      maxChars={env().CHAT_MAX_MESSAGE_CHARS}
    />
  );
}
