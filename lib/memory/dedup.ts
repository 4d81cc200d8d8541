/**
 * How a fact stands against the user's current facts, by one set of rules for the writer and
 * the guest merge alike: the current values of its single-valued attribute that it replaces
 * (attributes.ts), and the current fact it duplicates, if any: the nearest vector of the same
 * model above the cosine threshold whatever its type, or the closest wording of the same type
 * above the trigram threshold. What it replaces is never its duplicate ("Lives in Berlin" is
 * close to "Lives in Paris" in embedding space, but it is an update, not the same fact).
 */
import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { selectRows, type StatementRider } from '../db/rows';
import { userFacts, type FactType } from '../db/schema';
import { attributeOf, sameValue, type Attribute } from './attributes';
import type { ModelVector } from './fact-store';
import { currentFactsByLength } from './retrieve';
import { sameEmbedding, vectorArray } from './stored-vector';

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

/** What a batch of facts has changed so far, which the standing of its next fact depends on. */
export interface BatchChanges {
  /** Facts the batch replaced: no longer current. */
  superseded: ReadonlySet<string>;
  /** Facts the batch stored, by the index of the probe each was stored from. */
  added: ReadonlyMap<number, string>;
}

/** A row of readStandings' statement: a current fact near probe i, probes i and j's score, or an attribute's value. */
type StandingRow = {
  kind: 'match' | 'pair' | 'attribute' | 'rider';
  i: number | null;
  j: number | null;
  id: string | null;
  score: number | null;
  attribute: string | null;
  fact_text: string | null;
};

const NO_CHANGES: BatchChanges = { superseded: new Set(), added: new Map() };

export interface Standings {
  /** How probe `index` stands, once the probes before it have made `changes`. */
  of(index: number, changes?: BatchChanges): Standing;
  /** Whether the write that rode in the statement took place (true without one). */
  riderTook: boolean;
}

export async function standingOf(tx: Database, fact: FactProbe, thresholds: DuplicateThresholds): Promise<Standing> {
  return (await readStandings(tx, [fact], thresholds)).of(0);
}

/**
 * How each of a batch of facts (one user's) stands, from one statement: every current fact above
 * either duplicate line for each probe, the probes' scores against each other (a probe the batch
 * stores is a current fact to the probes after it), and the current values of the probes'
 * attributes. `of` then applies the rules in order, as if each probe were checked after the
 * ones before it had been written, which is how the writer uses it. A `rider` (the writer's mark
 * of the source turn) goes out in the same statement.
 */
