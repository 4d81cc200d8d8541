/**
 * `npm run bench:decay`: seeds users with 500-1,000 facts each (ages, use counts and history
 * spread as in service) on the PostgreSQL server of DATABASE_URL, then runs the nightly decay
 * while other connections keep retrieving, and reports the run's duration, the rows it deleted,
 * and retrieval latency before and during the run. A database `engram_bench_decay` is created,
 * seeded by the admin; the job and the readers run as the plain app role.
 * Flags: see --help.
 */
import { writeFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { openPostgres } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { createStore } from '@/lib/db/store';
import { DECAY_PRESETS, defaultDecayOptions, runDecay } from '@/lib/memory/decay';
import { retrieveFacts } from '@/lib/memory/retrieve';
import { defaultMemorySettings } from '@/lib/memory/settings';
import { printBaselineComparison, TIMING_KEYS } from './bench/baseline';
import { serverSettingsAt } from './bench/plans';
import { scratchAppDatabase } from './bench/scratch-database';
import { parseCommand } from './cli';
import { summarize } from './bench/stats';

const cli = parseCommand({
  name: 'npm run bench:decay',
  summary: `Seeds users with 500-1,000 facts each on the PostgreSQL server of DATABASE_URL (in a database
engram_bench_decay it creates), runs the nightly decay while other connections keep retrieving,
and reports the run's duration, the rows it deleted, and retrieval latency before and during it.`,
  options: {
    users: { type: 'string', default: '2000', value: 'N', help: 'Users to seed' },
    readers: { type: 'string', default: '2', value: 'N', help: 'Connections retrieving during the run' },
    json: { type: 'string', value: 'FILE', help: 'Also write the report to FILE' },
    baseline: { type: 'string', value: 'FILE', help: "An earlier run's --json report, printed beside this one's" },
  },
});
const { values } = cli;
const databaseUrl = cli.requireEnv('DATABASE_URL', 'it runs on a PostgreSQL server');
const users = cli.integer('users');
const readers = cli.integer('readers');
const DIMENSIONS = 256;
const MODEL = 'bench-embedder';

// Seeded by the admin; the job and the readers run as the plain app role, as in production.
const { ownerUrl, appUrl } = await scratchAppDatabase(databaseUrl, 'engram_bench_decay');
const url = new URL(ownerUrl);
const owner = await openPostgres(ownerUrl, 2);
const { db } = owner;
const app = await openPostgres(appUrl, 8);
const store = createStore(app);

async function seed() {
  const started = performance.now();
  await db.execute(sql`INSERT INTO users (is_anonymous) SELECT true FROM generate_series(1, ${users}::int)`);
  // 500-1,000 facts a user, learned over the last 180 days; a quarter never used, the rest used
  // a few times, most of them long ago; 5% superseded at some point in the last year.
  await db.execute(sql`
    INSERT INTO user_facts (user_id, fact_type, fact_text, confidence, created_at, last_accessed, access_count, superseded_at)
    SELECT u.id, (enum_range(NULL::fact_type))[1 + g % 5], 'Synthetic fact ' || g || ' ' || left(md5(u.id::text || g), 16),
           0.6 + random() * 0.4, created, CASE WHEN random() < 0.25 THEN NULL ELSE created + (now() - created) * random() END,
           floor(random() ^ 2 * 8)::int, CASE WHEN random() < 0.05 THEN now() - random() * interval '365 days' END
    FROM users u
    CROSS JOIN LATERAL generate_series(1, 500 + (abs(hashtext(u.id::text)) % 501)) g
    CROSS JOIN LATERAL (SELECT now() - random() * interval '180 days' AS created WHERE g > 0) c
    ORDER BY g, u.id`);
  await db.execute(sql`
    INSERT INTO fact_embeddings (fact_id, user_id, model, embedding)
    SELECT f.id, f.user_id, ${MODEL},
           ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, ${DIMENSIONS}::int) WHERE f.id IS NOT NULL)::halfvec
    FROM user_facts f WHERE f.superseded_at IS NULL`);
  await db.execute(sql`VACUUM ANALYZE`);
  return Math.round((performance.now() - started) / 100) / 10;
}

async function counts() {
  const [row] = await selectRows<{ facts: number; embeddings: number }>(
    db,
    sql`SELECT (SELECT count(*)::int FROM user_facts) AS facts, (SELECT count(*)::int FROM fact_embeddings) AS embeddings`,
  );
  return row!;
}

const vector = () => Array.from({ length: DIMENSIONS }, () => Math.random() - 0.5);

/** Retrieval for random users, back to back on `readers` connections, until `until` resolves. */
async function readWhile(userIds: string[], until: Promise<unknown>) {
  const samples: number[] = [];
  let done = false;
  void until.finally(() => (done = true));
  await Promise.all(
    Array.from({ length: readers }, async () => {
      while (!done) {
        const userId = userIds[Math.floor(Math.random() * userIds.length)]!;
        const started = performance.now();
        await store.asUser(userId, (tx) =>
          retrieveFacts(tx, { userId, model: MODEL, vector: vector(), text: 'tell me about a synthetic fact' }, defaultMemorySettings.retrieve),
        );
        samples.push(performance.now() - started);
      }
    }),
  );
  return samples;
}

try {
  console.log(`seeding ${users} users x 500-1,000 facts on ${url.host}...`);
  const seedSeconds = await seed();
  const before = await counts();
  console.log(`seeded ${before.facts.toLocaleString('en')} facts in ${seedSeconds} s`);
  const userIds = (await selectRows<{ id: string }>(db, sql`SELECT id FROM users`)).map((r) => r.id);

  const baseline = await readWhile(userIds, new Promise((resolve) => setTimeout(resolve, 5000)));
  const services = { store, extract: () => Promise.reject(new Error('unused')), embedder: { model: MODEL, dimensions: DIMENSIONS, embed: async () => [] }, settings: defaultMemorySettings };
  const run = runDecay(services, { ...defaultDecayOptions, policy: DECAY_PRESETS.default, sweep: false });
  const during = await readWhile(userIds, run);
  const summary = await run;
  const after = await counts();

  const report = {
    users,
    factsBefore: before.facts,
    factsAfter: after.facts,
    embeddingsDeleted: before.embeddings - after.embeddings,
    seedSeconds,
    decay: summary,
    retrievalBefore: summarize(baseline),
    retrievalDuring: summarize(during),
    settings: await serverSettingsAt(appUrl),
  };
  if (summary.status !== 'completed') throw new Error('the run was skipped');
  console.log(`decay of ${before.facts.toLocaleString('en')} facts: ${(summary.durationMs / 1000).toFixed(1)} s`);
  console.log(`  deleted: ${summary.factsExpired} expired, ${summary.factsCapped} over the cap, ${summary.historyPurged} old history; ${report.embeddingsDeleted} embeddings with them`);
  console.log(`  retrieval p50/p95/p99 before: ${report.retrievalBefore.p50} / ${report.retrievalBefore.p95} / ${report.retrievalBefore.p99} ms (${baseline.length} queries)`);
  console.log(`  retrieval p50/p95/p99 during: ${report.retrievalDuring.p50} / ${report.retrievalDuring.p95} / ${report.retrievalDuring.p99} ms (${during.length} queries)`);
  console.log(`  PostgreSQL settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  console.log(JSON.stringify(report));
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
  if (values.baseline) printBaselineComparison(report, values.baseline, new Set([...TIMING_KEYS, 'durationMs']));
} finally {
  await Promise.all([owner.close(), app.close()]);
}
