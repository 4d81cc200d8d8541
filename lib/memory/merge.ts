/**
 * Moving a guest's data into an account, on sign-up or sign-in: conversations, turns, facts and
 * embeddings change owner in one system unit of work (it touches two users' rows); then each
 * moved fact that duplicates one of the account's, by the writer's own rules (dedup.ts), is
 * resolved: the higher confidence (then the newer fact) wins and the other is kept as history. The merge is recorded in account_merges and the guest's row removed, so running it
 * twice, or twice at once, moves nothing more.
 *
 * Deleting the guest cascades over every row still under its id, so it happens only once a count
 * shows nothing is left there; otherwise the whole unit rolls back and the guest stays as it was.
 */
import { and, asc, eq, inArray, is, isNull, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import * as schema from '../db/schema';
import { accountMerges, factEmbeddings, userFacts, users } from '../db/schema';
import { SYSTEM_CONTEXT, type Store } from '../db/store';
import { currentAttributeFacts, standingOf, type DuplicateThresholds } from './dedup';
import { refreshFact, supersede } from './fact-store';

/** How moved facts are compared with the account's: the writer's thresholds, on vectors of the configured model. */
export interface MergeRules extends DuplicateThresholds {
  model: string;
}

export type MergeResult =
  | { status: 'merged'; rowsMoved: Record<string, number>; factsResolved: number }
  | { status: 'already_merged'; accountUserId: string }
  | { status: 'not_a_guest' }
  /** Rows were still under the guest after the move: nothing was changed, the guest is kept. */
  | { status: 'incomplete'; rowsLeft: Record<string, number> };

/**
 * Every table whose rows belong to a user (and would cascade with the user's row): read from the
 * schema, so a table added later moves too instead of being deleted with the guest.
 */
const MOVED_TABLES = Object.values(schema as Record<string, unknown>)
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => getTableConfig(table))
  .filter((table) => table.columns.some((column) => column.name === 'user_id'))
  .map((table) => table.name);

/** Thrown inside the unit to roll it back; answered as the 'incomplete' result. */
class RowsLeftBehind extends Error {
  constructor(readonly rowsLeft: Record<string, number>) {
    super(`rows still under the guest after the move: ${JSON.stringify(rowsLeft)}`);
  }
}

export async function mergeGuestIntoAccount(
  store: Store,
  guestUserId: string,
  accountUserId: string,
  rules: MergeRules,
): Promise<MergeResult> {
  if (guestUserId === accountUserId) return { status: 'not_a_guest' };
  try {
    return await store.asSystem((tx) => moveGuestData(tx, guestUserId, accountUserId, rules));
  } catch (error) {
    if (!(error instanceof RowsLeftBehind)) throw error;
    console.error(`[merge] guest ${guestUserId} kept, nothing moved: ${error.message}`);
    return { status: 'incomplete', rowsLeft: error.rowsLeft };
  }
}

/** The merge inside the caller's system unit of work; throws RowsLeftBehind rather than lose a row. */
export async function moveGuestData(
  tx: Database,
  guestUserId: string,
  accountUserId: string,
  rules: MergeRules,
): Promise<MergeResult> {
  // Row-level security would hide the guest's rows from the move and from the count alike, while
  // the cascade (run by the foreign keys) would still find them: so this must see every row.
  const [unit] = await selectRows<{ who: string | null }>(tx, sql`SELECT current_setting('app.user_id', true) AS who`);
  if (unit?.who !== SYSTEM_CONTEXT) throw new Error('A merge must run as a system unit of work (store.asSystem).');

  // The guest's row is the lock: a second merge waits here, then finds the row gone.
  const [guest] = await selectRows<{ id: string }>(
    tx,
    sql`SELECT id FROM users WHERE id = ${guestUserId} AND is_anonymous FOR UPDATE`,
  );
  if (!guest) {
    const [done] = await tx.select().from(accountMerges).where(eq(accountMerges.anonymousUserId, guestUserId));
    return done ? { status: 'already_merged', accountUserId: done.accountUserId } : { status: 'not_a_guest' };
  }

  const movedFacts = (
    await selectRows<{ id: string }>(
      tx,
      sql`SELECT id FROM user_facts WHERE user_id = ${guestUserId} AND superseded_at IS NULL`,
    )
  ).map((r) => r.id);
  const rowsMoved: Record<string, number> = {};
  for (const table of MOVED_TABLES) {
    const [row] = await selectRows<{ n: number }>(
      tx,
      sql`WITH moved AS (
            UPDATE ${sql.identifier(table)} SET user_id = ${accountUserId} WHERE user_id = ${guestUserId} RETURNING 1
          ) SELECT count(*)::int AS n FROM moved`,
    );
    rowsMoved[table] = row!.n;
  }
  const factsResolved = await resolveMovedFacts(tx, accountUserId, movedFacts, rules);

  const rowsLeft = await rowsUnder(tx, guestUserId);
  if (Object.values(rowsLeft).some((n) => n > 0)) throw new RowsLeftBehind(rowsLeft);
  await tx.insert(accountMerges).values({ anonymousUserId: guestUserId, accountUserId, rowsMoved });
  await tx.delete(users).where(eq(users.id, guestUserId));
  return { status: 'merged', rowsMoved, factsResolved };
}

