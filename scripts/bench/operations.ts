/**
 * The timed operations, each the product's own functions run in the user's units of work as the
 * app runs them; model calls answer at once (fixtures.ts), so the figures are memory work alone.
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { learnContext } from '@/lib/chat/after-turn';
import { AnswerWriter, streamingStaleAfterMs } from '@/lib/chat/answer';
import { storeQuestion } from '@/lib/chat/turn';
import { appendTurn } from '@/lib/db/queries';
import { ONE_STATEMENT, type Store } from '@/lib/db/store';
import { retrieveEpisodes } from '@/lib/memory/episodes';
import { extractTurn } from '@/lib/memory/extract-turn';
import { prepareTurn } from '@/lib/memory/prepare-turn';
import { retrieveFacts, type Ranking } from '@/lib/memory/retrieve';
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

/** What the operations did, to show they did real work: facts and episodes retrieved, write outcomes. */
export interface WorkDone {
  retrieved: number[];
  /** Episodes the search of past conversations answered, and those the prompt carried. */
  episodes: number[];
  episodesInPrompt: number[];
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

async function timeOperation(
  ctx: OperationsContext,
  work: WorkDone,
  operation: Operation,
  /** Untimed preparation of the inputs, all of them before any run. */
  setup?: (iterations: Iteration[], services: MemoryServices) => Promise<void>,
): Promise<LatencySummary> {
  const { warmup, timed, services } = prepare(ctx);
  await setup?.([...warmup, ...timed], services);
  const run = (it: Iteration) => operation(it, services, work);
  for (const it of warmup) await run(it);
  return measure(timed.length, (i) => run(timed[i]!));
}

/**
 * Two variants of an operation timed in one loop, alternating which goes first, on the same
 * inputs: whatever else the machine does at the time weighs on both, so their difference is the
 * variant's own cost.
 */
async function timePair(ctx: OperationsContext, work: WorkDone, a: Operation, b: Operation): Promise<[LatencySummary, LatencySummary]> {
  const { warmup, timed, services } = prepare(ctx);
  const samples: [number[], number[]] = [[], []];
  const wall: [number, number] = [0, 0];
  const once = async (which: 0 | 1, it: Iteration, record: boolean) => {
    const started = performance.now();
    await (which ? b : a)(it, services, work);
    const ms = performance.now() - started;
    if (!record) return;
    samples[which].push(ms);
    wall[which] += ms;
  };
  for (const it of warmup) for (const which of [0, 1] as const) await once(which, it, false);
  for (const [i, it] of timed.entries()) for (const which of i % 2 ? ([1, 0] as const) : ([0, 1] as const)) await once(which, it, true);
  return [summarize(samples[0], wall[0]), summarize(samples[1], wall[1])];
}

const count = (work: WorkDone, outcomes: FactOutcome[]) => outcomes.forEach((o) => work.outcomes[o.action]++);

const queryOf = (it: Iteration, model: string) => ({ userId: it.user.id, model, vector: it.vector, text: it.message });
const episodeQueryOf = (it: Iteration, model: string) => ({ ...queryOf(it, model), excludeConversationId: it.user.conversationId });

/** The past conversations searched as prepareTurn searches them. */
const searchEpisodes = (it: Iteration, { store, embedder, settings }: MemoryServices) =>
  store.readAsUser(it.user.id, (tx) => retrieveEpisodes(tx, episodeQueryOf(it, embedder.model), settings.episodes), ONE_STATEMENT);

/** Facts retrieval; with `episodes`, the past conversations searched at the same time, as prepareTurn does. */
const retrieve =
  (ranking: Ranking, episodes = false): Operation =>
  async (it, services, work) => {
    const { store, embedder, settings } = services;
    const [facts, found] = await Promise.all([
      store.readAsUser(it.user.id, (tx) => retrieveFacts(tx, queryOf(it, embedder.model), { ...settings.retrieve, ranking }), ONE_STATEMENT),
      episodes ? searchEpisodes(it, services) : null,
    ]);
    work.retrieved.push(facts.length);
    if (found) work.episodes.push(found.length);
  };

/** The search of past conversations alone (the default EpisodeOptions). */
const retrieveEpisodesOnly: Operation = async (it, services, work) => {
  const found = await searchEpisodes(it, services);
  work.episodes.push(found.length);
};

/** As the app with the default MODEL_TIMEOUT_MS. */
const STALE_AFTER_MS = streamingStaleAfterMs(60_000);

/** The user turn each write learns from: a turn is learned once (writeFacts marks it), so one per run. */
const sourceTurns = new WeakMap<Iteration, number>();

async function addSourceTurns(iterations: Iteration[], { store }: MemoryServices) {
  for (const it of iterations) {
    const { id: userId, conversationId } = it.user;
    const turn = await store.asUser(userId, (tx) => appendTurn(tx, userId, { conversationId, role: 'user', content: it.message }));
    sourceTurns.set(it, turn!.id);
  }
}

const write: Operation = async (it, { store, embedder, settings }, work) => {
  const { user } = it;
  const sourceTurnId = sourceTurns.get(it);
  if (sourceTurnId === undefined) throw new Error('write: no source turn prepared');
  const input = { userId: user.id, sourceConversationId: user.conversationId, sourceTurnId, candidates: it.candidates };
  count(work, await writeFacts(store, embedder, input, settings.write));
};

/** prepareTurn with "Reference past chats" on (the default) or off. */
const buildPrompt =
  (referenceChats: boolean): Operation =>
  async (it, services, work) => {
    const prepared = await prepareTurn(services, { userId: it.user.id, conversationId: it.user.conversationId, message: it.message, memoryEnabled: true, referenceChats });
    if (referenceChats) work.episodesInPrompt.push(prepared.usedEpisodes.length);
  };

/** The functions a chat turn's memory work runs: this checkout's, or another's (compareTurns). */
export interface TurnCode {
  storeQuestion: typeof storeQuestion;
  prepareTurn: typeof prepareTurn;
  AnswerWriter: typeof AnswerWriter;
  foldOldTurns: typeof foldOldTurns;
  extractTurn: typeof extractTurn;
  learnContext: typeof learnContext;
}

const thisCode: TurnCode = { storeQuestion, prepareTurn, AnswerWriter, foldOldTurns, extractTurn, learnContext };

/**
 * The same functions from the checkout in `dir` (lib/chat and lib/memory import each other by
 * relative paths, so they load from that checkout; its node_modules may be a link to these). The
 * cast: that code is assumed to take the same arguments, as a checkout of a recent commit does.
 */
export async function turnCodeAt(dir: string): Promise<TurnCode> {
  const load = (file: string) => import(pathToFileURL(path.resolve(dir, file)).href);
  const [turnModule, prepare, answer, shortTerm, extract, after] = await Promise.all(
    ['lib/chat/turn.ts', 'lib/memory/prepare-turn.ts', 'lib/chat/answer.ts', 'lib/memory/short-term.ts', 'lib/memory/extract-turn.ts', 'lib/chat/after-turn.ts'].map(load),
  );
  return {
    storeQuestion: turnModule.storeQuestion,
    prepareTurn: prepare.prepareTurn,
    AnswerWriter: answer.AnswerWriter,
    foldOldTurns: shortTerm.foldOldTurns,
    extractTurn: extract.extractTurn,
    learnContext: after.learnContext,
  } as TurnCode;
}

/**
 * One chat turn's memory work, in lib/chat's order (startTurn, then afterTurn) without the model
 * calls: answers [before the answer, after it] in ms. Only the first part delays the first token.
 */
async function turn(it: Iteration, services: MemoryServices, work: WorkDone, referenceChats: boolean, code = thisCode): Promise<[number, number]> {
  const { store, settings } = services;
  const { id: userId, conversationId } = it.user;
  const started = performance.now();
  const stored = await code.storeQuestion(store, userId, { conversationId, message: it.message }, STALE_AFTER_MS);
  if (!stored.ok) throw new Error(`storing a bench question: ${stored.error}`);
  const { userTurn, answerId, shortTerm } = stored;
  const prepared = await code.prepareTurn(services, { userId, conversationId, message: it.message, memoryEnabled: true, referenceChats, shortTerm });
  const answered = performance.now();

  const used = prepared.usedFacts.map((f) => f.id);
  const answer = new code.AnswerWriter(store, userId, answerId, STALE_AFTER_MS);
  answer.append('A bench answer.');
  await answer.finish('complete', used);
  // afterTurn runs its steps concurrently, each in units of work of its own.
  const [, extracted] = await Promise.all([
    code.foldOldTurns(store, services.extract, userId, conversationId, settings.shortTerm, prepared.unsummarizedTurns),
    code.extractTurn(services, userId, userTurn.id, code.learnContext(prepared)),
  ]);
  if (extracted.status !== 'extracted') throw new Error(`extraction of a bench turn: ${JSON.stringify(extracted)}`);
  count(work, extracted.outcomes);
  work.retrieved.push(prepared.usedFacts.length);
  if (referenceChats) work.episodesInPrompt.push(prepared.usedEpisodes.length);
  return [answered - started, performance.now() - answered];
}

const summarizeTurns = (runs: [number, number][], suffix: string): Record<string, LatencySummary> => {
  const wallMs = runs.reduce((sum, [before, after]) => sum + before + after, 0);
  return {
    [`turn: before the answer${suffix}`]: summarize(runs.map(([before]) => before), wallMs),
    [`turn: after the answer${suffix}`]: summarize(runs.map(([, after]) => after), wallMs),
    [`memory work per turn${suffix}`]: summarize(runs.map(([before, after]) => before + after), wallMs),
  };
};

/**
 * Chat turns of this code and of `other` (turnCodeAt), alternating on one database in one
 * process, each on its own inputs: a change too small for runs minutes apart to show (they
 * differ by 10-15% here) shows in this ratio.
 */
export async function compareTurns(ctx: OperationsContext, work: WorkDone, other: TurnCode): Promise<Record<string, LatencySummary>> {
  const { warmup, timed, services } = prepare({ ...ctx, queries: 2 * ctx.queries });
  const codes = [thisCode, other];
  for (const [i, it] of warmup.entries()) await turn(it, services, work, true, codes[i % 2]);
  const runs: [[number, number][], [number, number][]] = [[], []];
  for (const [i, it] of timed.entries()) runs[i % 2]!.push(await turn(it, services, work, true, codes[i % 2]));
  return { ...summarizeTurns(runs[0], ' (this code)'), ...summarizeTurns(runs[1], ' (the other checkout)') };
}

/**
 * Chat turns with and without the search of past conversations, alternating (timePair's reasons),
 * each phase summarized per variant.
 */
async function timeTurns(ctx: OperationsContext, work: WorkDone): Promise<Record<string, LatencySummary>> {
  const { warmup, timed, services } = prepare(ctx);
  const run = (it: Iteration, referenceChats: boolean) => turn(it, services, work, referenceChats);
  for (const it of warmup) for (const referenceChats of [true, false]) await run(it, referenceChats);
  const phases = new Map<boolean, [number, number][]>([
    [true, []],
    [false, []],
  ]);
  for (const [i, it] of timed.entries()) {
    for (const referenceChats of i % 2 ? [false, true] : [true, false]) phases.get(referenceChats)!.push(await run(it, referenceChats));
  }
  return Object.assign({}, ...[...phases].map(([referenceChats, runs]) => summarizeTurns(runs, referenceChats ? '' : ', no episodes')));
}

const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / (xs.length || 1)) * 10) / 10;

