/**
 * Two `npm run memory:sweep` processes at once over the same pending turns (their after-turn
 * extraction failed at the vendor): every turn's facts are stored once, never twice.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appEnvironment, freshDatabase, guestCookie, postChat, query, sleep, startApp, startFakeVendorServer, type App, type FakeVendorServer } from '../helpers/app-server';

const TURNS = 6;
/** One word per extraction call (two sweeps: up to two calls a turn); pairwise trigram similarity of the facts at most 0.66. */
const CALL_WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett', 'kilo', 'lima'];

let fake: FakeVendorServer;
let app: App;
let adminUrl: string;
let appUrl: string;

beforeAll(async () => {
  fake = await startFakeVendorServer();
  ({ adminUrl, appUrl } = await freshDatabase('engram_faults_sweeps'));
  app = await startApp(appUrl, fake);
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

function sweep(): Promise<{ code: number | null; summary: Record<string, number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/memory-sweep.ts'], { env: appEnvironment(appUrl, fake), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"sweep"'));
      if (!line) throw new Error(`memory:sweep printed no summary:\n${out}`);
      resolve({ code, summary: (JSON.parse(line) as { sweep: Record<string, number> }).sweep });
    }),
  );
}

it('stores each pending turn’s facts once when two sweeps run at once', async () => {
  // Turns whose extraction failed at the vendor, recorded and left for the sweep.
  fake.script(...Array.from({ length: TURNS }, () => ({ match: { forcedTool: 'record_facts' }, status: 500, errorMessage: 'vendor down' })));
  const cookie = await guestCookie(app.url);
  let conversationId: string | undefined;
  for (let t = 0; t < TURNS; t++) {
    const result = await postChat(app.url, cookie, { conversationId, message: `Note ${t}: I collect stamps from country ${t}.` });
    const start = result.events[0];
    if (start?.type === 'start' && start.conversationId) conversationId = start.conversationId;
  }
  let failed: { id: string }[] = [];
  for (let waited = 0; failed.length < TURNS && waited < 15_000; waited += 250) {
    await sleep(250);
    failed = await query(adminUrl, "SELECT id FROM conversation_turns WHERE role = 'user' AND extracted_at IS NULL AND extraction_error IS NOT NULL");
  }
  expect(failed).toHaveLength(TURNS);
  // Old enough for the sweep (it leaves turns younger than 2 minutes to their own extraction).
  await query(adminUrl, "UPDATE conversation_turns SET created_at = created_at - interval '10 minutes'");

  // Every extraction call answers with a different fact: a turn extracted twice would hold two.
  // Different words, not numbers: "call 1" and "call 11" are near-duplicates by trigram (0.875,
  // over the writer's 0.85), so the writer rightly folded one into the other.
  fake.script(
    ...CALL_WORDS.map((word) => ({
      match: { forcedTool: 'record_facts' },
      toolCalls: [{ name: 'record_facts', input: { facts: [{ fact_type: 'preference', fact_text: `Collects stamps, set ${word}`, confidence: 0.9, supersedes: [] }] } }],
    })),
  );
  const [a, b] = await Promise.all([sweep(), sweep()]);
  expect([a.code, b.code]).toEqual([0, 0]);
  expect(a.summary.extracted! + b.summary.extracted!).toBe(TURNS);

  const perTurn = await query<{ source_turn_id: string; n: string }>(
    adminUrl,
    "SELECT source_turn_id, count(*) AS n FROM user_facts WHERE fact_text LIKE 'Collects stamps%' GROUP BY source_turn_id",
  );
  expect(perTurn.map((r) => Number(r.n))).toEqual(Array.from({ length: TURNS }, () => 1));
  expect(await query(adminUrl, "SELECT id FROM conversation_turns WHERE role = 'user' AND extracted_at IS NULL")).toEqual([]);
});
