-- pgvector stores and compares fact embeddings; pg_trgm finds near-duplicate facts and rare words.
-- drizzle-kit does not emit CREATE EXTENSION, so this migration is written by hand.
CREATE EXTENSION IF NOT EXISTS vector;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;
