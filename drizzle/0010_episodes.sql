CREATE TABLE "episode_embeddings" (
	"turn_id" bigint NOT NULL,
	"user_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"model" text NOT NULL,
	"embedding" halfvec(1536) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "episode_embeddings_turn_id_model_pk" PRIMARY KEY("turn_id","model")
);
--> statement-breakpoint
ALTER TABLE "episode_embeddings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD COLUMN "content_search" "tsvector" GENERATED ALWAYS AS (CASE WHEN "conversation_turns"."role" = 'user' THEN to_tsvector('english', "conversation_turns"."content") END) STORED;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "reference_chats" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "episode_embeddings" ADD CONSTRAINT "episode_embeddings_turn_id_conversation_turns_id_fk" FOREIGN KEY ("turn_id") REFERENCES "public"."conversation_turns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "episode_embeddings" ADD CONSTRAINT "episode_embeddings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "episode_embeddings_user_model_turn_idx" ON "episode_embeddings" USING btree ("user_id","model","turn_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "conversation_turns_search_idx" ON "conversation_turns" USING gin ("content_search") WHERE "conversation_turns"."role" = 'user';--> statement-breakpoint
CREATE POLICY "episode_embeddings_owner_only" ON "episode_embeddings" AS PERMISSIVE FOR ALL TO public USING ("episode_embeddings"."user_id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');--> statement-breakpoint
-- As for the other tables of user data (0006): the policy binds the tables' owner too.
ALTER TABLE "episode_embeddings" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
-- As for fact_embeddings (0002): a ~3 KB halfvec kept inline is read with its row, not through TOAST.
ALTER TABLE "episode_embeddings" ALTER COLUMN "embedding" SET STORAGE PLAIN;
