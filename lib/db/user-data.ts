/**
 * A user's data rights: everything Engram holds about them as one JSON document (access and
 * portability), and deleting the account with every row of theirs (erasure).
 */
import { asc, eq } from 'drizzle-orm';
import type { Database } from './client';
import { accountMerges, conversationTurns, conversations, episodeEmbeddings, userFacts, users } from './schema';

export async function exportUserData(db: Database, userId: string) {
  // The columns exported, not the row: the password hash never leaves the database on a request.
  const [user] = await db
    .select({
      id: users.id,
      email: users.email,
      isAnonymous: users.isAnonymous,
      memoryEnabled: users.memoryEnabled,
      referenceChats: users.referenceChats,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) return undefined;
  // One after another: a unit of work is one connection, which runs one statement at a time.
  const chats = await db.select().from(conversations).where(eq(conversations.userId, userId)).orderBy(asc(conversations.createdAt));
  const turns = await db.select().from(conversationTurns).where(eq(conversationTurns.userId, userId)).orderBy(asc(conversationTurns.id));
  const facts = await db.select().from(userFacts).where(eq(userFacts.userId, userId)).orderBy(asc(userFacts.createdAt));
  const merges = await db.select().from(accountMerges).where(eq(accountMerges.accountUserId, userId));
  const episodes = await db
    .select({ turnId: episodeEmbeddings.turnId, model: episodeEmbeddings.model })
    .from(episodeEmbeddings)
    .where(eq(episodeEmbeddings.userId, userId));
  const kept = new Map(episodes.map((e) => [e.turnId, e.model]));
  return {
    exportedAt: new Date().toISOString(),
    account: {
      id: user.id,
      email: user.email,
      isGuest: user.isAnonymous,
      memoryEnabled: user.memoryEnabled,
      referencePastChats: user.referenceChats,
      createdAt: user.createdAt,
      guestSessionsMerged: merges.map((m) => ({ guestId: m.anonymousUserId, mergedAt: m.mergedAt })),
    },
    conversations: chats.map((c) => ({
      id: c.id,
      title: c.title,
      createdAt: c.createdAt,
      summary: c.summary,
      turns: turns
        .filter((t) => t.conversationId === c.id)
        .map((t) => ({
          id: t.id,
          role: t.role,
          content: t.content,
          status: t.status,
          createdAt: t.createdAt,
          // Kept as an episode: searched in later chats (its vector is derived data, left out).
          ...(t.role === 'user' ? { rememberedForPastChats: kept.has(t.id) } : {}),
        })),
    })),
    // Current facts and their history; embeddings are derived data and left out.
    facts: facts.map((f) => ({
      id: f.id,
      type: f.factType,
      text: f.factText,
      confidence: f.confidence,
      learnedAt: f.createdAt,
      updatedAt: f.updatedAt,
      sourceConversationId: f.sourceConversationId,
      timesUsed: f.accessCount,
      lastUsedAt: f.lastAccessed,
      supersededAt: f.supersededAt,
      supersededBy: f.supersededBy,
    })),
  };
}

export type UserDataExport = NonNullable<Awaited<ReturnType<typeof exportUserData>>>;

/**
 * Deletes the user and, by the foreign keys' cascades, every row of theirs: conversations,
 * turns, facts, embeddings and merge records.
 */
export async function deleteAccount(db: Database, userId: string): Promise<boolean> {
  const deleted = await db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
  return deleted.length > 0;
}
