CREATE TABLE "episode_words" (
	"user_id" uuid NOT NULL,
	"word" text NOT NULL,
	"turn_id" bigint NOT NULL,
	CONSTRAINT "episode_words_user_id_word_turn_id_pk" PRIMARY KEY("user_id","word","turn_id")
);
--> statement-breakpoint
ALTER TABLE "episode_words" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
-- An older version still running during the upgrade would keep episodes without words: until
-- this commits, its learning waits (or times out, and the sweep retries it under the new one).
LOCK TABLE "episode_embeddings" IN SHARE MODE;--> statement-breakpoint
-- The words of the episodes kept so far, in the primary key's order. FORCEd row-level security
-- binds a table owner that is not a superuser (managed PostgreSQL), so this runs as the system.
SELECT set_config('app.user_id', 'system', true);--> statement-breakpoint
INSERT INTO "episode_words" ("user_id", "word", "turn_id")
SELECT t."user_id", w.word, t."id"
FROM "conversation_turns" t
CROSS JOIN LATERAL unnest(tsvector_to_array(t."content_search")) AS w (word)
WHERE t."role" = 'user' AND EXISTS (SELECT 1 FROM "episode_embeddings" e WHERE e."turn_id" = t."id")
ORDER BY 1, 2, 3;--> statement-breakpoint
ALTER TABLE "episode_words" ADD CONSTRAINT "episode_words_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "episode_words" ADD CONSTRAINT "episode_words_turn_id_conversation_turns_id_fk" FOREIGN KEY ("turn_id") REFERENCES "public"."conversation_turns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "episode_words_turn_idx" ON "episode_words" USING btree ("turn_id");--> statement-breakpoint
CREATE POLICY "episode_words_owner_only" ON "episode_words" AS PERMISSIVE FOR ALL TO public USING ("episode_words"."user_id" = (SELECT CASE WHEN current_setting('app.user_id', true) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN current_setting('app.user_id', true)::uuid END) OR (SELECT current_setting('app.user_id', true) = 'system'));--> statement-breakpoint
-- As for the other tables of user data (0006): the policy binds the tables' owner too.
ALTER TABLE "episode_words" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- Past chats are found by words through episode_words: the GIN of 0010 never served the app role,
-- and the covering index of 0013 (hand-written, so not in the schema) is no longer read. Dropped
-- last: a drop locks conversation_turns until the commit.
DROP INDEX "conversation_turns_user_words_cover_idx";--> statement-breakpoint
DROP INDEX "conversation_turns_search_idx";--> statement-breakpoint
DROP INDEX "conversation_turns_user_long_idx";
