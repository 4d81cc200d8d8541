/**
 * Memory tools the chat model may call when the user asks about their memory: list it, remember
 * something explicitly, forget something. They act on the current user's facts only, with the
 * same functions as the settings page. Each tool's input is one zod schema: the JSON Schema the
 * model is shown is generated from it, and the model's input is checked against it.
 */
import { z } from 'zod';
import { toolInputSchema } from '../ai/json-schema';
import type { ChatTool } from '../ai/types';
import type { FactType } from '../db/schema';
import { extractFacts } from './extract-facts';
import { FACT_TYPES, factRef, type FactRef } from './fact-ref';
import { deleteFacts } from './fact-store';
import { listCurrentFacts } from './manage-facts';
import { retrieveFacts } from './retrieve';
import type { MemoryServices } from './services';
import { writeFacts, type CandidateFact } from './write-facts';

export interface ToolOutcome {
  /** What the model is told. */
  result: string;
  /** What the user is shown: the facts a call added or deleted. */
  change: { action: 'remembered' | 'forgot'; facts: FactRef[] } | null;
}

/** Whom a tool call acts for, and the conversation it was made in (the source of what it remembers). */
export interface ToolContext {
  userId: string;
  conversationId: string;
}

interface MemoryTool {
  description: string;
  input: z.ZodType;
  run: (services: MemoryServices, context: ToolContext, input: unknown) => Promise<ToolOutcome>;
}

/** A tool whose `run` receives its input parsed by `input` (a ZodError when the model's does not fit). */
function memoryTool<S extends z.ZodType>(
  description: string,
  input: S,
  run: (services: MemoryServices, context: ToolContext, input: z.output<S>) => Promise<ToolOutcome>,
): MemoryTool {
  return { description, input, run: (services, context, raw) => run(services, context, input.parse(raw)) };
}

/** A deleted fact must match the description closely: similar in meaning, or containing its words. */
const FORGET_MIN_SIMILARITY = 0.75;
const FORGET_CANDIDATES = 50;

function containsAllWords(fact: string, description: string): boolean {
  const words = description.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [];
  const text = fact.toLowerCase();
  return words.length > 0 && words.every((w) => text.includes(w.replace(/s$/, '')));
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

async function forgetIds(services: MemoryServices, userId: string, ids: string[]): Promise<ToolOutcome> {
  const deleted = await services.store.asUser(userId, (tx) => deleteFacts(tx, userId, ids));
  if (!deleted.length) return { result: 'Nothing matching was remembered, so nothing was deleted.', change: null };
  return {
    result: `Deleted:\n${deleted.map((f) => `- ${f.factText}`).join('\n')}`,
    change: { action: 'forgot', facts: deleted.map(factRef) },
  };
}

const TOOLS: Record<string, MemoryTool> = {
  list_my_memories: memoryTool(
    'List everything remembered about the user, with ids. Use when the user asks what you remember or know about them.',
    z.object({}),
    async ({ store }, { userId }) => {
      const facts = await store.asUser(userId, (tx) => listCurrentFacts(tx, userId, 'newest'));
      const lines = facts.slice(0, 200).map((f) => `- [${f.id}] (${f.factType}) ${f.factText}`);
      return { result: lines.length ? `Remembered about the user:\n${lines.join('\n')}` : 'Nothing is remembered about the user yet.', change: null };
    },
  ),
  remember: memoryTool(
    'Remember a fact about the user because they explicitly asked you to remember it.',
    z.object({
      fact: z.string().trim().min(1).max(500).describe('The fact, short, in the third person ("Prefers metric units").'),
      type: z.enum(FACT_TYPES).optional(),
    }),
    async (services, { userId, conversationId }, { fact, type }) => {
      const candidates = await factsToRemember(services, fact, type);
      const outcomes = await writeFacts(services.store, services.embedder, { userId, sourceConversationId: conversationId, candidates }, services.settings.write);
      const stored = outcomes.flatMap((o) => (o.action === 'dropped' ? [] : [factRef(o.fact)]));
      if (!stored.length) return { result: 'Not remembered.', change: null };
      return { result: `Remembered: ${stored.map((f) => f.factText).join('; ')}`, change: { action: 'remembered', facts: stored } };
    },
  ),
  forget: memoryTool(
    'Forget what the user asks you to forget: deletes the remembered facts that match the description.',
    z.object({ description: z.string().trim().min(1).max(500).describe('What to forget, e.g. "lives in Paris".') }),
    async (services, { userId }, { description }) => {
      const { store, embedder, settings } = services;
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
    },
  ),
  delete_memory: memoryTool(
    'Delete remembered facts by their ids (from list_my_memories).',
    z.object({ ids: z.array(z.uuid()).max(100) }),
    (services, { userId }, { ids }) => forgetIds(services, userId, ids),
  ),
};

/** The tools as the chat model is offered them. */
export const MEMORY_TOOLS: ChatTool[] = Object.entries(TOOLS).map(([name, tool]) => ({
  name,
  description: tool.description,
  inputSchema: toolInputSchema(tool.input),
}));

export async function runMemoryTool(services: MemoryServices, context: ToolContext, name: string, input: unknown): Promise<ToolOutcome> {
  const tool = Object.hasOwn(TOOLS, name) ? TOOLS[name] : undefined;
  if (!tool) return { result: `There is no tool named ${name}.`, change: null };
  return tool.run(services, context, input);
}
