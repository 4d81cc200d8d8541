-- The covering index of the facts' words (0017) also holds each fact's type and text: the writer's
-- duplicate check by wording (lib/memory/dedup.ts) compares a candidate with every current fact of
-- the user of its type, and read each one's text from the heap, one scattered page per fact (538
-- pages for 566 facts in bench:memory). Created before the old one is dropped, so the search by
-- words always has one. Not in schema.ts: Drizzle cannot express INCLUDE.
CREATE INDEX "user_facts_user_current_cover_idx" ON "user_facts" ("user_id")
  INCLUDE ("id", "fact_type", "fact_text", "fact_search") WHERE "superseded_at" IS NULL AND octet_length("fact_text") <= 500;--> statement-breakpoint
DROP INDEX "user_facts_user_words_cover_idx";
