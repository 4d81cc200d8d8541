/**
 * Every statement a user's unit of work runs names its user by the distribution key, so each
 * request could be routed to one shard if the user-data tables were distributed by `user_id`
 * (README, "Scaling out"). The product paths run for real, below HTTP: chat turns with memory and
 * past chats on (extraction, episodes, folding, titles), a retry, the memory tools, the chat and
 * memory pages, the memory switches, the export, sessions, sign-up with a guest's data, account
 * deletion. System units (the nightly job, the sweep's scan, sign-in by email, the merge itself)
 * span users by design and are not checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpFromSession, standingOf } from '@/lib/auth/guest-data';
import { currentSessionUser, endSessions, isStaleSession, sessionVersionOf } from '@/lib/auth/session-version';
import { streamingStaleAfterMs } from '@/lib/chat/answer';
import { loadAnswer, loadConversationView } from '@/lib/chat/history';
import { turnMemoryStatus } from '@/lib/chat/memory-status';
import { startTurn, streamReply } from '@/lib/chat/turn';
import { createAnonymousUser, listConversations, listTurns } from '@/lib/db/queries';
import { deleteAccount, exportUserData } from '@/lib/db/user-data';
import { factHistory } from '@/lib/memory/manage-facts';
import type { MemoryServices } from '@/lib/memory/services';
import { chatDepsOf, chatTurn, memoryServices } from '../helpers/chat';
import {
  describeOffenders,
  recordingStore,
  singleShardOffenders,
  userKeyColumns,
  type RecordedUnit,
} from '../helpers/single-shard';
import { openTestStore, testEngine, type TestDatabase } from './engines';

const STALE_MS = streamingStaleAfterMs(60_000);

describe('the single-shard check itself', () => {
  const me = '11111111-1111-4111-8111-111111111111';
  const other = '22222222-2222-4222-8222-222222222222';
  const problemsOf = (sql: string, params: unknown[]) =>
    singleShardOffenders([{ userId: me, kind: 'asUser', step: 'synthetic', statements: [{ sql, params }], asynchronousCommit: false }]).offenders.flatMap((o) => o.problems);

  it('passes a statement pinned to the unit user, in Drizzle and in raw SQL', () => {
    expect(problemsOf('select "id" from "user_facts" where ("user_facts"."id" = $1 and "user_facts"."user_id" = $2)', ['f', me])).toEqual([]);
    expect(problemsOf('SELECT id FROM conversations WHERE id = $1 AND user_id = $2', ['c', me])).toEqual([]);
    expect(problemsOf('update "users" set "memory_enabled" = $1 where "users"."id" = $2', [false, me])).toEqual([]);
    expect(problemsOf('insert into "user_facts" ("id", "user_id", "fact_text") values (default, $1, $2), (default, $3, $4)', [me, 'a', me, 'b'])).toEqual([]);
  });

  it('fails a read without its user, or with another user, or filtered only in a comment', () => {
    expect(problemsOf('select "id" from "user_facts" where "user_facts"."id" = $1', ['f'])).toHaveLength(1);
    expect(problemsOf('select "id" from "user_facts" where "user_facts"."user_id" = $1', [other])).toHaveLength(1);
    expect(problemsOf('SELECT id FROM user_facts f WHERE f.id = $1 -- AND f.user_id = $2', ['f', me])).toHaveLength(1);
    expect(problemsOf('delete from "users" where "users"."email" = $1', ['a@example.com'])).toHaveLength(1);
  });

  it('needs a pin per reference: a second read of a table under the same alias needs its own', () => {
    const twice = (secondPin: string) =>
      `WITH lex AS (SELECT f.id FROM user_facts f WHERE f.user_id = $1) SELECT f.id FROM lex JOIN user_facts f ON f.id = lex.id ${secondPin}`;
    expect(problemsOf(twice('AND f.user_id = $2'), [me, me])).toEqual([]);
    expect(problemsOf(twice(''), [me])).toHaveLength(1);
    // A subquery's table is a reference of its own, whatever the outer query filters.
    expect(
      problemsOf('select "id" from "conversations" where "conversations"."user_id" = $1 and exists (SELECT 1 FROM conversation_turns t WHERE t.conversation_id = "conversations"."id")', [me]),
    ).toHaveLength(1);
  });

  it('fails an insert that does not carry the unit user', () => {
    expect(problemsOf('insert into "conversations" ("id", "title") values (default, $1)', ['t'])).toHaveLength(1);
    expect(problemsOf('insert into "conversations" ("id", "user_id") values (default, $1)', [other])).toHaveLength(1);
    // INSERT … SELECT: the user bound in its select list, or the user_id of rows read pinned to the user.
    expect(problemsOf('INSERT INTO fact_embeddings (fact_id, user_id) SELECT id, $1 FROM user_facts WHERE user_id = $2', [other, me])).toHaveLength(1);
    expect(problemsOf('INSERT INTO fact_embeddings (fact_id, user_id) SELECT id, user_id FROM user_facts WHERE fact_type = $1', ['goal'])).toHaveLength(1);
    expect(problemsOf('INSERT INTO fact_embeddings (fact_id, user_id) SELECT id, user_id FROM user_facts WHERE user_id = $1', [me])).toEqual([]);
    // Every INSERT of a statement counts, not only the first.
    const both = (second: string) =>
      `WITH q AS (INSERT INTO conversation_turns (user_id, content) VALUES ($1, $2) RETURNING id) INSERT INTO episode_embeddings (turn_id, user_id) SELECT id, ${second} FROM q`;
    expect(problemsOf(both('$1'), [me, 'hi'])).toEqual([]);
    expect(problemsOf(both('$3'), [me, 'hi', other])).toHaveLength(1);
  });
});

describe(`single-shard queries (${testEngine})`, () => {
  let handle: TestDatabase | undefined;
  let units: RecordedUnit[] = [];

  beforeAll(async () => {
    handle = await openTestStore(testEngine);
    const recording = recordingStore(handle.app, testEngine);
    units = recording.units;
    const step = recording.setStep;
    const store = recording.store;
    const base = memoryServices(store);
    // Folding after a few turns, so a short conversation folds too.
    const services: MemoryServices = { ...base, settings: { ...base.settings, shortTerm: { recentTurns: 2, summarizeAfter: 4 } } };
    const deps = chatDepsOf(services);
    const memory = deps.memory;

    // A new guest is created as the system (it has no id to act as yet), as lib/auth does.
    const guest = (await store.asSystem((tx) => createAnonymousUser(tx))).id;
    const user = { id: guest, memoryEnabled: true, referenceChats: true };

    step('chat: first conversation');
    const first = await chatTurn(deps, user, { message: 'My name is Ada and I live in Lyon. I work at Acme as an engineer.' });
    const conversationId = first.turn.conversation.id;
    for (const message of [
      "I'm allergic to peanuts.",
      'I prefer metric units and I love hiking in the Alps.',
      'I live in Berlin now.',
      'My favourite food is ramen.',
    ]) {
      await chatTurn(deps, user, { conversationId, message });
    }

    step('chat: a second conversation that searches the first (past chats, episodes)');
    const second = await chatTurn(deps, user, { message: 'Can you suggest a snack for my hike?' });
    await chatTurn(deps, user, { conversationId: second.turn.conversation.id, message: 'What did I say about ramen?' });

    step('chat: memory tools');
    await chatTurn(deps, user, { conversationId, message: 'What do you remember about me?' });
    await chatTurn(deps, user, { conversationId, message: 'Remember that I prefer green tea.' });
    await chatTurn(deps, user, { conversationId, message: 'Forget that I prefer green tea.' });
    const listed = await store.readAsUser(guest, (tx) => exportUserData(tx, guest));
    const someFact = listed!.facts.find((f) => !f.supersededAt)!;
    await memory.tools.run({ userId: guest, conversationId }, 'delete_memory', { ids: [someFact.id] });

    step('chat: an interrupted answer, then Retry');
    const stopped = await startTurn(deps, user, { conversationId, message: 'Tell me a long story.' });
    if (!stopped.ok) throw new Error(stopped.error);
    const abort = new AbortController();
    abort.abort();
    for await (const event of streamReply(deps, stopped.turn, abort.signal)) void event;
    const retried = await startTurn(deps, user, { conversationId, retry: true });
    if (!retried.ok) throw new Error(retried.error);
    for await (const event of streamReply(deps, retried.turn, new AbortController().signal)) void event;

    step('chat: prepare reads the memory switches itself');
    await memory.prepare({ userId: guest, conversationId, message: 'Where do I live?' });

    step('chat page and sidebar');
    const view = await store.readAsUser(guest, (tx) => loadConversationView(tx, guest, conversationId, STALE_MS));
    await store.readAsUser(guest, (tx) => listConversations(tx, guest));
    await store.readAsUser(guest, (tx) => listTurns(tx, guest, conversationId));
    const answer = view!.turns.find((t) => t.role === 'assistant')!;
    const question = view!.turns.find((t) => t.role === 'user')!;
    await store.readAsUser(guest, (tx) => loadAnswer(tx, guest, answer.id, STALE_MS));
    await store.readAsUser(guest, (tx) => turnMemoryStatus(tx, guest, question.id));

    step('memory page: list, search, edit, history, delete, undo');
    await memory.search(guest, { query: '', sort: 'newest' });
    await memory.search(guest, { query: '', sort: 'most_used' });
    await memory.search(guest, { query: 'where I live', sort: 'relevance' });
    await memory.search(guest, { query: 'food', sort: 'confidence' });
    const { facts } = await memory.search(guest, { query: '', sort: 'newest' });
    const edited = await memory.edit(guest, facts[0]!.id, 'Loves spicy ramen');
    await store.readAsUser(guest, (tx) => factHistory(tx, guest, edited!.id));
    const [deleted] = await memory.forget.facts(guest, [edited!.id]);
    await memory.forget.undo(guest, deleted!);

    step('memory page: forget a message');
    await memory.forget.message(guest, question.id);

    step('memory page: memory off, a turn while off, memory on');
    await memory.setSwitches(guest, { memoryEnabled: false, referenceChats: false });
    await chatTurn(deps, { ...user, memoryEnabled: false, referenceChats: false }, { conversationId, message: 'I have a cat named Miso.' });
    await memory.setSwitches(guest, { memoryEnabled: true, referenceChats: true });

    step('sessions: the row every request reads, sign-out');
    const version = (await store.readAsUser(guest, (tx) => sessionVersionOf(tx, guest)))!;
    const claims = { userId: guest, isAnonymous: true, sessionVersion: version };
    await store.readAsUser(guest, (tx) => currentSessionUser(tx, claims));
    await store.readAsUser(guest, (tx) => isStaleSession(tx, claims));

    step('export');
    await store.readAsUser(guest, (tx) => exportUserData(tx, guest));

    step('sign-up: the guest becomes an account (the merge itself is a system unit)');
    const signedUp = await signUpFromSession(store, memory.merge, { userId: guest, isAnonymous: true }, 'ada@example.com', 'a long enough password');
    if (signedUp.status !== 'created') throw new Error(`sign-up: ${signedUp.status}`);
    const account = signedUp.user.id;
    await standingOf(store, { userId: guest, isAnonymous: true });
    await standingOf(store, { userId: account, isAnonymous: false });

    step('the account chats, then signs out everywhere, forgets everything, and is deleted');
    await chatTurn(deps, { id: account, memoryEnabled: true, referenceChats: true }, { message: 'I moved to Vienna.' });
    await store.asUser(account, (tx) => endSessions(tx, account, 0));
    await store.asUser(account, (tx) => endSessions(tx, account));
    await memory.forget.all(account);
    await store.asUser(account, (tx) => deleteAccount(tx, account));
  });

  afterAll(async () => {
    await handle?.close();
  });

  it('classifies every table of the schema as user data or not', () => {
    expect(userKeyColumns().unclassified).toEqual([]);
  });

  it('pins every statement of a user unit to its user (an equality on user_id, or id on users)', () => {
    const { offenders, checked, tablesSeen } = singleShardOffenders(units);
    expect(offenders, `statements not routable to one shard:\n${describeOffenders(offenders)}`).toEqual([]);
    // The drive reached every user-data table, with many statements: an empty recording passes nothing.
    expect([...tablesSeen].sort()).toEqual([...userKeyColumns().keys.keys()].sort());
    expect(checked).toBeGreaterThan(200);
    console.info(`[single-shard] ${checked} statements in ${units.length} user units checked`);
  });
});
