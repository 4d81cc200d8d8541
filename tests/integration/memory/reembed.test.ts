/**
 * `npm run memory:reembed` after an embedding-model change: what the user told Engram under the
 * old model is found by meaning under the new one, an interrupted run resumes without redoing or
 * missing anything, and pruning leaves only the new model's vectors.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import { hashedEmbedder } from '@/lib/ai/offline/hashed-embedder';
import type { TurnUser } from '@/lib/chat/turn';
import { createAnonymousUser } from '@/lib/db/queries';
import { episodeEmbeddings, episodeWords, factEmbeddings, userFacts } from '@/lib/db/schema';
import { retrieveEpisodes, defaultEpisodeOptions } from '@/lib/memory/episodes';
import { reembedMemory } from '@/lib/memory/reembed';
import { retrieveFacts } from '@/lib/memory/retrieve';
import { chatDeps, chatTurn } from '../../helpers/chat';
import { scriptedEmbedder } from '../../helpers/models';
import { describeOnEngine } from '../engines';

describeOnEngine('re-embedding after a model change', (db, _engine, store) => {
  let user: TurnUser;
  const said = ['I live in Lyon and work as a nurse.', "I'm allergic to peanuts.", 'My sister gets married in Lisbon next June.'];

  beforeEach(async () => {
    user = { id: (await createAnonymousUser(db())).id, memoryEnabled: true, referenceChats: true };
    for (const message of said) await chatTurn(chatDeps(store()), user, { message });
    // A correction, so one fact is history (superseded, with no vector to re-make).
    await chatTurn(chatDeps(store()), user, { message: 'I moved to Berlin.' });
  });

  // This user's vectors of a model, in each table.
  const factVectors = (model: string) =>
    db().select().from(factEmbeddings).where(and(eq(factEmbeddings.userId, user.id), eq(factEmbeddings.model, model)));
  const episodeVectors = (model: string) =>
    db().select().from(episodeEmbeddings).where(and(eq(episodeEmbeddings.userId, user.id), eq(episodeEmbeddings.model, model)));

  it('gives every current fact and every episode a vector of the new model, and search finds them', async () => {
    const oldModel = hashedEmbedder.model;
    const current = await db().select().from(userFacts).where(and(eq(userFacts.userId, user.id), isNull(userFacts.supersededAt)));
    const oldEpisodes = await episodeVectors(oldModel);
    expect(current.map((f) => f.factText)).toEqual(expect.arrayContaining(['Lives in Berlin', 'Is allergic to peanuts']));
    expect(oldEpisodes).toHaveLength(4);

    const embedder = scriptedEmbedder({}, 'new-model');
    // The suite's other test shares the database: count this user's rows.
    await reembedMemory(store(), embedder, { batchSize: 2, prune: false });
    expect((await factVectors('new-model')).map((e) => e.factId).sort()).toEqual(current.map((f) => f.id).sort());
    expect((await episodeVectors('new-model')).map((e) => e.turnId).sort()).toEqual(oldEpisodes.map((e) => e.turnId).sort());
    expect((await factVectors('new-model')).every((e) => e.embedding.length === embedder.dimensions)).toBe(true);

    // The scripted embedder gives a text the same vector each time: the exact wording is nearest.
    const [vector] = await embedder.embed(['Lives in Berlin']);
    const facts = await store().asUser(user.id, (tx) => retrieveFacts(tx, { userId: user.id, model: 'new-model', vector: vector!, text: 'home' }));
    expect(facts[0]).toMatchObject({ factText: 'Lives in Berlin', similarity: expect.closeTo(1, 2) });
    const [episodeVector] = await embedder.embed([said[2]!]);
    const episodes = await store().asUser(user.id, (tx) =>
      retrieveEpisodes(tx, { userId: user.id, model: 'new-model', vector: episodeVector!, text: 'wedding', excludeConversationId: crypto.randomUUID() }, defaultEpisodeOptions),
    );
    expect(episodes[0]).toMatchObject({ content: said[2], similarity: expect.closeTo(1, 2) });
  });

  it('resumes after an interruption without redoing a batch, and prunes the old model', async () => {
    const oldModel = hashedEmbedder.model;
    const scripted = scriptedEmbedder({}, 'new-model');
    let calls = 0;
    const failing = {
      ...scripted,
      embed: async (texts: string[]) => {
        if (++calls === 2) throw new Error('vendor down');
        return scripted.embed(texts);
      },
    };
    const wordsOfEpisodes = () => db().select().from(episodeWords).where(eq(episodeWords.userId, user.id));
    const words = await wordsOfEpisodes();
    expect(words).not.toEqual([]);
    await expect(reembedMemory(store(), failing, { batchSize: 1, prune: true })).rejects.toThrow('vendor down');
    // The first batch is stored; nothing was pruned, since the run did not finish.
    expect(await factVectors(oldModel)).not.toEqual([]);
    const firstRun = scripted.calls.flat();

    await reembedMemory(store(), scripted, { batchSize: 1, prune: true });
    const secondRun = scripted.calls.flat().slice(firstRun.length);
    expect(secondRun).not.toContain(firstRun[0]);
    expect(await factVectors(oldModel)).toEqual([]);
    expect(await episodeVectors(oldModel)).toEqual([]);
    expect(await episodeVectors('new-model')).toHaveLength(4);
    // An episode's words go with its last vector only: each has one of the new model.
    expect(await wordsOfEpisodes()).toHaveLength(words.length);

    const again = await reembedMemory(store(), scripted, { batchSize: 1, prune: true });
    expect(again).toMatchObject({ facts: 0, episodes: 0, pruned: { facts: 0, episodes: 0 } });
  });
});
