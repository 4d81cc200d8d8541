/**
 * LoCoMo with the product's own code, in two modes (see ../shared/bench/locomo/README.md):
 * - retrieval: every gold observation of a conversation becomes one user's fact (embedded by an
 *   offline embedder) and each question of categories 1-4 is asked through retrieveFacts: the
 *   ranking alone, for each embedder and ranking;
 * - pipeline: the raw dialogue goes through the product (two users, one per speaker; each turn
 *   stored and extracted as the app does, with the configured providers), then each question is
 *   asked through prepareTurn, and what its prompt carries (facts and episodes, in prompt order)
 *   is scored: memory as the product keeps it, in the default configuration.
 * recall@k / hit@k of the evidence are reported per category, pooled over the files, and per file
 * (to see the gap between a file something was tuned on and the rest); the last line is one JSON
 * line for the default configuration (the pipeline's when it ran).
 *
 *   npm run eval:locomo -- FILE.json... [--mode both|retrieval|pipeline]
 *     [--embedder hashed|use|use+hashed|all] [--ranking vector|hybrid|both]
 *     [--providers configured|offline] [--only conv-26,conv-30] [--json out.json]
 *
 * FILE: one conversation per file (../shared/bench/locomo/26.json) or the published
 * locomo10.json (all ten conversations, each named by its sample_id). --mode defaults to both.
 * --embedder and --ranking choose the retrieval runs; the pipeline runs with what the app would
 * use: the providers of the settings (--providers offline forces the offline extractor and
 * embedder; one --embedder variant replaces the embedder) and the MEMORY_* settings with the
 * embedder's calibration (for example
 * MEMORY_MIN_SIMILARITY=-1 MEMORY_TOP_K=20 to see past the similarity floor and k).
 */
import { writeFileSync } from 'node:fs';
import { createOfflineEmbedder, DEFAULT_OFFLINE_EMBEDDER, OFFLINE_EMBEDDER_VARIANTS, type OfflineEmbedderVariant } from '@/lib/ai/offline/embedder';
import { offlineExtract } from '@/lib/ai/offline/extract';
import { createProviders } from '@/lib/ai/providers';
import type { Embedder, ExtractFn } from '@/lib/ai/types';
import { openPglite, type Database } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { factEmbeddings, userFacts, users } from '@/lib/db/schema';
import { createStore } from '@/lib/db/store';
import { env } from '@/lib/env';
import { retrieveFacts, type Ranking } from '@/lib/memory/retrieve';
import type { MemoryServices } from '@/lib/memory/services';
import { toStoredVector } from '@/lib/memory/stored-vector';
import { memorySettingsFrom } from '@/lib/services';
import { CATEGORY_NAMES, loadConversations, type Conversation } from './locomo/load';
import { KS, ScoreBoard, type Score } from './locomo/metrics';
import { askQuestion, emptyChats, ingestConversation, type IngestStats } from './locomo/pipeline';
import { parseCommand } from './cli';

