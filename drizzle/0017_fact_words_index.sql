CREATE INDEX "user_facts_user_long_idx" ON "user_facts" USING btree ("user_id") WHERE "user_facts"."superseded_at" IS NULL AND octet_length("user_facts"."fact_text") > 500;--> statement-breakpoint
-- The words of a user's current facts in a covering B-tree, as migration 0013 did for messages:
-- `@@` is not LEAKPROOF, so under row-level security PostgreSQL tests it only after the policy,
-- and the words side of hybrid retrieval read every current fact of the user from the heap (one
-- scattered page each). An index-only scan tests it on this index's contiguous entries instead.
-- Facts of at most 500 bytes (a tsvector well inside a B-tree entry); longer ones, rare (facts are
-- at most 500 characters), go through user_facts_user_long_idx.
CREATE INDEX "user_facts_user_words_cover_idx" ON "user_facts" ("user_id")
  INCLUDE ("id", "fact_search") WHERE "superseded_at" IS NULL AND octet_length("fact_text") <= 500;
