CREATE TYPE "public"."fact_type" AS ENUM('preference', 'goal', 'personal_context', 'technical_context', 'constraint');--> statement-breakpoint
CREATE TYPE "public"."turn_role" AS ENUM('user', 'assistant');--> statement-breakpoint
CREATE TYPE "public"."turn_status" AS ENUM('complete', 'interrupted', 'failed');--> statement-breakpoint
CREATE TABLE "account_merges" (
	"anonymous_user_id" uuid PRIMARY KEY NOT NULL,
	"account_user_id" uuid NOT NULL,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rows_moved" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation_turns" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "conversation_turns_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"role" "turn_role" NOT NULL,
	"content" text NOT NULL,
	"status" "turn_status" DEFAULT 'complete' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"extracted_at" timestamp with time zone,
	"extraction_attempts" integer DEFAULT 0 NOT NULL,
	"extraction_error" text
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"title" text,
	"summary" text,
	"summarized_through_turn_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fact_embeddings" (
	"fact_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"model" text NOT NULL,
	"embedding" halfvec(1536) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fact_embeddings_fact_id_model_pk" PRIMARY KEY("fact_id","model")
);
--> statement-breakpoint
CREATE TABLE "user_facts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"fact_type" "fact_type" NOT NULL,
	"fact_text" text NOT NULL,
	"confidence" real NOT NULL,
	"source_conversation_id" uuid,
	"source_turn_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_accessed" timestamp with time zone,
	"access_count" integer DEFAULT 0 NOT NULL,
	"superseded_at" timestamp with time zone,
	"superseded_by" uuid,
	CONSTRAINT "user_facts_confidence_range" CHECK ("user_facts"."confidence" >= 0 AND "user_facts"."confidence" <= 1)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text,
	"password_hash" text,
	"is_anonymous" boolean DEFAULT true NOT NULL,
	"memory_enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_account_has_email" CHECK ("users"."is_anonymous" OR "users"."email" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "account_merges" ADD CONSTRAINT "account_merges_account_user_id_users_id_fk" FOREIGN KEY ("account_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD CONSTRAINT "conversation_turns_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_turns" ADD CONSTRAINT "conversation_turns_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fact_embeddings" ADD CONSTRAINT "fact_embeddings_fact_id_user_facts_id_fk" FOREIGN KEY ("fact_id") REFERENCES "public"."user_facts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fact_embeddings" ADD CONSTRAINT "fact_embeddings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_facts" ADD CONSTRAINT "user_facts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_facts" ADD CONSTRAINT "user_facts_source_conversation_id_conversations_id_fk" FOREIGN KEY ("source_conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_facts" ADD CONSTRAINT "user_facts_source_turn_id_conversation_turns_id_fk" FOREIGN KEY ("source_turn_id") REFERENCES "public"."conversation_turns"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_facts" ADD CONSTRAINT "user_facts_superseded_by_user_facts_id_fk" FOREIGN KEY ("superseded_by") REFERENCES "public"."user_facts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_merges_account_idx" ON "account_merges" USING btree ("account_user_id");--> statement-breakpoint
CREATE INDEX "conversation_turns_conversation_idx" ON "conversation_turns" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "conversation_turns_user_idx" ON "conversation_turns" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "conversation_turns_pending_extraction_idx" ON "conversation_turns" USING btree ("created_at") WHERE "conversation_turns"."extracted_at" IS NULL AND "conversation_turns"."role" = 'user';--> statement-breakpoint
CREATE INDEX "conversations_user_updated_idx" ON "conversations" USING btree ("user_id","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "fact_embeddings_user_model_idx" ON "fact_embeddings" USING btree ("user_id","model");--> statement-breakpoint
CREATE INDEX "user_facts_user_current_idx" ON "user_facts" USING btree ("user_id","fact_type") WHERE "user_facts"."superseded_at" IS NULL;--> statement-breakpoint
CREATE INDEX "user_facts_superseded_idx" ON "user_facts" USING btree ("superseded_at") WHERE "user_facts"."superseded_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "user_facts_text_trgm_idx" ON "user_facts" USING gin ("fact_text" gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");