export async function readStandings(tx: Database, probes: FactProbe[], thresholds: DuplicateThresholds, rider?: StatementRider): Promise<Standings> {
  const userId = probes[0]?.userId;
  if (userId === undefined) {
    if (rider) throw new RangeError('readStandings carries a rider only with facts to read');
    return { of: (index) => { throw new RangeError(`no fact ${index} in an empty batch`); }, riderTook: true };
  }
  if (probes.some((p) => p.userId !== userId)) throw new Error('readStandings takes the facts of one user');
  const embedded = probes.find((p) => p.embedding)?.embedding;
  // Each vector checked first (toStoredVector's error says what to do), then that they are alike.
  // With no vector at all, the model is never named.
  const vectors = vectorArray(probes.map((p) => p.embedding?.vector ?? null), embedded?.model ?? '');
  if (probes.some((p) => p.embedding && (p.embedding.model !== embedded!.model || p.embedding.vector.length !== embedded!.vector.length))) {
    throw new Error('readStandings takes vectors of one model and width');
  }
  const attributes = [...new Set(probes.map((p) => attributeOf(p.factText)).filter((a) => a !== null))];
  const { duplicateCosine: cosine, duplicateTrigram: trigram } = thresholds;
  const cosineOf = (a: string, b: string) => sql.raw(`1 - (${a}.vector <=> ${b})`);
  // Only current facts have a vector (supersede deletes it): any type. Wording: the same type.
  const nearVectors = embedded
    ? sql`UNION ALL
        SELECT 'match', p.i, NULL, e.fact_id, ${cosineOf('p', 'e.embedding')}, NULL, NULL
        FROM probe p CROSS JOIN LATERAL (
          SELECT e.fact_id, e.embedding FROM fact_embeddings e
          WHERE e.user_id = ${userId} AND ${sameEmbedding('e', embedded.model, embedded.vector)}
        ) e
        WHERE p.vector IS NOT NULL AND ${cosineOf('p', 'e.embedding')} > ${cosine}`
    : sql``;
  // The user's current facts, read once for all probes: short facts' types and texts from a
  // covering index (currentFactsByLength), not one scattered heap page each.
  const currentWordings = currentFactsByLength(userId, sql`f.id, f.fact_type, f.fact_text`);
  const attributeValues = attributes.length
    ? sql`UNION ALL
        SELECT 'attribute', NULL, NULL, f.id, NULL, f.attribute, f.fact_text FROM user_facts f
        WHERE f.user_id = ${userId} AND f.superseded_at IS NULL AND f.attribute = ANY(${sql.param(attributes)}::text[])`
    : sql``;
  const rows = await selectRows<StandingRow>(
    tx,
    sql`WITH ${rider ? sql`${rider.ctes},` : sql``} probe AS MATERIALIZED (
          SELECT (p.i - 1)::int AS i, p.fact_type, p.fact_text, p.vector, keys.keys
          FROM unnest(${sql.param(probes.map((p) => p.factType))}::text[], ${sql.param(probes.map((p) => p.factText))}::text[], ${vectors})
            WITH ORDINALITY AS p(fact_type, fact_text, vector, i)
          CROSS JOIN LATERAL (${trigramKeys(sql`p.fact_text`, trigram)}) keys
        )
        SELECT 'match' AS kind, p.i, NULL::int AS j, f.id, similarity(f.fact_text, p.fact_text)::float8 AS score, NULL::text AS attribute, NULL::text AS fact_text
        FROM probe p JOIN (${currentWordings}) f ON f.fact_type::text = p.fact_type
          -- CASE: the keys first (PostgreSQL orders ANDed conditions by its own cost estimates).
        WHERE CASE WHEN p.keys IS NULL OR lower(f.fact_text) LIKE ANY (p.keys) THEN similarity(f.fact_text, p.fact_text) > ${trigram} ELSE false END
        ${nearVectors}
        UNION ALL
        SELECT 'pair', a.i, b.i, NULL, GREATEST(
                 CASE WHEN ${cosineOf('a', 'b.vector')} > ${cosine} THEN ${cosineOf('a', 'b.vector')} END,
                 CASE WHEN a.fact_type = b.fact_type AND similarity(a.fact_text, b.fact_text) > ${trigram} THEN similarity(a.fact_text, b.fact_text) END), NULL, NULL
        FROM probe a JOIN probe b ON b.i < a.i
        ${attributeValues}
        ${rider ? sql`UNION ALL SELECT 'rider', NULL, NULL, NULL, NULL, NULL, NULL WHERE ${rider.took}` : sql``}`,
  );
  const matches = rows.filter((r) => r.kind === 'match');
  const pairs = rows.filter((r) => r.kind === 'pair' && r.score !== null);
  const values = rows.filter((r) => r.kind === 'attribute');

  return {
    riderTook: !rider || rows.some((r) => r.kind === 'rider'),
    of(index, { superseded, added } = NO_CHANGES) {
      const probe = probes[index]!;
      const current = (id: string) => !superseded.has(id);
      const addedBefore = [...added].filter(([j]) => j < index);
      // The current values of its attribute, stored or stored by this batch, other than its own.
      const attribute = attributeOf(probe.factText);
      const otherValues = attribute
        ? otherValueIds(
            [
              ...values.filter((v) => v.attribute === attribute).map((v) => ({ id: v.id!, factText: v.fact_text! })),
              ...addedBefore.filter(([j]) => attributeOf(probes[j]!.factText) === attribute).map(([j, id]) => ({ id, factText: probes[j]!.factText })),
            ].filter((v) => current(v.id)),
            probe.factText,
          )
        : [];
      const replaces = [...new Set([...probe.supersedes, ...otherValues])];
      const excluded = new Set([...replaces, ...(probe.exclude ?? [])]);
      const scored = [
        ...matches.filter((m) => m.i === index).map((m) => ({ id: m.id!, score: Number(m.score) })),
        ...addedBefore.flatMap(([j, id]) => pairs.filter((p) => p.i === index && p.j === j).map((p) => ({ id, score: Number(p.score) }))),
      ].filter((c) => current(c.id) && !excluded.has(c.id));
      const duplicate = scored.reduce<{ id: string; score: number } | undefined>((best, c) => (!best || c.score > best.score ? c : best), undefined);
      return { duplicate: duplicate?.id, replaces };
    },
  };
}

