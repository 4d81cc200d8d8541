/**
 * A turn's memory in one statement (prepare-turn.ts): the facts' search, the standing facts and
 * the past conversations read together answer exactly what each answers alone, values, types
 * (dates, numbers) and order, though they come back through JSON.
 */
import { expect, it } from 'vitest';
import { createAnonymousUser } from '@/lib/db/queries';
import { runRead, runReads } from '@/lib/db/rows';
import { defaultEpisodeOptions, episodesSearch } from '@/lib/memory/episodes';
import { factsSearch, standingFacts } from '@/lib/memory/retrieve';
import { chatDeps, chatTurn, memoryServices } from '../../helpers/chat';
import { describeOnEngine } from '../engines';

describeOnEngine("a turn's reads in one statement", (db, _engine, store) => {
  it('answers each read as it answers alone', async () => {
    const user = { id: (await createAnonymousUser(db())).id, memoryEnabled: true, referenceChats: true };
    const deps = chatDeps(store());
    for (const message of ['I live in Lyon.', 'I am allergic to peanuts.', 'My sister gets married in Lisbon next June.', 'I work at Airbus as an engineer.']) {
      await chatTurn(deps, user, { message });
    }
    const { turn } = await chatTurn(deps, user, { message: 'Where should we eat tonight?' });

    const { embedder } = memoryServices(store());
    const text = 'Any food I should avoid at the wedding?';
    const [vector] = await embedder.embed([text]);
    const query = { userId: user.id, model: embedder.model, vector: vector!, text };
    // Floors at zero, so every read has several rows whose order matters.
    const reads = {
      facts: factsSearch(query, { k: 8, minSimilarity: 0, keepNearest: 8, ranking: 'hybrid' }),
      standing: standingFacts(user.id, 50),
      episodes: episodesSearch({ ...query, excludeConversationId: turn.conversation.id }, { ...defaultEpisodeOptions, minSimilarity: 0, keepNearest: 5 }),
    };
    const { together, alone } = await store().readAsUser(user.id, async (tx) => ({
      together: await runReads(tx, 'turn_reads_test', reads),
      alone: { facts: await runRead(tx, reads.facts), standing: await runRead(tx, reads.standing), episodes: await runRead(tx, reads.episodes) },
    }));

    expect(together).toEqual(alone);
    expect(together.facts.length).toBeGreaterThan(1);
    expect(together.standing.facts.length).toBeGreaterThan(1);
    expect(together.standing.always.size).toBeGreaterThan(0);
    expect(together.episodes.length).toBeGreaterThan(1);
    expect(together.facts[0]!.createdAt).toBeInstanceOf(Date);
    expect(typeof together.episodes[0]!.turnId).toBe('number');
  });
});
