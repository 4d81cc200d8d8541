/**
 * How a fact stands against the user's current facts, by one set of rules for the writer and
 * the guest merge alike: the current values of its single-valued attribute that it replaces
 * (attributes.ts), and the current fact it duplicates, if any: the nearest vector of the same
 * model above the cosine threshold whatever its type, or the closest wording of the same type
 * above the trigram threshold. What it replaces is never its duplicate ("Lives in Berlin" is
 * close to "Lives in Paris" in embedding space, but it is an update, not the same fact).
 */
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows } from '../db/rows';
import { userFacts, type FactType } from '../db/schema';
import { attributeOf, sameValue, type Attribute } from './attributes';
import type { ModelVector } from './fact-store';
import { sameEmbedding, vectorParam } from './stored-vector';

export interface DuplicateThresholds {
  /** pg_trgm similarity above which a fact of the same type is the same fact. */
  duplicateTrigram: number;
  /** Embedding cosine similarity above which a fact is the same fact, whatever its type. */
  duplicateCosine: number;
}

/** A fact to place among the user's current facts (stored or not yet). */
export interface FactProbe {
  userId: string;
  factType: FactType;
  factText: string;
  /** Its vector; without one, only its wording is compared. */
  embedding: ModelVector | null;
  /** The current facts it updates or contradicts, as the extractor said. */
  supersedes: string[];
  /** Current facts never taken for its duplicate (in a merge, the others moved with it). */
  exclude?: string[];
}

export interface Standing {
  /** The current fact it duplicates, if any. */
  duplicate: string | undefined;
  /** The current facts it replaces: those it was said to supersede, and its attribute's other values. */
  replaces: string[];
}

export async function standingOf(tx: Database, fact: FactProbe, thresholds: DuplicateThresholds): Promise<Standing> {
  const replaces = [...new Set([...fact.supersedes, ...(await otherValuesOf(tx, fact.userId, fact.factText))])];
  const duplicate = await findDuplicate(tx, fact, [...replaces, ...(fact.exclude ?? [])], thresholds);
  return { duplicate, replaces };
}

/** The user's current facts stating a value of `attribute` (of any, without one). */
export function currentAttributeFacts(tx: Database, userId: string, attribute?: Attribute) {
  return tx
    .select({
      id: userFacts.id,
      factType: userFacts.factType,
      factText: userFacts.factText,
      attribute: userFacts.attribute,
      createdAt: userFacts.createdAt,
    })
    .from(userFacts)
    .where(
      and(
        eq(userFacts.userId, userId),
        isNull(userFacts.supersededAt),
        attribute ? eq(userFacts.attribute, attribute) : isNotNull(userFacts.attribute),
      ),
    );
}

/** The user's current facts stating another value of the single-valued attribute `factText` states. */
export async function otherValuesOf(tx: Database, userId: string, factText: string): Promise<string[]> {
  const attribute = attributeOf(factText);
  if (!attribute) return [];
  const facts = await currentAttributeFacts(tx, userId, attribute);
  return facts.filter((f) => !sameValue(f.factText, factText)).map((f) => f.id);
}

async function findDuplicate(
  tx: Database,
  fact: FactProbe,
  excluded: string[],
  thresholds: DuplicateThresholds,
): Promise<string | undefined> {
  const notExcluded = (column: string) =>
    excluded.length ? sql`AND ${sql.raw(column)} <> ALL(${sql.param(excluded)}::uuid[])` : sql``;
  const { embedding } = fact;
  const query = embedding && vectorParam(embedding.vector, embedding.model);
  // The nearest vector (only current facts have one), and the closest wording of the same type.
  const nearest = embedding
    ? sql`SELECT id, score FROM (
            SELECT e.fact_id AS id, 1 - (e.embedding <=> ${query}::halfvec) AS score
            FROM fact_embeddings e
            WHERE e.user_id = ${fact.userId} AND ${sameEmbedding('e', embedding.model, embedding.vector)} ${notExcluded('e.fact_id')}
            ORDER BY e.embedding <=> ${query}::halfvec
            LIMIT 1
          ) nearest
          WHERE score > ${thresholds.duplicateCosine}
          UNION ALL`
    : sql``;
  const [row] = await selectRows<{ id: string }>(
    tx,
    sql`${nearest}
        SELECT f.id, similarity(f.fact_text, ${fact.factText}) AS score
        FROM user_facts f
        WHERE f.user_id = ${fact.userId} AND f.superseded_at IS NULL AND f.fact_type = ${fact.factType} ${notExcluded('f.id')}
          AND similarity(f.fact_text, ${fact.factText}) > ${thresholds.duplicateTrigram}
        ORDER BY score DESC
        LIMIT 1`,
  );
  return row?.id;
}
