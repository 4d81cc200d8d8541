ALTER TABLE "episode_embeddings" ALTER COLUMN "embedding" SET DATA TYPE halfvec;--> statement-breakpoint
ALTER TABLE "fact_embeddings" ALTER COLUMN "embedding" SET DATA TYPE halfvec;--> statement-breakpoint
-- A type change resets the storage to the type's default: keep vectors inline, as 0002 and 0010 did.
ALTER TABLE "fact_embeddings" ALTER COLUMN "embedding" SET STORAGE PLAIN;--> statement-breakpoint
ALTER TABLE "episode_embeddings" ALTER COLUMN "embedding" SET STORAGE PLAIN;--> statement-breakpoint
-- Vectors were zero-padded to 1536. Those of the offline embedders (whose widths are known) and
-- of models asked for a width ("name@512") lose their padding, which leaves cosines unchanged;
-- any other padded vector no longer matches its model's width, is skipped by searches, and is
-- re-embedded by `npm run memory:reembed`.
DO $$
DECLARE
  tbl text;
BEGIN
  -- FORCEd row-level security binds a table owner that is not a superuser (managed PostgreSQL).
  PERFORM set_config('app.user_id', 'system', true);
  FOREACH tbl IN ARRAY ARRAY['fact_embeddings', 'episode_embeddings'] LOOP
    EXECUTE format($sql$
      UPDATE %1$I e SET embedding = subvector(e.embedding, 1, w.width)
      FROM (
        SELECT m.model, COALESCE(k.width, substring(m.model FROM '@([0-9]+)$')::integer) AS width
        FROM (SELECT DISTINCT model FROM %1$I) m
        LEFT JOIN (VALUES ('offline-hashed-v1', 512), ('offline-glove-sif-v1', 100), ('offline-glove-hashed-v1', 612)) k (model, width)
          ON k.model = m.model
      ) w
      WHERE w.model = e.model AND w.width < vector_dims(e.embedding)
    $sql$, tbl);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Covering indexes for vectors that fit a B-tree entry (2,704 bytes: a halfvec of ~1,340
-- dimensions; the offline embedders and most local ones): a search reads a user's vectors from
-- the index's contiguous pages (an index-only scan) instead of one scattered heap page per row.
-- Searches name the width (lib/memory/stored-vector.ts), which proves this predicate; wider
-- vectors are read through the plain indexes. Not in schema.ts: Drizzle cannot express INCLUDE.
CREATE INDEX "fact_embeddings_user_model_cover_idx" ON "fact_embeddings" ("user_id", "model")
  INCLUDE ("fact_id", "embedding") WHERE vector_dims("embedding") <= 1280;--> statement-breakpoint
CREATE INDEX "episode_embeddings_user_model_turn_cover_idx" ON "episode_embeddings" ("user_id", "model", "turn_id" DESC)
  INCLUDE ("conversation_id", "embedding") WHERE vector_dims("embedding") <= 1280;
