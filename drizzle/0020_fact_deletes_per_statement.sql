-- What the two foreign keys into user_facts did on delete (CASCADE to the fact's vectors, SET
-- NULL in the facts it had replaced), once per statement over all the deleted facts instead of
-- once per fact: PostgreSQL runs a foreign key's action as one query per deleted row, which was
-- about three quarters of the time of the nightly job's deletes (bench:decay; README, "The nightly job").
-- Invoker's rights: in a user's unit of work its statements see that user's rows only, and the
-- deleted facts are theirs.
CREATE FUNCTION "user_facts_after_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- ANY(ARRAY(…)): probes the keys, where a join with the transition table (no statistics)
  -- could be planned as a scan of every vector. The users' ids change nothing here; they keep
  -- each statement on the shards of those users where the tables are distributed by user.
  DELETE FROM "public"."fact_embeddings"
  WHERE "fact_id" = ANY (ARRAY(SELECT "id" FROM "deleted_facts"))
    AND "user_id" = ANY (ARRAY(SELECT DISTINCT "user_id" FROM "deleted_facts"));
  UPDATE "public"."user_facts" SET "superseded_by" = NULL
  WHERE "superseded_by" = ANY (ARRAY(SELECT "id" FROM "deleted_facts"))
    AND "user_id" = ANY (ARRAY(SELECT DISTINCT "user_id" FROM "deleted_facts"));
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "user_facts_after_delete" AFTER DELETE ON "user_facts"
REFERENCING OLD TABLE AS "deleted_facts" FOR EACH STATEMENT EXECUTE FUNCTION "user_facts_after_delete"();--> statement-breakpoint
ALTER TABLE "fact_embeddings" DROP CONSTRAINT "fact_embeddings_fact_id_user_facts_id_fk";--> statement-breakpoint
ALTER TABLE "user_facts" DROP CONSTRAINT "user_facts_superseded_by_user_facts_id_fk";