const cli = parseCommand({
  name: 'npm run eval:locomo',
  positionals: 'FILE.json...',
  summary: `LoCoMo with the product's own code: recall@k and hit@k of the evidence per category and per file.
retrieval: each conversation's observations become one user's facts, each question goes through
retrieveFacts. pipeline: the dialogue goes through the product and each question through
prepareTurn. FILE: one conversation (../shared/bench/locomo/26.json) or locomo10.json.`,
  options: {
    mode: { type: 'string', default: 'both', value: 'both|retrieval|pipeline', help: 'Which evaluation to run' },
    embedder: { type: 'string', default: 'all', value: `${OFFLINE_EMBEDDER_VARIANTS.join('|')}|all`, help: 'The retrieval runs\' embedder' },
    ranking: { type: 'string', default: 'both', value: 'vector|hybrid|both', help: 'The retrieval runs\' ranking' },
    providers: { type: 'string', default: 'configured', value: 'configured|offline', help: 'The pipeline\'s providers' },
    only: { type: 'string', value: 'NAME,...', help: 'Only these conversations (sample_id in locomo10.json, else the file name)' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
  },
});
const { values } = cli;
if (!cli.positionals.length) cli.fail('name at least one LoCoMo file');
const files = cli.files(cli.positionals);

type Mode = 'retrieval' | 'pipeline';
const modes: Mode[] = values.mode === 'both' ? ['retrieval', 'pipeline'] : [values.mode as Mode];
for (const m of modes) if (m !== 'retrieval' && m !== 'pipeline') cli.fail(`unknown --mode ${m}`);
const variants = values.embedder === 'all' ? [...OFFLINE_EMBEDDER_VARIANTS] : [values.embedder as OfflineEmbedderVariant];
for (const v of variants) if (!OFFLINE_EMBEDDER_VARIANTS.includes(v)) cli.fail(`unknown --embedder ${v}`);
const rankings: Ranking[] = values.ranking === 'both' ? ['vector', 'hybrid'] : [values.ranking as Ranking];
for (const r of rankings) if (r !== 'vector' && r !== 'hybrid') cli.fail(`unknown --ranking ${r}`);
if (values.providers !== 'configured' && values.providers !== 'offline') cli.fail(`unknown --providers ${values.providers}`);
const loaded = files.flatMap(loadConversations);
const only = values.only?.split(',').map((name) => name.trim()).filter(Boolean);
for (const name of only ?? []) {
  if (!loaded.some((c) => c.name === name)) cli.fail(`no conversation ${name} in ${files.join(', ')} (${loaded.map((c) => c.name).join(', ')})`);
}
const conversations = only ? loaded.filter((c) => only.includes(c.name)) : loaded;
const BATCH = 200;

interface Run {
  mode: Mode;
  /** The offline embedder variant (or the embedding model when it is not an offline one). */
  variant: string;
  embedder: string;
  ranking: Ranking;
  scores: Record<string, Score>;
  timing: Record<string, number>;
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const groupsOf = (conversation: Conversation, category: number) => [CATEGORY_NAMES[category]!, 'overall', `file ${conversation.name}`];

/** Ids in observation order: retrieveFacts breaks score ties by id, so random ids would make runs differ. */
const factId = (index: number) => `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

/** Loads one conversation's observations as one user's memory; returns each fact's dialogue ids by fact id. */
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

/** Retrieval over the gold observations, for one embedder and every ranking asked for. */
async function evaluateRetrieval(variant: OfflineEmbedderVariant): Promise<Run[]> {
  const embedder = createOfflineEmbedder(variant);
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
          boards.get(ranking)!.add(groupsOf(conversation, q.category), q.evidence, facts.map((f) => diaIds.get(f.id) ?? []));
        }
        retrieveSeconds.set(ranking, retrieveSeconds.get(ranking)! + seconds(started));
      }
    } finally {
      await handle.close();
    }
  }
  const questions = conversations.reduce((n, c) => n + c.questions.length, 0);
  return rankings.map((ranking) => ({
    mode: 'retrieval',
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

/** The models the pipeline runs with: the app's own choice from the settings, or the offline ones. */
function pipelineModels(): { extract: ExtractFn; embedder: Embedder; extraction: string } {
  const settings = env();
  // One offline embedder named with --embedder replaces the configured one (to compare them).
  const chosen = values.embedder === 'all' ? undefined : createOfflineEmbedder(variants[0]!);
  if (values.providers === 'offline') {
    return { extract: offlineExtract, embedder: chosen ?? createOfflineEmbedder(DEFAULT_OFFLINE_EMBEDDER), extraction: 'offline' };
  }
  const providers = createProviders(settings);
  return { extract: providers.extract, embedder: chosen ?? providers.embedder, extraction: settings.chatProvider };
}

interface PipelineFile extends IngestStats {
  file: string;
  ingestSeconds: number;
  /** Mean facts and episodes per question's prompt(s). */
  factsPerQuestion: number;
  episodesPerQuestion: number;
  /** Questions asked of both users (they name both speakers or neither). */
  askedOfBoth: number;
}

/** The raw dialogue through the product, then the questions through prepareTurn. */
async function evaluatePipeline(): Promise<{ run: Run; files: PipelineFile[]; setup: string }> {
  const { extract, embedder, extraction } = pipelineModels();
  const settings = memorySettingsFrom(env(), embedder);
  const { k, minSimilarity, ranking } = settings.retrieve;
  const setup =
    `extraction ${extraction}, embedder ${embedder.model}; prompt: k ${k}, ranking ${ranking}, ` +
    `min similarity ${minSimilarity}, memory budget ${settings.memoryTokenBudget} tokens`;
  console.log(`pipeline: ${setup}`);
  let started = performance.now();
  await embedder.embed(['warm-up']);
  const loadSeconds = seconds(started);

  const board = new ScoreBoard();
  const files: PipelineFile[] = [];
  let askSeconds = 0;
  let ingestSeconds = 0;
  let userTurns = 0;
  for (const conversation of conversations) {
    const handle = await openPglite();
    try {
      await migrateDatabase(handle);
      const services: MemoryServices = { store: createStore(handle), extract, embedder, settings };
      started = performance.now();
      const ingested = await ingestConversation(services, conversation);
      const ingestTook = seconds(started);
      ingestSeconds += ingestTook;
      userTurns += ingested.stats.userTurns;
      console.log(
        `pipeline: ${conversation.name} stored ${ingested.stats.userTurns} user turns, ${ingested.stats.facts} current facts, in ${ingestTook.toFixed(1)} s`,
      );

      started = performance.now();
      const chats = await emptyChats(services, ingested);
      let facts = 0;
      let episodes = 0;
      let askedOfBoth = 0;
      for (const q of conversation.questions) {
        const asked = await askQuestion(services, conversation, ingested, chats, q);
        board.add(groupsOf(conversation, q.category), q.evidence, asked.items);
        facts += asked.facts;
        episodes += asked.episodes;
        if (asked.speakers.length > 1) askedOfBoth += 1;
      }
      askSeconds += seconds(started);
      const n = Math.max(1, conversation.questions.length);
      files.push({
        file: conversation.name,
        ...ingested.stats,
        ingestSeconds: round(ingestTook, 1),
        factsPerQuestion: round(facts / n, 2),
        episodesPerQuestion: round(episodes / n, 2),
        askedOfBoth,
      });
    } finally {
      await handle.close();
    }
  }
  const questions = conversations.reduce((n, c) => n + c.questions.length, 0);
  const variant = OFFLINE_EMBEDDER_VARIANTS.find((v) => createOfflineEmbedder(v).model === embedder.model);
  return {
    run: {
      mode: 'pipeline',
      variant: variant ?? embedder.model,
      embedder: embedder.model,
      ranking,
      scores: board.scores(),
      timing: {
        loadSeconds: round(loadSeconds, 2),
        ingestMsPerUserTurn: round((ingestSeconds * 1000) / Math.max(1, userTurns), 1),
        askMsPerQuestion: round((askSeconds * 1000) / Math.max(1, questions), 1),
      },
    },
    files,
    setup,
  };
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log();
}

const started = performance.now();
const runs: Run[] = [];
let pipeline: Awaited<ReturnType<typeof evaluatePipeline>> | undefined;
if (modes.includes('retrieval')) for (const variant of variants) runs.push(...(await evaluateRetrieval(variant)));
if (modes.includes('pipeline')) {
  pipeline = await evaluatePipeline();
  runs.push(pipeline.run);
}

const questions = runs[0]?.scores.overall?.questions ?? 0;
console.log(`\nLoCoMo ${modes.join(' and ')}, files ${conversations.map((c) => c.name).join(', ')}: ${questions} questions (categories 1-4)`);
console.log('items: mean items per question (retrieved, or carried by the prompt); <k: share of questions with fewer than k items\n');
const metrics = (s: Score | undefined) => [
  String(s?.questions ?? 0),
  ...KS.map((k) => s?.recall[k]?.toFixed(3) ?? '-'),
  ...KS.map((k) => s?.hit[k]?.toFixed(3) ?? '-'),
  s?.items.toFixed(1) ?? '-',
  ...KS.map((k) => s?.short[k]?.toFixed(2) ?? '-'),
];
const metricHeader = ['n', ...KS.map((k) => `recall@${k}`), ...KS.map((k) => `hit@${k}`), 'items', ...KS.map((k) => `<${k}`)];
printTable(
  ['mode', 'embedder', 'ranking', 'category', ...metricHeader],
  runs.flatMap((run) =>
    [...Object.values(CATEGORY_NAMES), 'overall'].map((category) => [run.mode, run.variant, run.ranking, category, ...metrics(run.scores[category])]),
  ),
);
printTable(
  ['mode', 'embedder', 'ranking', 'file', ...metricHeader],
  runs.flatMap((run) => conversations.map((c) => [run.mode, run.variant, run.ranking, c.name, ...metrics(run.scores[`file ${c.name}`])])),
);
const retrievalRuns = runs.filter((r) => r.mode === 'retrieval');
if (retrievalRuns.length) {
  printTable(
    ['embedder', 'model', 'ranking', 'load s', 'embed ms/text', 'retrieve ms/question'],
    retrievalRuns.map((r) => [r.variant, r.embedder, r.ranking, String(r.timing.loadSeconds), String(r.timing.embedMsPerText), String(r.timing.retrieveMsPerQuestion)]),
  );
}
if (pipeline) {
  console.log(`pipeline: ${pipeline.setup}`);
  printTable(
    ['file', 'user turns', 'replies', 'extracted', 'failed', 'facts', 'facts/question', 'episodes/question', 'asked of both', 'ingest s'],
    pipeline.files.map((f) => [
      f.file,
      String(f.userTurns),
      String(f.replies),
      String(f.extracted),
      String(f.failed),
      String(f.facts),
      String(f.factsPerQuestion),
      String(f.episodesPerQuestion),
      String(f.askedOfBoth),
      String(f.ingestSeconds),
    ]),
  );
  const t = pipeline.run.timing;
  console.log(`pipeline timing: load ${t.loadSeconds} s, ingest ${t.ingestMsPerUserTurn} ms per user turn, ask ${t.askMsPerQuestion} ms per question`);
  for (const f of pipeline.files) {
    if (f.unknownSpeakerTurns || f.undatedSessions) {
      console.log(`pipeline: ${f.file}: ${f.unknownSpeakerTurns} turns of neither speaker skipped, ${f.undatedSessions} sessions left undated`);
    }
  }
}
console.log(`total ${seconds(started).toFixed(1)} s\n`);

const report = {
  files: conversations.map((c) => c.name),
  questions,
  runs,
  ...(pipeline ? { pipeline: { setup: pipeline.setup, files: pipeline.files } } : {}),
};
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));

/** The closing line: the pipeline in the default configuration, else the default retrieval run. */
const headline =
  pipeline?.run ??
  retrievalRuns.find((r) => r.variant === DEFAULT_OFFLINE_EMBEDDER && r.ranking === env().MEMORY_RANKING) ??
  retrievalRuns[0];
if (headline) {
  const overall = headline.scores.overall;
  console.log(
    JSON.stringify({
      mode: headline.mode,
      ...(headline.mode === 'retrieval' ? { embedder: headline.variant, ranking: headline.ranking } : {}),
      questions: overall?.questions ?? 0,
      'recall@5': overall?.recall[5] ?? 0,
      'recall@8': overall?.recall[8] ?? 0,
      'hit@8': overall?.hit[8] ?? 0,
    }),
  );
}
