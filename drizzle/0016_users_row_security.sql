ALTER TABLE "account_merges" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "account_merges_parties_read" ON "account_merges" AS PERMISSIVE FOR SELECT TO public USING ("account_merges"."anonymous_user_id"::text = current_setting('app.user_id', true) OR "account_merges"."account_user_id"::text = current_setting('app.user_id', true));--> statement-breakpoint
CREATE POLICY "account_merges_system_only" ON "account_merges" AS PERMISSIVE FOR ALL TO public USING (current_setting('app.user_id', true) = 'system');--> statement-breakpoint
CREATE POLICY "users_owner_only" ON "users" AS PERMISSIVE FOR ALL TO public USING ("users"."id"::text = current_setting('app.user_id', true) OR current_setting('app.user_id', true) = 'system');--> statement-breakpoint
-- As for the tables of user data (0006, 0010): the policies bind the tables' owner too, which
-- the app usually connects as. Later migrations that write these rows must act as the system.
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "account_merges" FORCE ROW LEVEL SECURITY;
