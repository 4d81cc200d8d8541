CREATE INDEX "conversation_turns_user_long_idx" ON "conversation_turns" USING btree ("user_id") WHERE "conversation_turns"."role" = 'user' AND octet_length("conversation_turns"."content") > 500;--> statement-breakpoint
-- The words of a user's short messages in a covering B-tree. GIN (conversation_turns_search_idx)
-- cannot serve the app role: `@@` is not LEAKPROOF, so under row-level security PostgreSQL tests it
-- only after the policy, on every one of the user's turns read from the heap (one scattered page
-- each). An index-only scan tests it on this index's contiguous entries instead. 500 bytes of text
-- make a tsvector of at most ~2.2 KB (measured on adversarial text: hyphenated chains, two-letter
-- words), inside a B-tree entry's 2,704; longer messages go through conversation_turns_user_long_idx.
CREATE INDEX "conversation_turns_user_words_cover_idx" ON "conversation_turns" ("user_id", "id" DESC)
  INCLUDE ("conversation_id", "content_search") WHERE "role" = 'user' AND octet_length("content") <= 500;
