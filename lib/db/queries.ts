/**
 * Queries on users, conversations and turns. Every function that reads or writes user data takes
 * the user's id (from the session, never from the request) and filters by it.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Database } from './client';
import { conversationTurns, conversations, users, type ConversationTurn } from './schema';

export async function createAnonymousUser(db: Database) {
  const [user] = await db.insert(users).values({ isAnonymous: true }).returning();
  return user!;
}

export async function getUser(db: Database, userId: string) {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  return user;
}

export async function createConversation(db: Database, userId: string, title?: string) {
  const [conversation] = await db.insert(conversations).values({ userId, title }).returning();
  return conversation!;
}

/**
 * The user's conversations, newest first. One not titled yet (its title is written after the
 * first answer, and may never be: a guest who signs up meanwhile moves it away from that step)
 * is named by the start of its first message.
 */
export function listConversations(db: Database, userId: string) {
  return db
    .select({
      id: conversations.id,
      title: sql<string | null>`COALESCE(${conversations.title}, (
        SELECT left(t.content, 80) FROM ${conversationTurns} t
        WHERE t.conversation_id = "conversations"."id" AND t.user_id = ${userId} ORDER BY t.id LIMIT 1))`,
    })
    .from(conversations)
    .where(eq(conversations.userId, userId))
    .orderBy(desc(conversations.updatedAt), desc(conversations.createdAt));
}

/** One of the user's conversations (touchConversation reads it and locks it). */
export async function getConversation(db: Database, userId: string, conversationId: string) {
  const [conversation] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId)));
  return conversation;
}

/**
 * Marks one of the user's conversations as just used (its `updated_at`), which also holds its row
 * locked until the unit of work ends. Undefined when the conversation is not the user's.
 */
export async function touchConversation(db: Database, userId: string, conversationId: string) {
  const [conversation] = await db
    .update(conversations)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId)))
    .returning();
  return conversation;
}

export type NewTurn = Pick<ConversationTurn, 'conversationId' | 'content'> &
  Partial<Pick<ConversationTurn, 'status' | 'memoryFactIds'>> &
  // An answer always names the question it answers.
  ({ role: 'user' } | { role: 'assistant'; repliesTo: number });

/**
 * Inserts a turn into a conversation this unit of work has already found to be the user's
 * (touchConversation, createConversation): the caller vouches for the conversation.
 */
export async function insertTurn(db: Database, userId: string, turn: NewTurn): Promise<ConversationTurn> {
  const [stored] = await db
    .insert(conversationTurns)
    .values({ ...turn, userId })
    .returning();
  return stored!;
}

/**
 * A question and its answer's row (`streaming`, replying to it), as the CTEs `question` and
 * `answer` of the caller's statement, into a conversation this unit of work has already found to
 * be the user's (as insertTurn).
 */
export function questionAndAnswer(db: Database, userId: string, conversationId: string, content: string) {
  const question = db.$with('question').as(db.insert(conversationTurns).values({ userId, conversationId, role: 'user', content }).returning());
  const answer = db.$with('answer', { id: conversationTurns.id }).as(
    sql`INSERT INTO conversation_turns (user_id, conversation_id, role, content, status, replies_to)
        SELECT user_id, conversation_id, 'assistant', '', 'streaming', id FROM ${question} RETURNING id`,
  );
  return { question, answer };
}

/**
 * Appends a turn to one of the user's conversations and touches the conversation, inside the
 * caller's unit of work. Answers undefined, writing nothing, when the conversation is not the user's.
 */
export async function appendTurn(db: Database, userId: string, turn: NewTurn): Promise<ConversationTurn | undefined> {
  return (await touchConversation(db, userId, turn.conversationId)) ? insertTurn(db, userId, turn) : undefined;
}

export function listTurns(db: Database, userId: string, conversationId: string) {
  return db
    .select()
    .from(conversationTurns)
    .where(and(eq(conversationTurns.conversationId, conversationId), eq(conversationTurns.userId, userId)))
    .orderBy(asc(conversationTurns.id));
}