/**
 * A cheap test that every fact worded like `text` passes, as LIKE patterns: some fact must contain
 * one of them before its similarity() (~13 µs a fact, most of the writer's read) is computed.
 * Exact, not a heuristic: similarity above t means sharing more than t of the union of both
 * trigram sets, so a match lacks fewer than (1 - t) * n of the text's n trigrams, and any
 * floor((1 - t) * n) + 1 of them include one it has. A trigram inside a word (three letters or
 * digits, no padding) that a fact has is a substring of its lowercase text. The ones with the
 * rarest letters go first, to pass the fewest facts. NULL (no test) when too few qualify.
 */
export function trigramKeys(text: SQL, threshold: number): SQL {
  const needed = sql`floor((1 - ${threshold}::float8) * cardinality(show_trgm(${text})))::int + 1`;
  return sql`SELECT CASE WHEN count(*) = ${needed} THEN array_agg('%' || k.trigram || '%') END AS keys
    FROM (
      SELECT t.trigram FROM unnest(show_trgm(${text})) AS t (trigram)
      WHERE t.trigram ~ '^[a-z0-9]{3}$'
      ORDER BY length(translate(t.trigram, 'etaoinshrdlu', '')) DESC, t.trigram
      LIMIT ${needed}
    ) k`;
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

/** A row of currentAttributeFacts. */
type AttributeFact = Awaited<ReturnType<typeof currentAttributeFacts>>[number];

/**
 * currentAttributeFacts as one JSON value, for a statement that returns them beside its own
 * result (a round trip saved); `attributeFactsOf` reads it back.
 */
export function currentAttributeFactsJson(tx: Database, userId: string): SQL<AttributeFactJson[]> {
  return sql<AttributeFactJson[]>`(SELECT coalesce(json_agg(a), '[]'::json) FROM (${currentAttributeFacts(tx, userId)}) a)`;
}

/** A row of currentAttributeFacts as json_agg writes it: the columns' names, a date as text. */
type AttributeFactJson = { id: string; fact_type: FactType; fact_text: string; attribute: Attribute; created_at: string };

export const attributeFactsOf = (rows: AttributeFactJson[]): AttributeFact[] =>
  rows.map((r) => ({ id: r.id, factType: r.fact_type, factText: r.fact_text, attribute: r.attribute, createdAt: new Date(r.created_at) }));

/** The user's current facts stating another value of the single-valued attribute `factText` states. */
export async function otherValuesOf(tx: Database, userId: string, factText: string): Promise<string[]> {
  const attribute = attributeOf(factText);
  if (!attribute) return [];
  return otherValueIds(await currentAttributeFacts(tx, userId, attribute), factText);
}

/** Of an attribute's current values, those that state another value than `factText`. */
const otherValueIds = (values: { id: string; factText: string }[], factText: string): string[] =>
  values.filter((v) => !sameValue(v.factText, factText)).map((v) => v.id);
