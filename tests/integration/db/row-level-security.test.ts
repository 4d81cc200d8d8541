/**
 * Row-level security, on a PostgreSQL server, as the app would connect in production: a role
 * that is not a superuser. A query that forgets its user filter still sees only the user of the
 * running context; code with no context sees nothing; a whole chat turn works under it.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterTurn } from '@/lib/chat/after-turn';
import { startTurn, streamReply } from '@/lib/chat/turn';
import { openPostgres, type DatabaseHandle } from '@/lib/db/client';
import { selectRows } from '@/lib/db/rows';
import { createAnonymousUser } from '@/lib/db/queries';
import { conversations, userFacts } from '@/lib/db/schema';
import { runAsSystem, runAsUser } from '@/lib/db/user-context';
import { mergeGuestIntoAccount } from '@/lib/memory/merge';
import { chatDeps } from '../../helpers/chat';
import { openTestDatabase, testEngine } from '../engines';

describe.runIf(testEngine === 'postgres')('row-level security on a PostgreSQL server', () => {
  let admin: DatabaseHandle;
  let app: DatabaseHandle;
  const role = `engram_app_${randomBytes(4).toString('hex')}`;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    admin = await openTestDatabase('postgres');
    const [{ database }] = (await selectRows<{ database: string }>(admin.db, sql`SELECT current_database() AS database`)) as [
      { database: string },
    ];
    for (const statement of [
      `CREATE ROLE ${role} LOGIN PASSWORD 'app' NOSUPERUSER`,
      `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`,
      `GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
    ]) {
      await admin.db.execute(statement);
    }
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.username = role;
    url.password = 'app';
    url.pathname = `/${database}`;
    app = await openPostgres(url.toString(), 2);
    alice = (await createAnonymousUser(app.db)).id;
    bob = (await createAnonymousUser(app.db)).id;
  });

  afterAll(async () => {
    await app?.close();
    await admin?.close();
    const cleanup = await openPostgres(process.env.TEST_DATABASE_URL!, 1);
    await cleanup.db.execute(`DROP ROLE IF EXISTS ${role}`);
    await cleanup.close();
  });

  const deps = () => chatDeps(app.db);

  async function chat(userId: string, message: string) {
    return runAsUser(userId, async () => {
      const started = await startTurn(deps(), { id: userId, memoryEnabled: true }, { message });
      if (!started.ok) throw new Error(started.error);
      let reply = '';
      for await (const event of streamReply(deps(), started.turn, new AbortController().signal)) {
        if (event.type === 'text') reply += event.text;
      }
      await afterTurn(deps().services, started.turn, reply);
      return started.turn.conversation.id;
    });
  }

  it('runs a whole chat turn, memory included, as the user', async () => {
    await chat(alice, 'I live in Lyon.');
    await chat(bob, 'I live in Porto.');
    const facts = await runAsUser(alice, () => app.db.select().from(userFacts));
    expect(facts.map((f) => f.factText)).toEqual(['Lives in Lyon']);
  });

  it('shows a query with no user filter only the context user’s rows', async () => {
    const everyone = async () => (await app.db.select().from(conversations)).map((c) => c.userId);
    expect(await runAsUser(alice, everyone)).toEqual([alice]);
    expect(await runAsUser(bob, everyone)).toEqual([bob]);
    expect((await runAsSystem(everyone)).sort()).toEqual([alice, bob].sort());
    // No context: nothing at all.
    expect(await everyone()).toEqual([]);
  });

  it("refuses to write a row into another user's data", async () => {
    await expect(runAsUser(alice, () => app.db.insert(conversations).values({ userId: bob, title: 'planted' }))).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/row-level security/) },
    });
  });

  it('lets a merge move a guest into an account as the system', async () => {
    const guest = (await createAnonymousUser(app.db)).id;
    await chat(guest, "I'm allergic to peanuts.");
    const result = await runAsSystem(() => mergeGuestIntoAccount(app.db, guest, alice));
    expect(result).toMatchObject({ status: 'merged', rowsMoved: { conversations: 1, user_facts: 1 } });
    const facts = await runAsUser(alice, () => app.db.select().from(userFacts));
    expect(facts.map((f) => f.factText).sort()).toEqual(['Is allergic to peanuts', 'Lives in Lyon']);
  });
});
