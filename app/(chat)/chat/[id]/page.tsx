import { notFound } from 'next/navigation';
import { z } from 'zod';
import { Chat } from '@/components/chat/chat';
import { readAsSessionUser } from '@/lib/auth/session';
import { streamingStaleAfterMs } from '@/lib/chat/answer';
import { loadConversationView } from '@/lib/chat/history';
import { env } from '@/lib/env';

export default async function ConversationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // Not yours, or not a conversation at all: the same answer, so ids reveal nothing.
  if (!z.uuid().safeParse(id).success) notFound();
  const session = await readAsSessionUser((tx, user) => loadConversationView(tx, user.id, id, streamingStaleAfterMs(env().MODEL_TIMEOUT_MS)));
  const view = session?.result;
  if (!view) notFound();
  return (
    <Chat
      key={id}
      conversationId={id}
      initialTurns={view.turns.map((t) => ({ ...t, key: String(t.id), changes: [] }))}
      maxChars={env().CHAT_MAX_MESSAGE_CHARS}
      memoryEnabled={session.user.memoryEnabled}
    />
  );
}
