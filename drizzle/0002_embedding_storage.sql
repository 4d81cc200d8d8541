-- A halfvec(1536) is ~3 KB: kept inline (PLAIN) it is read with its row instead of through TOAST,
-- which is where per-user exact search spent most of its time (see the architecture notes).
ALTER TABLE "fact_embeddings" ALTER COLUMN "embedding" SET STORAGE PLAIN;
