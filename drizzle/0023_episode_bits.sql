-- Past chats are searched by meaning on each episode's sign bits (binary_quantize: 128 bytes at
-- 1,024 dimensions), read from a covering index small enough to stay in memory, and the nearest
-- few hundred are re-ranked on their full vectors (lib/memory/episodes.ts). The covering index of
-- migration 0012 held every full vector (2 KB each: 7.9 GB for bench:memory's 2 million episodes)
-- and is dropped with the plain index the new one replaces. Dropped first, so the table's rewrite
-- for the new column does not rebuild them.
DROP INDEX "episode_embeddings_user_model_turn_idx";--> statement-breakpoint
DROP INDEX "episode_embeddings_user_model_turn_cover_idx";--> statement-breakpoint
ALTER TABLE "episode_embeddings" ADD COLUMN "embedding_bits" "varbit" GENERATED ALWAYS AS (binary_quantize(embedding)) STORED NOT NULL;--> statement-breakpoint
-- INCLUDE is not in schema.ts: Drizzle cannot express it.
CREATE INDEX "episode_embeddings_user_model_turn_bits_idx" ON "episode_embeddings" USING btree ("user_id","model","turn_id" DESC NULLS FIRST)
  INCLUDE ("conversation_id", "embedding_bits");
