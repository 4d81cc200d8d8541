/**
 * The memory engine's one entry point. createMemory(services) gives every operation the app, the
 * chat turn and the jobs need, for a user or across users; each opens its own units of work and
 * calls the models outside them. The modules behind it take their units and models as arguments,
 * so each is also tested on its own.
 */
import { runDecay, type DecayOptions } from './decay';
import { extractTurn, sweepPendingExtractions, type SweepOptions, type TurnContext } from './extract-turn';
import type { DeletedFact } from './fact-ref';
import { deleteFacts } from './fact-store';
import { deleteAllMemories, editFact, forgetMessage, restoreFact, reviewFacts, setMemorySwitches, type SearchSort } from './manage-facts';
import { mergeGuestIntoAccount } from './merge';
import { embedMessage, prepareTurn, type PrepareTurnInput } from './prepare-turn';
import { reembedMemory, type ReembedOptions } from './reembed';
import type { MemoryServices } from './services';
import { foldOldTurns } from './short-term';
import { MEMORY_TOOLS, runMemoryTool, type ToolContext } from './tools';

export function createMemory(services: MemoryServices) {
  const { store, embedder, extract, settings } = services;
  return {
    /** Before a turn: the system prompt with what memory recalls, the conversation so far, the message's vector. */
    prepare: (input: PrepareTurnInput) => prepareTurn(services, input),
    /** A message's vector for `prepare`, started early; never rejects (null when the embedding failed). */
    embedMessage: (message: string) => embedMessage(services, message),

    /** After a turn, each step on its own. */
    learn: {
      /** The turn's facts extracted and stored with its episode; the turn marked learned. */
      turn: (userId: string, turnId: number, context?: TurnContext) => extractTurn(services, userId, turnId, context),
      /** A long conversation's older turns folded into its summary. */
      fold: (userId: string, conversationId: string, unsummarizedAtMost?: number) =>
        foldOldTurns(store, extract, userId, conversationId, settings.shortTerm, unsummarizedAtMost),
      /** The turns whose learning never finished (a killed process, a vendor down), oldest first. */
      sweep: (options: SweepOptions) => sweepPendingExtractions(services, options),
    },

    /** The memory page: the current facts, listed or found by meaning and words, their count and histories. */
    search: (userId: string, query: { query: string; sort: SearchSort }) => reviewFacts(services, userId, query),

    /** A person's correction of a fact: a new current fact, the old one kept as its history. */
    edit: (userId: string, factId: string, factText: string) => editFact(store, embedder, userId, factId, factText),

    forget: {
      facts: (userId: string, factIds: string[]) => store.asUser(userId, (tx) => deleteFacts(tx, userId, factIds)),
      /** Undo of `facts`: a deleted fact back as it was. */
      undo: (userId: string, fact: DeletedFact) => restoreFact(store, embedder, userId, fact),
      /** Every fact and episode; the conversations stay. */
      all: (userId: string) => store.asUser(userId, (tx) => deleteAllMemories(tx, userId)),
      /** "Don't remember this" on one of the user's messages. */
      message: (userId: string, turnId: number) => store.asUser(userId, (tx) => forgetMessage(tx, userId, turnId)),
    },

    /** Memory on or off, and whether past chats are searched. */
    setSwitches: (userId: string, switches: Parameters<typeof setMemorySwitches>[2]) =>
      store.asUser(userId, (tx) => setMemorySwitches(tx, userId, switches)),

    /** The tools the chat model is offered, and one call of them for a user. */
    tools: {
      offered: MEMORY_TOOLS,
      run: (context: ToolContext, name: string, input: unknown) => runMemoryTool(services, context, name, input),
    },

    /** A guest's conversations and memories moved into an account, duplicates resolved. */
    merge: (guestUserId: string, accountUserId: string) =>
      mergeGuestIntoAccount(store, guestUserId, accountUserId, { model: embedder.model, ...settings.write }),

    /** The nightly job: unused facts forgotten, memories capped, old history purged, unlearned turns swept. */
    decay: (options: DecayOptions) => runDecay(services, options),

    /** After an embedding-model change: every current fact and episode given a vector of the configured model. */
    reembed: (options: ReembedOptions) => reembedMemory(store, embedder, options),
  };
}

export type Memory = ReturnType<typeof createMemory>;
