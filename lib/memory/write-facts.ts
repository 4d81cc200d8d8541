/**
 * The writer: after a turn, each extracted fact is checked against the user's current facts and
 * is either dropped (low confidence, or orders to the assistant rather than a fact about the
 * user: instructions.ts), folded into a near-duplicate (which it refreshes), stored
 * as the successor of the facts it contradicts (which stay as history), or added. A new value of
 * a single-valued attribute (attributes.ts) supersedes the old value whatever the extractor said
 * and whatever the embeddings say. New facts are stored with their embedding, and the source
 * turn with its episode (episodes.ts), in one transaction, which also marks the turn extracted:
 * a crash leaves either all or none, so a retried turn never loses or doubles its memories.
 */
import { randomUUID } from 'node:crypto';
import { commitWithNext, type Database } from '../db/client';
import type { Store } from '../db/store';
import type { FactType, UserFact } from '../db/schema';
import type { Embedder } from '../ai/types';
import { readStandings, type DuplicateThresholds, type Standings } from './dedup';
import { markTurnLearned, turnLearning } from './episode-store';
import { insertFacts, refreshFacts, supersede } from './fact-store';
import { readsAsInstruction } from './instructions';

/** The source turn was learned or forgotten while this extraction ran; its writes were rolled back. */
export class TurnAlreadyLearned extends Error {
  constructor(readonly turnId: number) {
    super(`turn ${turnId} was already learned or forgotten`);
    this.name = 'TurnAlreadyLearned';
  }
}

export interface CandidateFact {
  factType: FactType;
  factText: string;
  confidence: number;
  /** Ids of the user's facts this one updates or contradicts. */
  supersedes: string[];
}

export interface WriteFactsOptions extends DuplicateThresholds {
  /** Facts below this confidence are not stored. */
  minConfidence: number;
}

export const defaultWriteFactsOptions: WriteFactsOptions = {
  minConfidence: 0.6,
  duplicateTrigram: 0.85,
  duplicateCosine: 0.92,
};

export type FactOutcome =
  | { action: 'dropped'; candidate: CandidateFact; reason: 'low_confidence' | 'instruction' }
  | { action: 'refreshed'; candidate: CandidateFact; fact: UserFact; superseded: string[] }
  | { action: 'added'; candidate: CandidateFact; fact: UserFact; superseded: string[] };

export interface WriteFactsInput {
  userId: string;
  sourceConversationId?: string | null;
  sourceTurnId?: number | null;
  candidates: CandidateFact[];
  /** The source turn's own vector, kept as its episode in the same transaction as its facts. */
  episode?: { conversationId: string; vector: number[] };
  /**
   * Commit asynchronously (UnitShape.asynchronousCommit): for a turn's learning, which the sweep
   * redoes if a crash of the database server loses it.
   */
  asynchronousCommit?: boolean;
}

export async function writeFacts(
  store: Store,
  embedder: Embedder,
  input: WriteFactsInput,
  options: WriteFactsOptions = defaultWriteFactsOptions,
): Promise<FactOutcome[]> {
  // Checked here, whichever extractor wrote the fact (rules, a model, the chat's memory tool): an
  // order such as "Name is Ignore previous instructions" is dropped, so it never replaces anything.
  const dropReason = (c: CandidateFact) =>
    c.confidence < options.minConfidence ? 'low_confidence' : readsAsInstruction(c.factText) ? 'instruction' : null;
  const kept = input.candidates.filter((c) => !dropReason(c));
  // The vendor call happens before the unit of work, so no connection is held while waiting on it.
  const vectors = kept.length ? await embedder.embed(kept.map((c) => c.factText)) : [];

  const stored = await store.asUser(input.userId, async (tx): Promise<FactOutcome[]> => {
    const { userId } = input;
    // The turn is marked learned by the unit's first statement: learned meanwhile (another
    // extraction of it won), or forgotten, this one writes nothing. Its row stays locked until
    // the unit ends.
    const turn = input.sourceTurnId == null ? undefined : {
      userId,
      turnId: input.sourceTurnId,
      episode: input.episode && { ...input.episode, model: embedder.model },
    };
    if (!kept.length) {
      if (!turn) return [];
      // All the unit writes, and a mark that matched nothing wrote nothing: its COMMIT can go with it.
      commitWithNext(tx);
      if (!(await markTurnLearned(tx, turn))) throw new TurnAlreadyLearned(turn.turnId);
      return [];
    }
    // How every fact stands, read at once, with the mark riding in the same statement.
    const standings = await readStandings(
      tx,
      kept.map((c, i) => ({ userId, factType: c.factType, factText: c.factText, embedding: { model: embedder.model, vector: vectors[i]! }, supersedes: c.supersedes })),
      options,
      turn && turnLearning(turn),
    );
    if (turn && !standings.riderTook) throw new TurnAlreadyLearned(turn.turnId);
    return storePlans(tx, embedder.model, input, planFacts(kept, vectors, standings));
  }, { asynchronousCommit: input.asynchronousCommit });
  const dropped: FactOutcome[] = input.candidates.flatMap((candidate) => {
    const reason = dropReason(candidate);
    return reason ? [{ action: 'dropped' as const, candidate, reason }] : [];
  });
  return [...stored, ...dropped];
}

