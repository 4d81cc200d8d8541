/**
 * One chat turn, in the design's order: the user's message is stored, with its answer's row
 * (`streaming`), before anything can fail; then memory is read (prepareTurn), the reply is
 * streamed and saved as it grows, and the answer ends complete, failed, or interrupted (the user
 * went away or pressed Stop). One answer streams at a time per conversation.
 */
import { and, desc, eq } from 'drizzle-orm';
import { describeModelError } from '../ai/errors';
import type { ChatBlock, ChatEvent, ChatFn, ChatMessage, ExtractFn, MemoryNote, TokenUsage } from '../ai/types';
import { commitWithNext, type Database } from '../db/client';
import { createConversation, insertTurn, touchConversation } from '../db/queries';
import { conversationTurns, type Conversation, type ConversationTurn } from '../db/schema';
import type { Store } from '../db/store';
import type { Memory } from '../memory';
import { factRef } from '../memory/fact-ref';
import type { PreparedTurn } from '../memory/prepare-turn';
import { loadShortTermContext, type ShortTermContext } from '../memory/short-term';
import { buildSystemPrompt } from '../memory/system-prompt';
import type { ToolContext } from '../memory/tools';
import { AnswerWriter, settleStreamingAnswers, storeUnlessAnswering } from './answer';
import { logTurn } from './turn-log';
import type { TurnEvent } from './events';
import type { StoredChatRequest } from './request';
import { messageOf } from '../errors';

export interface ChatDeps {
  /** Units of work for the conversations and their turns. */
  store: Store;
  memory: Memory;
  chat: ChatFn;
  /** The small model, for titles. */
  extract: ExtractFn;
  /** The reply writer is the offline one: the UI says so. */
  offline: boolean;
  maxReplyTokens: number;
  /** An answer unsaved for longer than this was cut off (answer.ts streamingStaleAfterMs). */
  streamingStaleAfterMs: number;
}

export interface StartedTurn {
  userId: string;
  conversation: Conversation;
  userTurn: ConversationTurn;
  /** The answer's row, `streaming` until the reply ends. */
  answerId: number;
  prepared: PreparedTurn;
  /** performance.now() when the turn began, and when its prompt was ready (for the log line). */
  startedAt: number;
  preparedAt: number;
}

export type StartFailure =
  | { ok: false; error: 'not_found' | 'nothing_to_retry' }
  /** Another answer is streaming in this conversation; it counts as cut off after `retryAfterSeconds` at most. */
  | { ok: false; error: 'busy'; retryAfterSeconds: number };

export type StartResult = { ok: true; turn: StartedTurn } | StartFailure;

/** The caller: the session's user, as read by the route. */
export interface TurnUser {
  id: string;
  memoryEnabled: boolean;
  /** "Reference past chats"; on unless said otherwise. */
  referenceChats?: boolean;
}

/** The question was stored, but reading what the answer needs failed: a retry can answer it. */
export class AnswerNotStarted extends Error {
  constructor(
    readonly conversationId: string,
    cause: unknown,
  ) {
    super(`the answer could not start: ${messageOf(cause)}`, { cause });
    this.name = 'AnswerNotStarted';
  }
}

export async function startTurn(deps: ChatDeps, user: TurnUser, body: StoredChatRequest): Promise<StartResult> {
  const userId = user.id;
  const startedAt = performance.now();
  // A new message is embedded while it is stored, the two longest waits before the answer side
  // by side (a refused message wastes that one call). A failed embedding fails nothing.
  const messageVector = user.memoryEnabled && 'message' in body ? deps.memory.embedMessage(body.message) : undefined;
  const stored = await storeQuestion(deps.store, userId, body, deps.streamingStaleAfterMs);
  if (!stored.ok) return stored;
  const { conversation, userTurn, answerId, shortTerm } = stored;
  const prepared = await deps.memory
    .prepare({
      userId,
      conversationId: conversation.id,
      message: userTurn.content,
      shortTerm,
      messageVector,
      memoryEnabled: user.memoryEnabled,
      referenceChats: user.referenceChats,
    })
    .catch(async (error: unknown) => {
      // The answer never began: it failed, so Retry answers the question at once.
      await deps.store
        .asUser(userId, (tx) =>
          tx.update(conversationTurns).set({ status: 'failed' }).where(and(eq(conversationTurns.id, answerId), eq(conversationTurns.userId, userId))),
        )
        .catch(() => undefined);
      throw new AnswerNotStarted(conversation.id, error);
    });
  return { ok: true, turn: { userId, conversation, userTurn, answerId, prepared, startedAt, preparedAt: performance.now() } };
}

