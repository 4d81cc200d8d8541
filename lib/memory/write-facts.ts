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
import { commitWithNext, type Database } from '../db/client';
import type { Store } from '../db/store';
import type { FactType, UserFact } from '../db/schema';
import type { Embedder } from '../ai/types';
import { readStandings, type DuplicateThresholds, type Standing } from './dedup';
import { markTurnLearned } from './episode-store';
import { insertFact, refreshFact, supersede } from './fact-store';
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

  const stored = await store.asUser(input.userId, async (tx) => {
    const { userId } = input;
    if (input.sourceTurnId != null) {
      const episode = input.episode && { ...input.episode, model: embedder.model };
      // The turn first: learned meanwhile (another extraction of it won), or forgotten, this one
      // writes nothing. Its row stays locked until the unit ends. With no facts it is all the
      // unit writes, and a mark that matched nothing wrote nothing: its COMMIT can go with it.
      if (!kept.length) commitWithNext(tx);
      if (!(await markTurnLearned(tx, { userId, turnId: input.sourceTurnId, episode }))) {
        throw new TurnAlreadyLearned(input.sourceTurnId);
      }
    }
    // How every fact stands, read at once; each is then resolved in order, seeing what the
    // facts before it changed, so a batch never stores a fact twice.
    const standings = await readStandings(
      tx,
      kept.map((c, i) => ({ userId, factType: c.factType, factText: c.factText, embedding: { model: embedder.model, vector: vectors[i]! }, supersedes: c.supersedes })),
      options,
    );
    const superseded = new Set<string>();
    const added = new Map<number, string>();
    const outcomes: FactOutcome[] = [];
    for (const [i, candidate] of kept.entries()) {
      const last = i === kept.length - 1;
      const outcome = await resolveFact(tx, embedder.model, input, candidate, vectors[i]!, standings.of(i, { superseded, added }), last);
      if (outcome.action === 'added') added.set(i, outcome.fact.id);
      for (const id of outcome.superseded) superseded.add(id);
      outcomes.push(outcome);
    }
    return outcomes;
  });
  const dropped: FactOutcome[] = input.candidates.flatMap((candidate) => {
    const reason = dropReason(candidate);
    return reason ? [{ action: 'dropped' as const, candidate, reason }] : [];
  });
  return [...stored, ...dropped];
}

/**
 * Stores one fact as its standing among the user's current facts says, inside the caller's
 * transaction; `last`: it is the unit's last fact, whose last statement may carry the COMMIT.
 */
async function resolveFact(
  tx: Database,
  model: string,
  input: Omit<WriteFactsInput, 'candidates'>,
  candidate: CandidateFact,
  vector: number[],
  { duplicate, replaces }: Standing,
  last: boolean,
): Promise<Extract<FactOutcome, { action: 'added' | 'refreshed' }>> {
  const { userId } = input;
  // A fact that replaces others is stored by two statements, the second supersede's. The COMMIT
  // goes with the unit's last statement unless that is a refresh: its fact may have been deleted
  // since the standings were read, and the unit must then fail whole, before any COMMIT.
  const replacesOthers = replaces.some((id) => id !== duplicate);
  if (last && !replacesOthers && !duplicate) commitWithNext(tx);
  const fact = duplicate
    ? await refreshFact(tx, userId, duplicate, candidate.confidence)
    : (await insertFact(
        tx,
        {
          userId,
          factType: candidate.factType,
          factText: candidate.factText,
          confidence: candidate.confidence,
          sourceConversationId: input.sourceConversationId ?? null,
          sourceTurnId: input.sourceTurnId ?? null,
        },
        { model, vector },
      ))!;
  if (last && replacesOthers) commitWithNext(tx);
  const superseded = await supersede(tx, userId, replaces, fact.id);
  return { action: duplicate ? 'refreshed' : 'added', candidate, fact, superseded };
}
