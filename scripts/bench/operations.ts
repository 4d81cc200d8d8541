/**
 * The timed operations, each the product's own functions run in the user's units of work as the
 * app runs them; model calls answer at once (fixtures.ts), so the figures are memory work alone.
 */
import { appendTurn, getConversation } from '@/lib/db/queries';
import type { Store } from '@/lib/db/store';
import { extractTurn } from '@/lib/memory/extract-turn';
import { prepareTurn } from '@/lib/memory/prepare-turn';
import { recordFactAccess, retrieveFacts, type Ranking } from '@/lib/memory/retrieve';
import type { MemoryServices } from '@/lib/memory/services';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { foldOldTurns } from '@/lib/memory/short-term';
import { writeFacts, type FactOutcome } from '@/lib/memory/write-facts';
import { instantEmbedder, instantExtract, makeIterations, type BenchUser, type Iteration } from './fixtures';
import { measure, summarize, type LatencySummary } from './stats';

export interface OperationsContext {
  store: Store;
  model: string;
  users: BenchUser[];
  warmup: number;
  queries: number;
}

/** What the operations did, to show they did real work: facts retrieved, write outcomes. */
export interface WorkDone {
  retrieved: number[];
  outcomes: Record<FactOutcome['action'], number>;
}

type Operation = (it: Iteration, services: MemoryServices, work: WorkDone) => Promise<unknown>;

function prepare(ctx: OperationsContext) {
  const iterations = makeIterations(ctx.users, ctx.warmup + ctx.queries);
  const services: MemoryServices = {
    store: ctx.store,
    embedder: instantEmbedder(iterations, ctx.model),
    extract: instantExtract(iterations),
    settings: defaultMemorySettings,
  };
  return { warmup: iterations.slice(0, ctx.warmup), timed: iterations.slice(ctx.warmup), services };
}

async function timeOperation(ctx: OperationsContext, work: WorkDone, operation: Operation): Promise<LatencySummary> {
  const { warmup, timed, services } = prepare(ctx);
  const run = (it: Iteration) => operation(it, services, work);
  for (const it of warmup) await run(it);
  return measure(timed.length, (i) => run(timed[i]!));
}

const count = (work: WorkDone, outcomes: FactOutcome[]) => outcomes.forEach((o) => work.outcomes[o.action]++);

const retrieve =
  (ranking: Ranking): Operation =>
  async (it, { store, embedder, settings }, work) => {
    const query = { userId: it.user.id, model: embedder.model, vector: it.vector, text: it.message };
    const facts = await store.asUser(it.user.id, (tx) => retrieveFacts(tx, query, { ...settings.retrieve, ranking }));
    work.retrieved.push(facts.length);
  };

const write: Operation = async (it, { store, embedder, settings }, work) => {
  const { user } = it;
  const input = { userId: user.id, sourceConversationId: user.conversationId, sourceTurnId: user.turnId, candidates: it.candidates };
  count(work, await writeFacts(store, embedder, input, settings.write));
};

const buildPrompt: Operation = (it, services) =>
  prepareTurn(services, { userId: it.user.id, conversationId: it.user.conversationId, message: it.message, memoryEnabled: true });

/**
 * One chat turn's memory work, in lib/chat's order (startTurn, then afterTurn) without the model
 * calls: answers [before the answer, after it] in ms. Only the first part delays the first token.
 */
async function turn(it: Iteration, services: MemoryServices, work: WorkDone): Promise<[number, number]> {
  const { store, settings } = services;
  const { id: userId, conversationId } = it.user;
  const started = performance.now();
  const userTurn = await store.asUser(userId, async (tx) => {
    await getConversation(tx, userId, conversationId);
    return appendTurn(tx, userId, { conversationId, role: 'user', content: it.message });
  });
  const prepared = await prepareTurn(services, { userId, conversationId, message: it.message, memoryEnabled: true });
  const answered = performance.now();

  const used = prepared.usedFacts.map((f) => f.id);
  await store.asUser(userId, (tx) =>
    appendTurn(tx, userId, { conversationId, role: 'assistant', content: 'A bench answer.', memoryFactIds: used }),
  );
  // afterTurn runs its steps concurrently, each in units of work of its own.
  const [, , extracted] = await Promise.all([
    foldOldTurns(store, services.extract, userId, conversationId, settings.shortTerm),
    store.asUser(userId, (tx) => recordFactAccess(tx, userId, used)),
    extractTurn(services, userId, userTurn!.id, prepared.messageVector ?? undefined),
  ]);
  if (extracted.status !== 'extracted') throw new Error(`extraction of a bench turn: ${JSON.stringify(extracted)}`);
  count(work, extracted.outcomes);
  work.retrieved.push(prepared.usedFacts.length);
  return [answered - started, performance.now() - answered];
}

async function timeTurns(ctx: OperationsContext, work: WorkDone): Promise<Record<string, LatencySummary>> {
  const { warmup, timed, services } = prepare(ctx);
  const run = (it: Iteration) => turn(it, services, work);
  for (const it of warmup) await run(it);
  const phases: [number, number][] = [];
  const started = performance.now();
  for (const it of timed) phases.push(await run(it));
  const wallMs = performance.now() - started;
  return {
    'turn: before the answer': summarize(phases.map(([before]) => before), wallMs),
    'turn: after the answer': summarize(phases.map(([, after]) => after), wallMs),
    'memory work per turn': summarize(phases.map(([before, after]) => before + after), wallMs),
  };
}

export async function runOperations(ctx: OperationsContext) {
  const work: WorkDone = { retrieved: [], outcomes: { added: 0, refreshed: 0, dropped: 0 } };
  const results: Record<string, LatencySummary> = {
    'retrieve (hybrid)': await timeOperation(ctx, work, retrieve('hybrid')),
    'retrieve (vector)': await timeOperation(ctx, work, retrieve('vector')),
    'write 3 facts': await timeOperation(ctx, work, write),
    'build prompt': await timeOperation(ctx, work, buildPrompt),
    ...(await timeTurns(ctx, work)),
  };
  const meanRetrieved = Math.round((work.retrieved.reduce((a, b) => a + b, 0) / (work.retrieved.length || 1)) * 10) / 10;
  return { results, work: { meanFactsRetrieved: meanRetrieved, writeOutcomes: work.outcomes } };
}