export type StoredQuestion = { ok: true; conversation: Conversation; userTurn: ConversationTurn; answerId: number; shortTerm: ShortTermContext };

/** Thrown inside the unit of work when another answer streams in the conversation: nothing is kept. */
class AnswerStreaming extends Error {
  constructor(readonly updatedAt: Date) {
    super('another answer is streaming in this conversation');
  }
}

/**
 * The user's message and its answer's row, stored in one unit of work (a new conversation, its
 * first turn and the answer exist together or not at all), or the turn a retry answers again;
 * with the conversation so far, for the prompt.
 * The conversation's row is locked first, so two messages into one conversation take turns: the
 * second finds the first's answer streaming and is refused. Every read filters by the user: a
 * conversation that is not theirs yields nothing and stores nothing.
 */
export async function storeQuestion(store: Store, userId: string, body: StoredChatRequest, staleAfterMs: number): Promise<StoredQuestion | StartFailure> {
  try {
    return await store.asUser(userId, (tx) => storeInUnit(tx, userId, body, staleAfterMs));
  } catch (error) {
    if (!(error instanceof AnswerStreaming)) throw error;
    const cutOffIn = staleAfterMs - (Date.now() - error.updatedAt.getTime());
    return { ok: false, error: 'busy', retryAfterSeconds: Math.max(1, Math.ceil(cutOffIn / 1000)) };
  }
}

async function storeInUnit(tx: Database, userId: string, body: StoredChatRequest, staleAfterMs: number): Promise<StoredQuestion | StartFailure> {
  // Touching the conversation locks its row: the one statement proves it is the user's, takes
  // the lock and marks it used.
  const conversation = body.conversationId ? await touchConversation(tx, userId, body.conversationId) : await createConversation(tx, userId);
  if (!conversation) return { ok: false, error: 'not_found' };
  let stored: { question: ConversationTurn; answerId: number };
  if ('retry' in body) {
    const live = await settleStreamingAnswers(tx, userId, conversation.id, staleAfterMs);
    if (live) throw new AnswerStreaming(live.updatedAt);
    const question = await turnToRetry(tx, userId, conversation.id);
    if (!question) return { ok: false, error: 'nothing_to_retry' };
    const answer = await insertTurn(tx, userId, { conversationId: conversation.id, role: 'assistant', content: '', status: 'streaming', repliesTo: question.id });
    stored = { question, answerId: answer.id };
  } else {
    // Stored and checked in one statement; a live answer undoes it (the unit rolls back).
    const { live, ...asked } = await storeUnlessAnswering(tx, userId, conversation.id, body.message, staleAfterMs);
    if (live) throw new AnswerStreaming(live.updatedAt);
    stored = asked;
  }
  const { question: userTurn, answerId } = stored;
  // The conversation so far, read while its row is at hand (a new one is just this message). What
  // is stored is kept by now, so the COMMIT goes with the read.
  let shortTerm: ShortTermContext;
  if (body.conversationId) {
    commitWithNext(tx);
    shortTerm = await loadShortTermContext(tx, userId, conversation.id, conversation);
  } else {
    shortTerm = { summary: null, messages: [{ role: 'user', content: userTurn.content }], unsummarized: 1 };
  }
  return { ok: true, conversation, userTurn, answerId, shortTerm };
}

/**
 * The user turn a retry answers again: the newest turn when it is the user's (its answer was
 * never stored), or the question of a failed or interrupted answer, which is removed so the
 * retry replaces it.
 */
