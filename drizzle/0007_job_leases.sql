CREATE TABLE "job_leases" (
	"job" text PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"leased_until" timestamp with time zone NOT NULL
);
