ALTER TABLE "conversation_turns" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "fact_embeddings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "user_facts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "conversation_turns_owner_only" ON "conversation_turns" AS PERMISSIVE FOR ALL TO public USING ("conversation_turns"."user_id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');--> statement-breakpoint
CREATE POLICY "conversations_owner_only" ON "conversations" AS PERMISSIVE FOR ALL TO public USING ("conversations"."user_id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');--> statement-breakpoint
CREATE POLICY "fact_embeddings_owner_only" ON "fact_embeddings" AS PERMISSIVE FOR ALL TO public USING ("fact_embeddings"."user_id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');--> statement-breakpoint
CREATE POLICY "user_facts_owner_only" ON "user_facts" AS PERMISSIVE FOR ALL TO public USING ("user_facts"."user_id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');