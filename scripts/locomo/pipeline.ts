/**
 * The end-to-end (pipeline) measure of ../shared/bench/locomo/README.md, with the product's own
 * code: the raw dialogue is stored as two users' chats (one per speaker; the other speaker's
 * following turn is the assistant's reply), each user turn is extracted as the app does after a
 * turn, and each question is asked through prepareTurn, reading what its prompt would carry.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversations, conversationTurns, userFacts } from '@/lib/db/schema';
import { extractTurn } from '@/lib/memory/extract-turn';
import { prepareTurn } from '@/lib/memory/prepare-turn';
import type { MemoryServices } from '@/lib/memory/services';
import type { Conversation, Question } from './load';
import { interleave, promptCounts, promptItems, speakersAsked } from './prompt-items';

export interface IngestStats {
  /** Dialogue turns stored as a user's message. */
  userTurns: number;
  /** Dialogue turns stored as the assistant's reply in the other speaker's chat. */
  replies: number;
  extracted: number;
  failed: number;
  skipped: number;
  /** Current facts of both users once every session is in. */
  facts: number;
  /** Turns of neither speaker, and sessions whose date could not be read (left undated). */
  unknownSpeakerTurns: number;
  undatedSessions: number;
}

export interface IngestedConversation {
  /** The users, in the order of `conversation.speakers`. */
  userIds: string[];
  /** Each stored turn's dialogue id(s). */
  diaIdsByTurn: Map<number, string[]>;
  stats: IngestStats;
}

/** Seconds after the session's start given to its Nth turn, so the turns keep their order in time. */
const turnTime = (start: Date | null, index: number) => (start ? new Date(start.getTime() + index * 1000) : null);

/**
 * Stores the dialogue session by session (one chat per session and user) and extracts each user
 * turn right after its reply, as the app does. The functions stamp rows with the clock, so the
 * turns, their chat and the facts learned from them are then dated to the session with an UPDATE.
 */
export async function ingestConversation(services: MemoryServices, conversation: Conversation): Promise<IngestedConversation> {
  const { store } = services;
  const userIds: string[] = [];
  while (userIds.length < conversation.speakers.length) userIds.push((await store.asSystem((tx) => createAnonymousUser(tx))).id);
  const speakerIndex = new Map(conversation.speakers.map((speaker, i) => [speaker, i]));
  const diaIdsByTurn = new Map<number, string[]>();
  const stats: IngestStats = { userTurns: 0, replies: 0, extracted: 0, failed: 0, skipped: 0, facts: 0, unknownSpeakerTurns: 0, undatedSessions: 0 };

  for (const session of conversation.sessions) {
    if (!session.date) stats.undatedSessions += 1;
    /** This session's chat of each speaker, made at the speaker's first message. */
    const chats = new Map<number, string>();
    for (const [i, turn] of session.turns.entries()) {
      const speaker = speakerIndex.get(turn.speaker);
      if (speaker === undefined) {
        stats.unknownSpeakerTurns += 1;
        continue;
      }
      const userId = userIds[speaker]!;
      const next = session.turns[i + 1];
      const reply = next && next.speaker !== turn.speaker && speakerIndex.has(next.speaker) ? next : undefined;
      const [said, answered] = [turnTime(session.date, i), turnTime(session.date, i + 1)];

      const stored = await store.asUser(userId, async (tx) => {
        let chatId = chats.get(speaker);
        if (!chatId) {
          chatId = (await createConversation(tx, userId)).id;
          chats.set(speaker, chatId);
          if (said) await tx.update(conversations).set({ createdAt: said }).where(eq(conversations.id, chatId));
        }
        const userTurn = await appendTurn(tx, userId, { conversationId: chatId, role: 'user', content: turn.text });
        if (!userTurn) throw new Error(`turn ${turn.diaId} was not stored`);
        const replyTurn = reply ? await appendTurn(tx, userId, { conversationId: chatId, role: 'assistant', content: reply.text, repliesTo: userTurn.id }) : undefined;
        if (said) {
          await tx.update(conversationTurns).set({ createdAt: said }).where(eq(conversationTurns.id, userTurn.id));
          if (replyTurn) await tx.update(conversationTurns).set({ createdAt: answered! }).where(eq(conversationTurns.id, replyTurn.id));
          await tx.update(conversations).set({ updatedAt: replyTurn ? answered! : said }).where(eq(conversations.id, chatId));
        }
        return { userTurn, replyTurn };
      });
      stats.userTurns += 1;
      diaIdsByTurn.set(stored.userTurn.id, [turn.diaId]);
      if (stored.replyTurn && reply) {
        stats.replies += 1;
        diaIdsByTurn.set(stored.replyTurn.id, [reply.diaId]);
      }

      const result = await extractTurn(services, userId, stored.userTurn.id);
      stats[result.status === 'extracted' ? 'extracted' : result.status === 'failed' ? 'failed' : 'skipped'] += 1;
      if (said && result.status === 'extracted') await dateFacts(services, userId, stored.userTurn.id, said, result.outcomes);
    }
  }

  for (const userId of userIds) {
    stats.facts += await store.asUser(userId, (tx) => tx.$count(userFacts, and(eq(userFacts.userId, userId), isNull(userFacts.supersededAt))));
  }
  return { userIds, diaIdsByTurn, stats };
}

