/**
 * One chat turn, in the design's order: the user's message is stored before anything can fail;
 * then memory is read (prepareTurn), the reply is streamed, and the answer is stored when the
 * stream ends, whether it completed, failed, or the user went away (kept as interrupted).
 */
import { and, desc, eq } from 'drizzle-orm';
import { describeModelError } from '../ai/errors';
import type { ChatFn } from '../ai/types';
import { appendTurn, createConversation, getConversation } from '../db/queries';
import { conversationTurns, type Conversation, type ConversationTurn } from '../db/schema';
import { prepareTurn, type PreparedTurn } from '../memory/prepare-turn';
import type { MemoryServices } from '../memory/services';
import type { TurnEvent } from './events';
import type { ChatRequestBody } from './request';

export interface ChatDeps {
  services: MemoryServices;
  chat: ChatFn;
  /** The reply writer is the offline one: the UI says so. */
  offline: boolean;
  maxReplyTokens: number;
}

export interface StartedTurn {
  userId: string;
  conversation: Conversation;
  isNewConversation: boolean;
  userTurn: ConversationTurn;
  prepared: PreparedTurn;
  temporary: boolean;
}

export type StartResult = { ok: true; turn: StartedTurn } | { ok: false; error: 'not_found' | 'nothing_to_retry' };

/** The caller: the session's user, as read by the route. */
export interface TurnUser {
  id: string;
  memoryEnabled: boolean;
}

export async function startTurn(deps: ChatDeps, user: TurnUser, body: ChatRequestBody): Promise<StartResult> {
  const { db } = deps.services;
  const userId = user.id;
  let conversation: Conversation | undefined;
  let userTurn: ConversationTurn | undefined;
  if ('retry' in body) {
    conversation = await getConversation(db, userId, body.conversationId);
    if (!conversation) return { ok: false, error: 'not_found' };
    userTurn = await turnToRetry(deps, userId, body.conversationId);
    if (!userTurn) return { ok: false, error: 'nothing_to_retry' };
  } else if (body.conversationId) {
    // Both filter by the user: a conversation that is not theirs yields neither, and stores nothing.
    [conversation, userTurn] = await Promise.all([
      getConversation(db, userId, body.conversationId),
      appendTurn(db, userId, { conversationId: body.conversationId, role: 'user', content: body.message }),
    ]);
    if (!conversation || !userTurn) return { ok: false, error: 'not_found' };
  } else {
    conversation = await createConversation(db, userId);
    userTurn = (await appendTurn(db, userId, { conversationId: conversation.id, role: 'user', content: body.message }))!;
  }
  const isNewConversation = !body.conversationId;
  const temporary = 'temporary' in body && body.temporary === true;
  const prepared = await prepareTurn(deps.services, {
    userId,
    conversationId: conversation.id,
    message: userTurn.content,
    useMemory: !temporary,
    memoryEnabled: user.memoryEnabled,
  });
  return { ok: true, turn: { userId, conversation, isNewConversation, userTurn, prepared, temporary } };
}

/**
 * The user turn a retry answers again: the newest turn when it is the user's (its answer was
 * never stored), or the one before a failed answer, which is removed so the retry replaces it.
 */
async function turnToRetry(deps: ChatDeps, userId: string, conversationId: string) {
  const { db } = deps.services;
  const latest = await db
    .select()
    .from(conversationTurns)
    .where(and(eq(conversationTurns.conversationId, conversationId), eq(conversationTurns.userId, userId)))
    .orderBy(desc(conversationTurns.id))
    .limit(2);
  const [newest, previous] = latest;
  if (newest?.role === 'user') return newest;
  if (newest?.status !== 'failed' || previous?.role !== 'user') return undefined;
  await db.delete(conversationTurns).where(and(eq(conversationTurns.id, newest.id), eq(conversationTurns.userId, userId)));
  return previous;
}

/**
 * Streams the reply as events and stores the answer at the end. Runs to the end even when
 * nobody reads the events any more: `signal` (the client went away) stops the model, and what
 * it generated is stored as interrupted.
 */
export async function* streamReply(deps: ChatDeps, turn: StartedTurn, signal: AbortSignal): AsyncGenerator<TurnEvent> {
  const { prepared } = turn;
  yield {
    type: 'start',
    conversationId: turn.conversation.id,
    userTurnId: turn.userTurn.id,
    memories: prepared.usedFacts.map((f) => ({ id: f.id, factType: f.factType, factText: f.factText })),
    offline: deps.offline,
  };

  let content = '';
  let failure: unknown;
  try {
    for await (const event of deps.chat({
      system: prepared.system,
      messages: prepared.messages,
      memories: prepared.usedFacts,
      maxTokens: deps.maxReplyTokens,
      signal,
    })) {
      if (event.type !== 'text') continue;
      content += event.text;
      yield event;
    }
  } catch (error) {
    failure = error;
  }

  const status = signal.aborted ? 'interrupted' : failure ? 'failed' : 'complete';
  if (status === 'failed') console.error(`[chat] the reply for turn ${turn.userTurn.id} failed:`, failure);
  const stored = await appendTurn(deps.services.db, turn.userId, {
    conversationId: turn.conversation.id,
    role: 'assistant',
    content,
    status,
    memoryFactIds: prepared.usedFacts.map((f) => f.id),
  });
  const assistantTurnId = stored?.id ?? null;
  if (status === 'failed') yield { type: 'error', message: describeModelError(failure), assistantTurnId };
  else yield { type: 'done', assistantTurnId: assistantTurnId!, status };
}
