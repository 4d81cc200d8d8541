-- Row-level security binds the tables' owner too: the app usually connects as the owner, and
-- without FORCE the owner would bypass the policies of 0005. (Superusers still bypass it.)
ALTER TABLE "conversations" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversation_turns" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "user_facts" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "fact_embeddings" FORCE ROW LEVEL SECURITY;
