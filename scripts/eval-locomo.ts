/**
 * Retrieval on LoCoMo, with the product's own code: every observation of a conversation becomes
 * one user's fact (embedded by the offline embedder), each question of categories 1-4 is asked
 * through retrieveFacts, and recall@k / hit@k of the evidence are reported per category.
 *
 *   npm run eval:locomo -- ../shared/bench/locomo/*.json [--embedder hashed|all] [--ranking vector|hybrid|both] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OFFLINE_EMBEDDERS, type OfflineEmbedderName } from '@/lib/ai/offline/embedder';
import type { Embedder } from '@/lib/ai/types';
import { openPglite } from '@/lib/db/client';
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
  },
});
if (!files.length) throw new Error('usage: npm run eval:locomo -- FILE.json... [--embedder NAME|all] [--ranking vector|hybrid|both]');

const embedderNames = (values.embedder === 'all' ? Object.keys(OFFLINE_EMBEDDERS) : [values.embedder]) as OfflineEmbedderName[];
for (const name of embedderNames) if (!(name in OFFLINE_EMBEDDERS)) throw new Error(`unknown embedder ${name}; known: ${Object.keys(OFFLINE_EMBEDDERS).join(', ')}`);
const rankings: Ranking[] = values.ranking === 'both' ? ['vector', 'hybrid'] : [values.ranking as Ranking];
const conversations = files.map(loadConversation);
const BATCH = 200;

interface Run {
  embedder: string;
  ranking: Ranking;
  scores: Record<string, Score>;
  seconds: number;
}

/** Loads one conversation as one user's memory; returns each fact's dialogue ids by fact id. */
async function seed(db: Awaited<ReturnType<typeof openPglite>>['db'], embedder: Embedder, conversation: Conversation) {
  const [user] = await db.insert(users).values({ isAnonymous: true }).returning({ id: users.id });
  const diaIds = new Map<string, string[]>();
  for (let at = 0; at < conversation.observations.length; at += BATCH) {
    const batch = conversation.observations.slice(at, at + BATCH);
    const vectors = await embedder.embed(batch.map((o) => o.text));
    const facts = await db
      .insert(userFacts)
      .values(batch.map((o) => ({ userId: user!.id, factType: 'personal_context' as const, factText: o.text, confidence: 1 })))
      .returning({ id: userFacts.id });
    await db.insert(factEmbeddings).values(
      facts.map((f, i) => ({ factId: f.id, userId: user!.id, model: embedder.model, embedding: toStoredVector(vectors[i]!, embedder.model) })),
    );
    facts.forEach((f, i) => diaIds.set(f.id, batch[i]!.diaIds));
  }
  return { userId: user!.id, diaIds };
}

async function evaluate(name: OfflineEmbedderName): Promise<Run[]> {
  const embedder = OFFLINE_EMBEDDERS[name];
  const boards = new Map(rankings.map((r) => [r, new ScoreBoard()]));
  const seconds = new Map(rankings.map((r) => [r, 0]));
  for (const conversation of conversations) {
    const handle = await openPglite();
    try {
      await migrateDatabase(handle);
      const { userId, diaIds } = await seed(handle.db, embedder, conversation);
      const vectors = await embedder.embed(conversation.questions.map((q) => q.question));
      for (const ranking of rankings) {
        const started = performance.now();
        for (const [i, q] of conversation.questions.entries()) {
          const facts = await retrieveFacts(
            handle.db,
            { userId, model: embedder.model, vector: vectors[i]!, text: q.question },
            // The ranking is what is measured: no similarity floor, the largest k.
            { k: Math.max(...KS), minSimilarity: -1, ranking },
          );
          boards.get(ranking)!.add(CATEGORY_NAMES[q.category]!, q.evidence, facts.map((f) => diaIds.get(f.id) ?? []));
        }
        seconds.set(ranking, seconds.get(ranking)! + (performance.now() - started) / 1000);
      }
    } finally {
      await handle.close();
    }
  }
  return rankings.map((ranking) => ({
    embedder: embedder.model,
    ranking,
    scores: boards.get(ranking)!.scores(),
    seconds: Math.round(seconds.get(ranking)! * 10) / 10,
  }));
}

const runs: Run[] = [];
for (const name of embedderNames) runs.push(...(await evaluate(name)));

const questions = runs[0]?.scores.overall?.questions ?? 0;
console.log(`LoCoMo retrieval, ${conversations.map((c) => c.name).join(', ')}: ${questions} questions (categories 1-4)\n`);
const header = ['embedder', 'ranking', 'category', 'n', ...KS.map((k) => `recall@${k}`), ...KS.map((k) => `hit@${k}`)];
const rows = runs.flatMap((run) =>
  [...Object.values(CATEGORY_NAMES), 'overall'].map((category) => {
    const s = run.scores[category];
    return [run.embedder, run.ranking, category, String(s?.questions ?? 0), ...KS.map((k) => s?.recall[k]?.toFixed(3) ?? '-'), ...KS.map((k) => s?.hit[k]?.toFixed(3) ?? '-')];
  }),
);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));

const report = { files: conversations.map((c) => c.name), questions, runs };
console.log(`\n${JSON.stringify(report)}`);
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
