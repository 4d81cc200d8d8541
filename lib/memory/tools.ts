/**
 * Memory tools the chat model may call when the user asks about their memory: list it, remember
 * something explicitly, forget something. They act on the current user's facts only, with the
 * same functions as the settings page.
 */
import { z } from 'zod';
import type { ChatTool } from '../ai/types';
import { FACT_TYPES, factRef, type FactRef } from './fact-ref';
import { deleteFacts } from './fact-store';
import { listCurrentFacts } from './manage-facts';
import { retrieveFacts } from './retrieve';
import type { MemoryServices } from './services';
import type { FactType } from '../db/schema';
import { extractFacts } from './extract-facts';
import { writeFacts, type CandidateFact } from './write-facts';

export const MEMORY_TOOLS: ChatTool[] = [
  {
    name: 'list_my_memories',
    description: 'List everything remembered about the user, with ids. Use when the user asks what you remember or know about them.',
    inputSchema: { type: 'object', properties: {} },
  },
  {
    name: 'remember',
    description: 'Remember a fact about the user because they explicitly asked you to remember it.',
    inputSchema: {
      type: 'object',
      properties: {
        fact: { type: 'string', description: 'The fact, short, in the third person ("Prefers metric units").' },
        type: { type: 'string', enum: FACT_TYPES },
      },
      required: ['fact'],
    },
  },
  {
    name: 'forget',
    description: 'Forget what the user asks you to forget: deletes the remembered facts that match the description.',
    inputSchema: {
      type: 'object',
      properties: { description: { type: 'string', description: 'What to forget, e.g. "lives in Paris".' } },
      required: ['description'],
    },
  },
  {
    name: 'delete_memory',
    description: 'Delete remembered facts by their ids (from list_my_memories).',
    inputSchema: { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } }, required: ['ids'] },
  },
];

export interface ToolOutcome {
  /** What the model is told. */
  result: string;
  /** What the user is shown: the facts a call added or deleted. */
  change: { action: 'remembered' | 'forgot'; facts: FactRef[] } | null;
}

const rememberInput = z.object({ fact: z.string().trim().min(1).max(500), type: z.enum(FACT_TYPES).optional() });
const forgetInput = z.object({ description: z.string().trim().min(1).max(500) });
const deleteInput = z.object({ ids: z.array(z.uuid()).max(100) });

/** A deleted fact must match the description closely: similar in meaning, or containing its words. */
const FORGET_MIN_SIMILARITY = 0.75;
const FORGET_CANDIDATES = 50;

function containsAllWords(fact: string, description: string): boolean {
  const words = description.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [];
  const text = fact.toLowerCase();
  return words.length > 0 && words.every((w) => text.includes(w.replace(/s$/, '')));
}

/** Whom a tool call acts for, and the conversation it was made in (the source of what it remembers). */
export interface ToolContext {
  userId: string;
  conversationId: string;
}

/**
 * What "remember that…" stores: the model's fact and type; without a type, the fact extractor's
 * reading of it (so "I'm allergic to peanuts" is the constraint "Is allergic to peanuts").
 */
async function factsToRemember({ extract }: MemoryServices, fact: string, type: FactType | undefined): Promise<CandidateFact[]> {
  const asGiven: CandidateFact = { factType: type ?? 'personal_context', factText: fact, confidence: 1, supersedes: [] };
  if (type) return [asGiven];
  const read = await extractFacts(extract, { userMessage: fact, knownFacts: [] }).catch(() => []);
  return read.length ? read.map((f) => ({ ...f, confidence: 1, supersedes: [] })) : [asGiven];
}

export async function runMemoryTool(services: MemoryServices, context: ToolContext, name: string, input: unknown): Promise<ToolOutcome> {
  const { store, embedder, settings } = services;
  const { userId } = context;
  switch (name) {
    case 'list_my_memories': {
      const facts = await store.asUser(userId, (tx) => listCurrentFacts(tx, userId, 'newest'));
      const lines = facts.slice(0, 200).map((f) => `- [${f.id}] (${f.factType}) ${f.factText}`);
      return { result: lines.length ? `Remembered about the user:\n${lines.join('\n')}` : 'Nothing is remembered about the user yet.', change: null };
    }
    case 'remember': {
      const { fact, type } = rememberInput.parse(input);
      const candidates = await factsToRemember(services, fact, type);
      const outcomes = await writeFacts(store, embedder, { userId, sourceConversationId: context.conversationId, candidates }, settings.write);
      const stored = outcomes.flatMap((o) => (o.action === 'dropped' ? [] : [factRef(o.fact)]));
      if (!stored.length) return { result: 'Not remembered.', change: null };
      return { result: `Remembered: ${stored.map((f) => f.factText).join('; ')}`, change: { action: 'remembered', facts: stored } };
    }
    case 'forget': {
      const { description } = forgetInput.parse(input);
      // The retriever's own candidates, with their cosine to the description: no embedding twice.
      const [vector] = await embedder.embed([description]);
      const found = await store.asUser(userId, (tx) =>
        retrieveFacts(
          tx,
          { userId, model: embedder.model, vector: vector!, text: description },
          { ...settings.retrieve, k: FORGET_CANDIDATES, ranking: 'hybrid' },
        ),
      );
      const matching = found.filter(
        (fact) => (fact.similarity ?? 0) >= FORGET_MIN_SIMILARITY || containsAllWords(fact.factText, description),
      );
      return forgetIds(services, userId, matching.map((f) => f.id));
    }
    case 'delete_memory':
      return forgetIds(services, userId, deleteInput.parse(input).ids);
    default:
      return { result: `There is no tool named ${name}.`, change: null };
  }
}

async function forgetIds(services: MemoryServices, userId: string, ids: string[]): Promise<ToolOutcome> {
  const deleted = await services.store.asUser(userId, (tx) => deleteFacts(tx, userId, ids));
  if (!deleted.length) return { result: 'Nothing matching was remembered, so nothing was deleted.', change: null };
  return {
    result: `Deleted:\n${deleted.map((f) => `- ${f.factText}`).join('\n')}`,
    change: { action: 'forgot', facts: deleted.map(factRef) },
  };
}
