ALTER TYPE "public"."turn_status" ADD VALUE 'streaming' BEFORE 'complete';--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD COLUMN "replies_to" bigint;--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD CONSTRAINT "conversation_turns_replies_to_conversation_turns_id_fk" FOREIGN KEY ("replies_to") REFERENCES "public"."conversation_turns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversation_turns_replies_to_idx" ON "conversation_turns" USING btree ("replies_to") WHERE "conversation_turns"."replies_to" IS NOT NULL;--> statement-breakpoint
-- Existing answers reply to the question just before them. FORCEd row-level security binds a
-- table owner that is not a superuser (managed PostgreSQL), so this runs as the system.
SELECT set_config('app.user_id', 'system', true);--> statement-breakpoint
UPDATE "conversation_turns" AS answer
SET "replies_to" = (
  SELECT question."id" FROM "conversation_turns" AS question
  WHERE question."conversation_id" = answer."conversation_id" AND question."role" = 'user' AND question."id" < answer."id"
  ORDER BY question."id" DESC LIMIT 1
)
WHERE answer."role" = 'assistant';