/** How many rows of each user-data table belong to `userId`. */
async function rowsUnder(tx: Database, userId: string): Promise<Record<string, number>> {
  const counts = MOVED_TABLES.map(
    (table) => sql`(SELECT count(*)::int FROM ${sql.identifier(table)} WHERE user_id = ${userId}) AS ${sql.identifier(table)}`,
  );
  const [row] = await selectRows<Record<string, number>>(tx, sql`SELECT ${sql.join(counts, sql`, `)}`);
  return row!;
}

/**
 * Each moved fact against the account's own current facts: of a fact and its duplicate, one
 * stays (the higher confidence, then the newer). Values of a single-valued attribute are not
 * duplicates of each other: of those, the newest stays ("I live in Berlin" said as a guest last
 * week replaces the account's "Lives in Lyon" of last year).
 */
async function resolveMovedFacts(tx: Database, userId: string, movedIds: string[], rules: MergeRules): Promise<number> {
  if (!movedIds.length) return 0;
  const moved = await tx
    .select({ id: userFacts.id, factType: userFacts.factType, factText: userFacts.factText })
    .from(userFacts)
    .where(and(eq(userFacts.userId, userId), inArray(userFacts.id, movedIds), isNull(userFacts.supersededAt)))
    .orderBy(asc(userFacts.id));
  const vectors = await tx
    .select({ factId: factEmbeddings.factId, embedding: factEmbeddings.embedding })
    .from(factEmbeddings)
    .where(and(eq(factEmbeddings.userId, userId), inArray(factEmbeddings.factId, movedIds), eq(factEmbeddings.model, rules.model)));
  const vectorOf = new Map(vectors.map((v) => [v.factId, v.embedding]));

  let resolved = 0;
  for (const fact of moved) {
    const vector = vectorOf.get(fact.id);
    const { duplicate } = await standingOf(
      tx,
      {
        userId,
        factType: fact.factType,
        factText: fact.factText,
        embedding: vector ? { model: rules.model, vector } : null,
        supersedes: [],
        exclude: movedIds,
      },
      rules,
    );
    if (!duplicate) continue;
    const [pair] = await selectRows<{ moved_wins: boolean; moved_confidence: number; own_confidence: number }>(
      tx,
      sql`SELECT (m.confidence, m.created_at) > (o.confidence, o.created_at) AS moved_wins,
                 m.confidence AS moved_confidence, o.confidence AS own_confidence
          FROM user_facts m, user_facts o
          WHERE m.id = ${fact.id} AND m.user_id = ${userId} AND o.id = ${duplicate} AND o.user_id = ${userId}`,
    );
    const { moved_wins: movedWins, moved_confidence: movedConfidence, own_confidence: ownConfidence } = pair!;
    const [winner, loser] = movedWins ? [fact.id, duplicate] : [duplicate, fact.id];
    await refreshFact(tx, userId, winner, movedWins ? ownConfidence : movedConfidence);
    await supersede(tx, userId, [loser], winner);
    resolved++;
  }

  // One value per attribute: the newest, the others kept as its history.
  const byAttribute = new Map<string, { id: string; createdAt: Date }[]>();
  for (const fact of await currentAttributeFacts(tx, userId)) {
    byAttribute.set(fact.attribute!, [...(byAttribute.get(fact.attribute!) ?? []), fact]);
  }
  for (const facts of byAttribute.values()) {
    if (facts.length < 2) continue;
    const [newest, ...older] = facts.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id));
    resolved += (await supersede(tx, userId, older.map((f) => f.id), newest!.id)).length;
  }
  return resolved;
}
