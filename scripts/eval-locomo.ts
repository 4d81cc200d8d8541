/**
 * Retrieval on LoCoMo, with the product's own code: every observation of a conversation becomes
 * one user's fact (embedded by an offline embedder), each question of categories 1-4 is asked
 * through retrieveFacts, and recall@k / hit@k of the evidence are reported per category, pooled
 * over the files, and per file (to see the gap between a file something was tuned on and the rest).
 *
 *   npm run eval:locomo -- ../shared/bench/locomo/*.json [--embedder hashed|glove|glove+hashed|all]
 *     [--ranking vector|hybrid|both] [--json out.json] [--cache-dir .data/models]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createOfflineEmbedder, OFFLINE_EMBEDDER_VARIANTS, type OfflineEmbedderVariant } from '@/lib/ai/offline/embedder';
import type { Embedder } from '@/lib/ai/types';
import { openPglite, type Database } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { retrieveFacts, type Ranking } from '@/lib/memory/retrieve';
import { toStoredVector } from '@/lib/memory/stored-vector';
import { CATEGORY_NAMES, loadConversation, type Conversation } from './locomo/load';
import { KS, ScoreBoard, type Score } from './locomo/metrics';

const { values, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    embedder: { type: 'string', default: 'all' },
    ranking: { type: 'string', default: 'both' },
    json: { type: 'string' },
    // Where the app keeps the word-vector cache with the default DATA_DIR: built once, shared.
    'cache-dir': { type: 'string', default: '.data/models' },
  },
});
const usage = 'usage: npm run eval:locomo -- FILE.json... [--embedder hashed|glove|glove+hashed|all] [--ranking vector|hybrid|both] [--json PATH]';
if (!files.length) throw new Error(usage);

const variants = values.embedder === 'all' ? [...OFFLINE_EMBEDDER_VARIANTS] : [values.embedder as OfflineEmbedderVariant];
for (const v of variants) if (!OFFLINE_EMBEDDER_VARIANTS.includes(v)) throw new Error(`unknown embedder ${v}; ${usage}`);
const rankings: Ranking[] = values.ranking === 'both' ? ['vector', 'hybrid'] : [values.ranking as Ranking];
for (const r of rankings) if (r !== 'vector' && r !== 'hybrid') throw new Error(`unknown ranking ${r}; ${usage}`);
const conversations = files.map(loadConversation);
const BATCH = 200;

interface Run {
  variant: OfflineEmbedderVariant;
  embedder: string;
  ranking: Ranking;
  scores: Record<string, Score>;
  /** Seconds: first embed (loads the model), embedding every text, and retrieving for every question. */
  timing: { loadSeconds: number; embedMsPerText: number; retrieveMsPerQuestion: number };
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Ids in observation order: retrieveFacts breaks score ties by id, so random ids would make runs differ. */
const factId = (index: number) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

/** Loads one conversation as one user's memory; returns each fact's dialogue ids by fact id. */
async function seed(db: Database, embedder: Embedder, conversation: Conversation, clock: { embed: number }) {
  const [user] = await db.insert(users).values({ isAnonymous: true }).returning({ id: users.id });
  const userId = user!.id;
  const diaIds = new Map<string, string[]>();
  for (let at = 0; at < conversation.observations.length; at += BATCH) {
    const batch = conversation.observations.slice(at, at + BATCH);
    const started = performance.now();
    const vectors = await embedder.embed(batch.map((o) => o.text));
    clock.embed += seconds(started);
    // Inserted directly, not through writeFacts: its duplicate check would merge distinct observations.
    const facts = await db
      .insert(userFacts)
      .values(batch.map((o, i) => ({ id: factId(at + i), userId, factType: 'personal_context' as const, factText: o.text, confidence: 1 })))
      .returning({ id: userFacts.id });
    await db
      .insert(factEmbeddings)
      .values(facts.map((f, i) => ({ factId: f.id, userId, model: embedder.model, embedding: toStoredVector(vectors[i]!, embedder.model) })));
    facts.forEach((f, i) => diaIds.set(f.id, batch[i]!.diaIds));
  }
  return { userId, diaIds };
}

