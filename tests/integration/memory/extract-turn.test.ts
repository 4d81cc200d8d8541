import { eq, sql } from 'drizzle-orm';
import { beforeEach, expect, it, onTestFinished, vi } from 'vitest';
import { ExtractionError } from '@/lib/ai/types';
import { appendTurn, createAnonymousUser, createConversation } from '@/lib/db/queries';
import { conversationTurns, userFacts, users } from '@/lib/db/schema';
import { extractTurn, sweepPendingExtractions } from '@/lib/memory/extract-turn';
import { defaultMemorySettings } from '@/lib/memory/settings';
import type { MemoryServices } from '@/lib/memory/services';
import { axisVector, scriptedEmbedder, scriptedExtract } from '../../helpers/models';
import { recordingStore, type RecordedUnit } from '../../helpers/single-shard';
import { describeOnEngine } from '../engines';

const embedder = scriptedEmbedder({
  'I moved to Berlin last month': axisVector(0, 0.3),
  'Lives in Paris': axisVector(0),
  'Lives in Berlin': axisVector(0, 0.6),
});

describeOnEngine('extraction after a turn', (db, engine, store) => {
  let userId: string;
  let conversationId: string;
  const services = (extract: MemoryServices['extract']): MemoryServices => ({
    store: store(),
    extract,
    embedder,
    settings: defaultMemorySettings,
  });

  async function exchange(message: string, reply = 'Noted.') {
    const turn = await appendTurn(db(), userId, { conversationId, role: 'user', content: message });
    await appendTurn(db(), userId, { conversationId, role: 'assistant', content: reply, repliesTo: turn!.id });
    return turn!;
  }
  const turnRow = async (id: number) =>
    (await db().select().from(conversationTurns).where(eq(conversationTurns.id, id)))[0]!;
  const currentFacts = async () =>
    (await db().select().from(userFacts).where(eq(userFacts.userId, userId)))
      .filter((f) => !f.supersededAt)
      .map((f) => f.factText);

  beforeEach(async () => {
    userId = (await createAnonymousUser(db())).id;
    conversationId = (await createConversation(db(), userId)).id;
  });

  it('stores the facts with their source turn and marks the turn extracted', async () => {
    const turn = await exchange('I live in Paris, by the way');
    const extract = scriptedExtract({
      facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Paris', confidence: 0.95 }],
    });
    const result = await extractTurn(services(extract), userId, turn.id);
    expect(result.status).toBe('extracted');
    // The extractor saw the user's words and the assistant's reply, as quoted data.
    expect(extract.requests[0]!.prompt).toContain('"I live in Paris, by the way"');
    expect(extract.requests[0]!.prompt).toContain('"Noted."');

    const [fact] = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    expect(fact).toMatchObject({ factText: 'Lives in Paris', sourceTurnId: turn.id, sourceConversationId: conversationId });
    expect(await turnRow(turn.id)).toMatchObject({ extractionAttempts: 1, extractionError: null });
    expect((await turnRow(turn.id)).extractedAt).toBeInstanceOf(Date);
    // A second run has nothing to do.
    expect(await extractTurn(services(scriptedExtract()), userId, turn.id)).toEqual({
      status: 'skipped',
      reason: 'not_found',
    });
  });

  it('shows the extractor related known facts and maps its references back to them', async () => {
    await extractTurn(
      services(scriptedExtract({ facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Paris', confidence: 0.9 }] })),
      userId,
      (await exchange('I live in Paris')).id,
    );
    const turn = await exchange('I moved to Berlin last month');
    const extract = scriptedExtract({
      facts: [
        // "F7" does not exist: an invented reference is ignored, the fact is kept.
        { fact_type: 'personal_context', fact_text: 'Lives in Berlin', confidence: 0.95, supersedes: ['F1', 'F7'] },
      ],
    });
    await extractTurn(services(extract), userId, turn.id);
    expect(extract.requests[0]!.prompt).toContain('F1 [personal_context] "Lives in Paris"');
    expect(await currentFacts()).toEqual(['Lives in Berlin']);
  });

  it("with a chat turn's context, shows the extractor the user's current residence read with the claim, and no one else's", async () => {
    const paris = scriptedExtract({ facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Paris', confidence: 0.9 }] });
    await extractTurn(services(paris), userId, (await exchange('I live in Paris')).id);
    const stranger = (await createAnonymousUser(db())).id;
    const theirs = await appendTurn(db(), stranger, { conversationId: (await createConversation(db(), stranger)).id, role: 'user', content: 'I live in Rome' });
    const rome = scriptedExtract({ facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Rome', confidence: 0.9 }] });
    await extractTurn(services(rome), stranger, theirs!.id);

    const turn = await exchange('I moved to Berlin last month');
    const extract = scriptedExtract({
      facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Berlin', confidence: 0.95, supersedes: ['F1'] }],
    });
    // The prompt's retrieval found nothing related: only the claim's read can show Paris.
    await extractTurn(services(extract), userId, turn.id, { vector: axisVector(0, 0.3), relatedFacts: [] });
    expect(extract.requests[0]!.prompt).toContain('F1 [personal_context] "Lives in Paris"');
    expect(extract.requests[0]!.prompt).not.toContain('Rome');
    expect(await currentFacts()).toEqual(['Lives in Berlin']);
  });

  it('records a failed extraction on the turn, and the sweep retries it later', async () => {
    const turn = await exchange('I live in Paris');
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    onTestFinished(() => logged.mockRestore());
    const failed = await extractTurn(
      services(scriptedExtract(new ExtractionError('the model answered with no valid JSON'))),
      userId,
      turn.id,
    );
    expect(failed).toEqual({ status: 'failed', error: 'the model answered with no valid JSON' });
    expect(logged.mock.calls).toEqual([[expect.stringMatching(/extraction of turn \d+ failed \(attempt 1\): the model answered with no valid JSON/)]]);
    expect(await turnRow(turn.id)).toMatchObject({
      extractedAt: null,
      extractionAttempts: 1,
      extractionError: 'the model answered with no valid JSON',
    });
    expect(await currentFacts()).toEqual([]);

    // The sweep leaves young turns to the step still running for them...
    const extract = scriptedExtract({
      facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Paris', confidence: 0.9 }],
    });
    const young = await sweepPendingExtractions(services(extract), { minAgeSeconds: 3600, limit: 100 });
    expect(young.attempted).toBe(0);
    // ...and extracts the old ones.
    await db()
      .update(conversationTurns)
      .set({ createdAt: sql`now() - interval '1 hour'` })
      .where(eq(conversationTurns.id, turn.id));
    const swept = await sweepPendingExtractions(services(extract), { minAgeSeconds: 60, limit: 100 });
    expect(swept).toMatchObject({ extracted: 1, failed: 0 });
    expect(await currentFacts()).toEqual(['Lives in Paris']);
    expect(await turnRow(turn.id)).toMatchObject({ extractionAttempts: 2, extractionError: null });
  });

  it('stores a turn\'s facts once when two sweeps and a late extraction run at the same time', async () => {
    const turns = [await exchange('I live in Paris'), await exchange('I play the cello')];
    await db()
      .update(conversationTurns)
      .set({ createdAt: sql`now() - interval '1 hour'` })
      .where(eq(conversationTurns.userId, userId));
    // Every extractor answers slowly, so all three runs have read the turns before any writes.
    const slow = (): MemoryServices['extract'] =>
      (async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const factText = request.prompt.includes('cello') ? 'Plays the cello' : 'Lives in Paris';
        return scriptedExtract({ facts: [{ fact_type: 'personal_context', fact_text: factText, confidence: 0.9 }] })(request);
      }) as MemoryServices['extract'];
    const [first, second, late] = await Promise.all([
      sweepPendingExtractions(services(slow()), { minAgeSeconds: 60, limit: 100 }),
      sweepPendingExtractions(services(slow()), { minAgeSeconds: 60, limit: 100 }),
      extractTurn(services(slow()), userId, turns[0]!.id),
    ]);
    // Each turn is reported learned by exactly one run.
    expect(first.extracted + second.extracted + (late.status === 'extracted' ? 1 : 0)).toBe(2);
    const facts = await db().select().from(userFacts).where(eq(userFacts.userId, userId));
    // One fact per turn, whoever won each: the others found the turn learned and wrote nothing.
    expect(facts.map((f) => f.sourceTurnId).sort()).toEqual(turns.map((t) => t.id).sort());
    for (const turn of turns) expect((await turnRow(turn.id)).extractedAt).toBeInstanceOf(Date);
  });

  it('gives up on a turn after the maximum number of attempts', async () => {
    const turn = await exchange('I live in Paris');
    await db()
      .update(conversationTurns)
      .set({ createdAt: sql`now() - interval '1 hour'`, extractionAttempts: defaultMemorySettings.maxExtractionAttempts })
      .where(eq(conversationTurns.id, turn.id));
    const extract = scriptedExtract();
    await sweepPendingExtractions(services(extract), { minAgeSeconds: 60, limit: 1000 });
    expect(extract.requests).toHaveLength(0);
    expect(await turnRow(turn.id)).toMatchObject({
      extractedAt: null,
      extractionAttempts: defaultMemorySettings.maxExtractionAttempts,
    });
  });

  it('learns nothing while the user has memory off, and never later', async () => {
    await db().update(users).set({ memoryEnabled: false }).where(eq(users.id, userId));
    const turn = await exchange('I live in Paris');
    const extract = scriptedExtract();
    expect(await extractTurn(services(extract), userId, turn.id)).toEqual({ status: 'skipped', reason: 'memory_off' });
    expect(extract.requests).toHaveLength(0);
    expect((await turnRow(turn.id)).extractedAt).toBeInstanceOf(Date);
  });

  it('commits the claim and the learning without waiting for the disk, and the mark of a turn said with memory off durably', async () => {
    const writes = (units: RecordedUnit[]) => units.filter((u) => u.kind === 'asUser').map((u) => u.asynchronousCommit);
    const learned = recordingStore(db(), engine);
    const turn = await exchange('I live in Paris');
    const extract = scriptedExtract({ facts: [{ fact_type: 'personal_context', fact_text: 'Lives in Paris', confidence: 0.95 }] });
    expect(await extractTurn({ ...services(extract), store: learned.store }, userId, turn.id)).toMatchObject({ status: 'extracted' });
    // Lost in a crash of the database server, both are redone: the turn is unmarked again, and the sweep learns it.
    expect(writes(learned.units)).toEqual([true, true]);
    expect(learned.units[0]!.statements.map((s) => s.sql)).toContainEqual(expect.stringContaining("set_config('synchronous_commit', 'off', true)"));
    expect(await currentFacts()).toEqual(['Lives in Paris']);

    await db().update(users).set({ memoryEnabled: false }).where(eq(users.id, userId));
    const refused = recordingStore(db(), engine);
    const off = await exchange('I work at Acme');
    expect(await extractTurn({ ...services(scriptedExtract()), store: refused.store }, userId, off.id)).toEqual({ status: 'skipped', reason: 'memory_off' });
    // Redone, the mark would read the memory switch again, which may be on by then.
    expect(writes(refused.units)).toEqual([true, false]);
  });

  it('does not extract another user’s turn', async () => {
    const turn = await exchange('I live in Paris');
    const stranger = (await createAnonymousUser(db())).id;
    expect(await extractTurn(services(scriptedExtract()), stranger, turn.id)).toEqual({
      status: 'skipped',
      reason: 'not_found',
    });
    expect((await turnRow(turn.id)).extractionAttempts).toBe(0);
  });
});