export const emptyWork = (): WorkDone => ({ retrieved: [], episodes: [], episodesInPrompt: [], outcomes: { added: 0, refreshed: 0, dropped: 0 } });

export async function runOperations(ctx: OperationsContext) {
  const work = emptyWork();
  const [hybrid, hybridWithEpisodes] = await timePair(ctx, work, retrieve('hybrid'), retrieve('hybrid', true));
  const [prompt, promptWithoutEpisodes] = await timePair(ctx, work, buildPrompt(true), buildPrompt(false));
  const results: Record<string, LatencySummary> = {
    'retrieve (hybrid)': hybrid,
    'retrieve (hybrid) + episodes': hybridWithEpisodes,
    'retrieve (vector)': await timeOperation(ctx, work, retrieve('vector')),
    'retrieve episodes': await timeOperation(ctx, work, retrieveEpisodesOnly),
    'write 3 facts': await timeOperation(ctx, work, write, addSourceTurns),
    'build prompt': prompt,
    'build prompt, no episodes': promptWithoutEpisodes,
    ...(await timeTurns(ctx, work)),
  };
  return { results, work: { meanFactsRetrieved: mean(work.retrieved), meanEpisodesRetrieved: mean(work.episodes), meanEpisodesInPrompt: mean(work.episodesInPrompt), writeOutcomes: work.outcomes } };
}