async function evaluate(variant: OfflineEmbedderVariant): Promise<Run[]> {
  const embedder = createOfflineEmbedder({ variant, cacheDir: values['cache-dir'] });
  let started = performance.now();
  await embedder.embed(['warm-up']);
  const loadSeconds = seconds(started);

  const boards = new Map(rankings.map((r) => [r, new ScoreBoard()]));
  const retrieveSeconds = new Map(rankings.map((r) => [r, 0]));
  const clock = { embed: 0 };
  let texts = 0;
  for (const conversation of conversations) {
    const handle = await openPglite();
    try {
      await migrateDatabase(handle);
      const { userId, diaIds } = await seed(handle.db, embedder, conversation, clock);
      started = performance.now();
      const vectors = await embedder.embed(conversation.questions.map((q) => q.question));
      clock.embed += seconds(started);
      texts += conversation.observations.length + conversation.questions.length;
      for (const ranking of rankings) {
        started = performance.now();
        for (const [i, q] of conversation.questions.entries()) {
          const facts = await retrieveFacts(
            handle.db,
            { userId, model: embedder.model, vector: vectors[i]!, text: q.question },
            // The ranking is what is measured: no similarity floor, the largest k.
            { k: Math.max(...KS), minSimilarity: -1, ranking },
          );
          const groups = [CATEGORY_NAMES[q.category]!, 'overall', `file ${conversation.name}`];
          boards.get(ranking)!.add(groups, q.evidence, facts.map((f) => diaIds.get(f.id) ?? []));
        }
        retrieveSeconds.set(ranking, retrieveSeconds.get(ranking)! + seconds(started));
      }
    } finally {
      await handle.close();
    }
  }
  const questions = conversations.reduce((n, c) => n + c.questions.length, 0);
  return rankings.map((ranking) => ({
    variant,
    embedder: embedder.model,
    ranking,
    scores: boards.get(ranking)!.scores(),
    timing: {
      loadSeconds: round(loadSeconds, 2),
      embedMsPerText: round((clock.embed * 1000) / texts, 3),
      retrieveMsPerQuestion: round((retrieveSeconds.get(ranking)! * 1000) / questions, 1),
    },
  }));
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log();
}

const started = performance.now();
const runs: Run[] = [];
for (const variant of variants) runs.push(...(await evaluate(variant)));

const questions = runs[0]?.scores.overall?.questions ?? 0;
console.log(`LoCoMo retrieval, files ${conversations.map((c) => c.name).join(', ')}: ${questions} questions (categories 1-4)\n`);
const metrics = (s: Score | undefined) => [
  String(s?.questions ?? 0),
  ...KS.map((k) => s?.recall[k]?.toFixed(3) ?? '-'),
  ...KS.map((k) => s?.hit[k]?.toFixed(3) ?? '-'),
];
const metricHeader = ['n', ...KS.map((k) => `recall@${k}`), ...KS.map((k) => `hit@${k}`)];
printTable(
  ['embedder', 'ranking', 'category', ...metricHeader],
  runs.flatMap((run) =>
    [...Object.values(CATEGORY_NAMES), 'overall'].map((category) => [run.variant, run.ranking, category, ...metrics(run.scores[category])]),
  ),
);
printTable(
  ['embedder', 'ranking', 'file', ...metricHeader],
  runs.flatMap((run) => conversations.map((c) => [run.variant, run.ranking, c.name, ...metrics(run.scores[`file ${c.name}`])])),
);
printTable(
  ['embedder', 'model', 'ranking', 'load s', 'embed ms/text', 'retrieve ms/question'],
  runs.map((r) => [r.variant, r.embedder, r.ranking, String(r.timing.loadSeconds), String(r.timing.embedMsPerText), String(r.timing.retrieveMsPerQuestion)]),
);
console.log(`total ${seconds(started).toFixed(1)} s\n`);

const report = { files: conversations.map((c) => c.name), questions, runs };
console.log(JSON.stringify(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