async function turnToRetry(tx: Database, userId: string, conversationId: string) {
  const mine = and(eq(conversationTurns.conversationId, conversationId), eq(conversationTurns.userId, userId));
  const [newest] = await tx.select().from(conversationTurns).where(mine).orderBy(desc(conversationTurns.id)).limit(1);
  if (newest?.role === 'user') return newest;
  if (!newest || (newest.status !== 'failed' && newest.status !== 'interrupted') || newest.repliesTo === null) return undefined;
  await tx.delete(conversationTurns).where(and(mine, eq(conversationTurns.id, newest.id)));
  const [question] = await tx
    .select()
    .from(conversationTurns)
    .where(and(mine, eq(conversationTurns.id, newest.repliesTo), eq(conversationTurns.role, 'user')));
  return question;
}

/** Tool rounds per answer: enough to list, then act, then answer. */
const MAX_TOOL_ROUNDS = 3;

interface Generation {
  /** Undefined when the reply completed, else what failed or stopped it. */
  failure: unknown;
  /** The tokens of all its rounds, when the vendor counted them. */
  usage?: TokenUsage;
}

/**
 * The model's reply to a prompt, as text events; memory tool calls (when `toolsFor` names the
 * user they act for) are run and their results sent back, for a few rounds at most.
 */
async function* generate(
  deps: ChatDeps,
  prompt: { system: string; messages: ChatMessage[]; memories: MemoryNote[] },
  signal: AbortSignal,
  toolsFor: ToolContext | null,
): AsyncGenerator<TurnEvent, Generation> {
  let content = '';
  let usage: TokenUsage | undefined;
  let messages = prompt.messages;
  try {
    for (let round = 0; round < MAX_TOOL_ROUNDS; round++) {
      const calls: Extract<ChatEvent, { type: 'tool_call' }>[] = [];
      const roundStart = content.length;
      for await (const event of deps.chat({
        system: prompt.system,
        messages,
        memories: prompt.memories,
        tools: toolsFor && round < MAX_TOOL_ROUNDS - 1 ? deps.memory.tools.offered : undefined,
        maxTokens: deps.maxReplyTokens,
        signal,
      })) {
        if (event.type === 'tool_call') calls.push(event);
        if (event.type === 'retrying') yield event;
        if (event.type === 'done' && event.usage) {
          usage = { inputTokens: (usage?.inputTokens ?? 0) + event.usage.inputTokens, outputTokens: (usage?.outputTokens ?? 0) + event.usage.outputTokens };
        }
        if (event.type !== 'text') continue;
        content += event.text;
        yield event;
      }
      if (!calls.length || !toolsFor) break;

      const said = content.slice(roundStart);
      const results: ChatBlock[] = [];
      for (const call of calls) {
        const outcome = await deps.memory.tools.run(toolsFor, call.name, call.input).catch((error: unknown) => ({
          result: `The tool failed: ${messageOf(error)}`,
          change: null,
        }));
        if (outcome.change) yield { type: 'memory', ...outcome.change };
        results.push({ type: 'tool_result', toolUseId: call.id, content: outcome.result });
      }
      messages = [
        ...messages,
        {
          role: 'assistant',
          content: [
            ...(said ? [{ type: 'text' as const, text: said }] : []),
            ...calls.map((c) => ({ type: 'tool_use' as const, id: c.id, name: c.name, input: c.input })),
          ],
        },
        { role: 'user', content: results },
      ];
      // What the next round writes starts a paragraph of its own, on screen as in the stored answer.
      if (content && !content.endsWith('\n')) {
        content += '\n\n';
        yield { type: 'text', text: '\n\n' };
      }
    }
    return { failure: undefined, usage };
  } catch (failure) {
    // What was written before it failed or was stopped is kept by the caller.
    return { failure, usage };
  }
}

interface ReplyStats {
  firstTextAt?: number;
  retries: number;
  replyChars: number;
}

/** Passes a reply's events through, counting what the turn's log line reports. */
async function* tracked(reply: AsyncGenerator<TurnEvent, Generation>, stats: ReplyStats, onText?: (text: string) => void) {
  let step = await reply.next();
  for (; !step.done; step = await reply.next()) {
    const event = step.value;
    if (event.type === 'text') {
      stats.firstTextAt ??= performance.now();
      stats.replyChars += event.text.length;
      onText?.(event.text);
    }
    if (event.type === 'retrying') stats.retries++;
    yield event;
  }
  return step.value;
}