type Outcomes = Extract<Awaited<ReturnType<typeof extractTurn>>, { status: 'extracted' }>['outcomes'];

/** The facts a turn added, refreshed or superseded, dated to when the turn was said. */
async function dateFacts(services: MemoryServices, userId: string, turnId: number, at: Date, outcomes: Outcomes) {
  const added = outcomes.flatMap((o) => (o.action === 'added' ? [o.fact.id] : []));
  const refreshed = outcomes.flatMap((o) => (o.action === 'refreshed' ? [o.fact.id] : []));
  const superseded = outcomes.flatMap((o) => (o.action === 'dropped' ? [] : o.superseded));
  if (!added.length && !refreshed.length && !superseded.length) return;
  await services.store.asUser(userId, async (tx) => {
    const mine = eq(userFacts.userId, userId);
    await tx.update(userFacts).set({ createdAt: at, updatedAt: at }).where(and(mine, eq(userFacts.sourceTurnId, turnId)));
    if (refreshed.length) await tx.update(userFacts).set({ updatedAt: at }).where(and(mine, inArray(userFacts.id, refreshed)));
    if (superseded.length) {
      await tx.update(userFacts).set({ supersededAt: at, updatedAt: at }).where(and(mine, inArray(userFacts.id, superseded)));
    }
  });
}

export interface Asked {
  /** Each prompt item's dialogue ids, in prompt order (two prompts merged by rank). */
  items: string[][];
  facts: number;
  episodes: number;
  /** The speakers it was asked of. */
  speakers: number[];
}

/**
 * Asks a question as a new message in an empty chat of each speaker it is asked of, through the
 * product's prepareTurn (nothing is stored: no facts are counted as used, nothing is extracted).
 */
export async function askQuestion(
  services: MemoryServices,
  conversation: Conversation,
  ingested: IngestedConversation,
  /** An empty chat of each user, in the order of `userIds`. */
  emptyChats: string[],
  question: Question,
): Promise<Asked> {
  const speakers = speakersAsked(question.question, conversation.speakers);
  const lists: string[][][] = [];
  let facts = 0;
  let episodes = 0;
  for (const speaker of speakers) {
    const prepared = await prepareTurn(services, {
      userId: ingested.userIds[speaker]!,
      conversationId: emptyChats[speaker]!,
      message: question.question,
      memoryEnabled: true,
    });
    lists.push(promptItems(prepared, ingested.diaIdsByTurn));
    const counts = promptCounts(prepared);
    facts += counts.facts;
    episodes += counts.episodes;
  }
  return { items: interleave(lists), facts, episodes, speakers };
}

/** One empty chat per user, to ask questions in. */
export async function emptyChats(services: MemoryServices, ingested: IngestedConversation): Promise<string[]> {
  const chats: string[] = [];
  for (const userId of ingested.userIds) {
    chats.push(await services.store.asUser(userId, async (tx) => (await createConversation(tx, userId, 'LoCoMo questions')).id));
  }
  return chats;
}