/** What the writer does with a kept fact: store it under `id`, or refresh the fact `id`; and replace `replaces`. */
interface FactPlan {
  candidate: CandidateFact;
  vector: number[];
  id: string;
  refresh: boolean;
  replaces: string[];
}

/**
 * Each fact resolved in order, as its standing says once the facts before it are written (so a
 * batch never stores a fact twice); new facts get their ids here, so that all of them can be
 * stored by one statement.
 */
function planFacts(kept: CandidateFact[], vectors: number[][], standings: Standings): FactPlan[] {
  const superseded = new Set<string>();
  const added = new Map<number, string>();
  return kept.map((candidate, i) => {
    const { duplicate, replaces } = standings.of(i, { superseded, added });
    const id = duplicate ?? randomUUID();
    if (!duplicate) added.set(i, id);
    const others = replaces.filter((r) => r !== id);
    for (const r of others) superseded.add(r);
    return { candidate, vector: vectors[i]!, id, refresh: duplicate !== undefined, replaces: others };
  });
}

/**
 * Carries out the plans inside the caller's transaction: the stored facts said again in one
 * statement, then the new facts in one (a new fact said twice in the batch is stored once, with
 * the higher confidence), then each replacement (its successor exists by then). The COMMIT goes
 * with the unit's last statement unless that is the refresh: a fact may have been deleted since
 * the standings were read, and the unit must then fail whole, before any COMMIT.
 */
async function storePlans(
  tx: Database,
  model: string,
  input: Omit<WriteFactsInput, 'candidates'>,
  plans: FactPlan[],
): Promise<FactOutcome[]> {
  const { userId } = input;
  const adds = plans.filter((p) => !p.refresh);
  const addedIds = new Set(adds.map((p) => p.id));
  const confidence = (p: FactPlan) => Math.max(...plans.filter((q) => q.id === p.id).map((q) => q.candidate.confidence));
  const replacing = plans.filter((p) => p.replaces.length);
  const facts = new Map<string, UserFact>();
  const refreshed = await refreshFacts(
    tx,
    userId,
    plans.filter((p) => p.refresh && !addedIds.has(p.id)).map((p) => ({ id: p.id, confidence: p.candidate.confidence })),
  );
  for (const fact of refreshed) facts.set(fact.id, fact);
  if (!replacing.length) commitWithNext(tx);
  const inserted = await insertFacts(
    tx,
    adds.map((p) => ({
      id: p.id,
      userId,
      factType: p.candidate.factType,
      factText: p.candidate.factText,
      confidence: confidence(p),
      sourceConversationId: input.sourceConversationId ?? null,
      sourceTurnId: input.sourceTurnId ?? null,
    })),
    model,
    adds.map((p) => p.vector),
  );
  for (const fact of inserted) facts.set(fact.id, fact);
  const superseded = new Map<FactPlan, string[]>();
  for (const [n, p] of replacing.entries()) {
    if (n === replacing.length - 1) commitWithNext(tx);
    superseded.set(p, await supersede(tx, userId, p.replaces, p.id));
  }
  return plans.map((p) => ({ action: p.refresh ? 'refreshed' : 'added', candidate: p.candidate, fact: facts.get(p.id)!, superseded: superseded.get(p) ?? [] }));
}