/**
 * Streams the reply as events, saving the answer as it grows. Runs to the end even when nobody
 * reads the events any more: `signal` (the client went away, or Stop) stops the model, and what
 * it generated is stored as interrupted.
 */
export async function* streamReply(deps: ChatDeps, turn: StartedTurn, signal: AbortSignal): AsyncGenerator<TurnEvent> {
  const { prepared } = turn;
  yield {
    type: 'start',
    conversationId: turn.conversation.id,
    userTurnId: turn.userTurn.id,
    memories: prepared.usedFacts.map(factRef),
    offline: deps.offline,
  };

  const writer = new AnswerWriter(deps.store, turn.userId, turn.answerId, deps.streamingStaleAfterMs);
  const stats: ReplyStats = { retries: 0, replyChars: 0 };
  const reply = generate(
    deps,
    {
      system: prepared.system,
      messages: prepared.messages,
      memories: prepared.notes,
    },
    signal,
    // While memory is off, the model gets no memory tools either.
    prepared.memoryEnabled ? { userId: turn.userId, conversationId: turn.conversation.id } : null,
  );
  const { failure, usage } = yield* tracked(reply, stats, (text) => writer.append(text));

  const status = signal.aborted ? 'interrupted' : failure ? 'failed' : 'complete';
  if (status === 'failed') console.error(`[chat] the reply for turn ${turn.userTurn.id} failed: ${messageOf(failure)}`);
  const usedIds = prepared.usedFacts.map((f) => f.id);
  // The memories the prompt carried count as used with the answer that used them.
  const stored = await writer.finish(status, usedIds);
  const assistantTurnId = stored ? turn.answerId : null;
  logTurn({
    conversationId: turn.conversation.id,
    userTurnId: turn.userTurn.id,
    answerId: assistantTurnId,
    outcome: status,
    failure: status === 'failed' ? failure : undefined,
    ms: since(turn.startedAt, { beforeAnswer: turn.preparedAt, firstText: stats.firstTextAt }),
    tokens: usage,
    retries: stats.retries,
    replyChars: stats.replyChars,
    memoriesUsed: prepared.usedFacts.length,
    excerptsUsed: prepared.usedEpisodes.length,
  });
  if (status === 'failed') yield { type: 'error', message: describeModelError(failure), assistantTurnId };
  else yield { type: 'done', assistantTurnId, status };
}

/** Moments (performance.now()) as milliseconds since `start`, and the total until now. */
function since(start: number, moments: { beforeAnswer?: number; firstText?: number }) {
  const from = (at: number | undefined) => (at === undefined ? undefined : at - start);
  return { beforeAnswer: from(moments.beforeAnswer), firstText: from(moments.firstText), total: performance.now() - start };
}

/** A temporary chat: the conversation so far comes from the browser; nothing is read or stored. */
export async function* temporaryReply(deps: ChatDeps, messages: ChatMessage[], signal: AbortSignal): AsyncGenerator<TurnEvent> {
  yield { type: 'start', conversationId: null, userTurnId: null, memories: [], offline: deps.offline };
  const system = buildSystemPrompt({ memoryBlock: '', conversationSummary: null, memory: 'temporary' });
  const startedAt = performance.now();
  const stats: ReplyStats = { retries: 0, replyChars: 0 };
  const { failure, usage } = yield* tracked(generate(deps, { system, messages, memories: [] }, signal, null), stats);
  const outcome = signal.aborted ? 'interrupted' : failure ? 'failed' : 'complete';
  logTurn({
    conversationId: null,
    userTurnId: null,
    answerId: null,
    outcome,
    failure: outcome === 'failed' ? failure : undefined,
    ms: since(startedAt, { firstText: stats.firstTextAt }),
    tokens: usage,
    retries: stats.retries,
    replyChars: stats.replyChars,
  });
  if (outcome === 'failed') {
    console.error(`[chat] a temporary reply failed: ${messageOf(failure)}`);
    yield { type: 'error', message: describeModelError(failure), assistantTurnId: null };
  } else yield { type: 'done', assistantTurnId: null, status: outcome };
}
