/**
 * Before the model answers: everything the chat model needs for one turn, read with as few round
 * trips as the turn allows. The message is embedded while the conversation's short-term memory
 * loads; then the facts the prompt carries are chosen while the past conversations are searched,
 * and the system prompt is built.
 */
import { eq } from 'drizzle-orm';
import { users } from '../db/schema';
import { ONE_STATEMENT } from '../db/store';
import type { ChatMessage, MemoryNote } from '../ai/types';
import { buildEpisodeBlock, episodeNote, retrieveEpisodes, type RetrievedEpisode } from './episodes';
import { buildMemoryBlock, estimateTokens, MORE_MEMORY, orderForPrompt } from './memory-block';
import { loadStandingFacts, NEAREST_KEPT_FOR_PROMPT, retrieveFacts, type RetrievedFact } from './retrieve';
import type { MemoryServices } from './services';
import { loadShortTermContext, type ShortTermContext } from './short-term';
import { buildSystemPrompt } from './system-prompt';

export interface PreparedTurn {
  system: string;
  /** The conversation so far, ending with the user's new message. */
  messages: ChatMessage[];
  /** The facts in the system prompt (shown to the user as "memories used"). */
  usedFacts: RetrievedFact[];
  /** The excerpts of past conversations in the system prompt, most relevant first. */
  usedEpisodes: RetrievedEpisode[];
  /**
   * Everything the prompt recalls, in prompt order: the leading facts (constraints, then the most
   * relevant), the excerpts of past conversations, then the rest of a small memory.
   */
  promptItems: ({ fact: RetrievedFact } | { episode: RetrievedEpisode })[];
  /** The facts, then the excerpts, as notes for a chat provider that does not read prose (ChatRequest.memories). */
  notes: MemoryNote[];
  /** The message's embedding, reused by extraction after the response. */
  messageVector: number[] | null;
  /** What retrieval found for the message (before the prompt's ordering), shown to extraction. */
  relatedFacts: RetrievedFact[];
  /** The conversation's turns not yet in its summary, the answer to come included. */
  unsummarizedTurns: number;
  memoryEnabled: boolean;
}

export interface PrepareTurnInput {
  userId: string;
  conversationId: string;
  /** The user's message, already stored as the conversation's newest turn. */
  message: string;
  /** The user's memory switch, when the caller has already read the user (saves a query). */
  memoryEnabled?: boolean;
  /** "Reference past chats", read with the memory switch (on unless said otherwise). */
  referenceChats?: boolean;
  /** The conversation so far, when the caller read it with the message (saves a unit of work). */
  shortTerm?: ShortTermContext;
  /** The message's embedding, when the caller started it already (embedMessage). */
  messageVector?: Promise<number[] | null>;
}

async function readSwitches({ store }: MemoryServices, userId: string) {
  const [user] = await store.readAsUser(userId, (tx) =>
    tx.select({ memoryEnabled: users.memoryEnabled, referenceChats: users.referenceChats }).from(users).where(eq(users.id, userId)),
  );
  return { memoryEnabled: user?.memoryEnabled ?? false, referenceChats: user?.referenceChats ?? false };
}

/** The message's vector; null when the embedding failed, which costs the turn its long-term memories, not its answer. */
export function embedMessage({ embedder }: MemoryServices, message: string): Promise<number[] | null> {
  return embedder.embed([message]).then(
    ([vector]) => vector ?? null,
    (error: unknown) => {
      console.error(`[memory] embedding the message failed; answering without long-term memory: ${String(error)}`);
      return null;
    },
  );
}

export async function prepareTurn(services: MemoryServices, input: PrepareTurnInput): Promise<PreparedTurn> {
  const { store, embedder, settings } = services;
  const { userId } = input;
  const { memoryEnabled, referenceChats } =
    input.memoryEnabled === undefined
      ? await readSwitches(services, userId)
      : { memoryEnabled: input.memoryEnabled, referenceChats: input.referenceChats ?? true };

  const [messageVector, shortTerm] = await Promise.all([
    memoryEnabled ? (input.messageVector ?? embedMessage(services, input.message)) : null,
    input.shortTerm ?? store.readAsUser(userId, (tx) => loadShortTermContext(tx, userId, input.conversationId), ONE_STATEMENT),
  ]);
  const budget = settings.memoryTokenBudget;
  const searchPast = referenceChats && messageVector !== null && settings.episodes.tokenBudget > 0;
  const query = { userId, model: embedder.model, vector: messageVector ?? [], text: input.message };
  // The facts' search, the standing facts and past conversations are read at once, each in a
  // read-only unit of one statement (one round trip each): the slowest of the three sets the time.
  const [relevant, standing, episodes] = memoryEnabled
    ? await Promise.all([
        messageVector
          ? store.readAsUser(userId, (tx) => retrieveFacts(tx, query, { ...settings.retrieve, keepNearest: NEAREST_KEPT_FOR_PROMPT.facts }), ONE_STATEMENT)
          : Promise.resolve([]),
        // More facts than this cannot fit the budget anyway (a fact costs at least a few tokens).
        store.readAsUser(userId, (tx) => loadStandingFacts(tx, userId, Math.ceil(budget / estimateTokens('- "…" (learned 2026-01-01)'))), ONE_STATEMENT),
        searchPast
          ? store.readAsUser(
              userId,
              (tx) => retrieveEpisodes(tx, { ...query, excludeConversationId: input.conversationId }, { ...settings.episodes, keepNearest: NEAREST_KEPT_FOR_PROMPT.excerpts }),
              ONE_STATEMENT,
            )
          : Promise.resolve([]),
      ])
    : [[], { facts: [], always: new Set<string>(), complete: true }, []];
  const facts = orderForPrompt(relevant, standing, budget);
  const block = buildMemoryBlock(facts.leading, budget);
  const past = buildEpisodeBlock(episodes, settings.episodes.tokenBudget);
  const more = buildMemoryBlock(facts.more, budget - estimateTokens(block.text), MORE_MEMORY);

  return {
    system: buildSystemPrompt({
      memoryBlock: block.text,
      pastConversations: past.text,
      moreMemory: more.text,
      conversationSummary: shortTerm.summary,
      memory: memoryEnabled ? 'on' : 'off',
    }),
    messages: shortTerm.messages,
    usedFacts: [...block.included, ...more.included],
    usedEpisodes: past.included,
    promptItems: [
      ...block.included.map((fact) => ({ fact })),
      ...past.included.map((episode) => ({ episode })),
      ...more.included.map((fact) => ({ fact })),
    ],
    notes: [...block.included, ...more.included, ...past.included.map(episodeNote)],
    messageVector,
    relatedFacts: relevant,
    unsummarizedTurns: shortTerm.unsummarized + 1,
    memoryEnabled,
  };
}
