/** Whether a user turn's facts were extracted yet, and which facts it taught Engram. */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import type { FactRef } from '../memory/fact-ref';

export interface TurnMemoryStatus {
  state: 'pending' | 'extracted' | 'failed';
  learned: FactRef[];
  /** The older facts those replaced. */
  replaced: FactRef[];
}

/** The facts of `alias` as one JSON array of FactRef, oldest first (null when none). */
const factRefs = (alias: string) =>
  sql.raw(`json_agg(json_build_object('id', ${alias}.id, 'factType', ${alias}.fact_type, 'factText', ${alias}.fact_text) ORDER BY ${alias}.created_at, ${alias}.id)`);

export async function turnMemoryStatus(db: Database, userId: string, turnId: number): Promise<TurnMemoryStatus | undefined> {
  // One statement, polled after every turn: the turn's state, what it taught and what that replaced.
  const [turn] = await selectRows<{ extracted_at: unknown; extraction_error: string | null; learned: FactRef[] | null; replaced: FactRef[] | null }>(
    db,
    sql`SELECT t.extracted_at, t.extraction_error,
          (SELECT ${factRefs('f')} FROM user_facts f WHERE f.user_id = ${userId} AND f.source_turn_id = t.id) AS learned,
          (SELECT ${factRefs('r')} FROM user_facts r
           WHERE r.user_id = ${userId}
             AND r.superseded_by IN (SELECT f.id FROM user_facts f WHERE f.user_id = ${userId} AND f.source_turn_id = t.id)) AS replaced
        FROM conversation_turns t
        WHERE t.id = ${turnId} AND t.user_id = ${userId} AND t.role = 'user'`,
  );
  if (!turn) return undefined;
  if (!turn.extracted_at) return { state: turn.extraction_error ? 'failed' : 'pending', learned: [], replaced: [] };
  return { state: 'extracted', learned: turn.learned ?? [], replaced: turn.replaced ?? [] };
}
