import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@/lib/db/client';
import { DatabaseSetupError } from '@/lib/db/errors';
import { MIGRATIONS_FOLDER, migrateDatabase } from '@/lib/db/migrate';
import { selectRows } from '@/lib/db/rows';
import * as schema from '@/lib/db/schema';
import { verifyDatabase } from '@/lib/db/verify';
import { openEmptyDatabase, testEngine } from '../engines';

/** Every table the migrations make, by name. */
const TABLES = [
  'account_merges',
  'conversation_turns',
  'conversations',
  'episode_embeddings',
  'episode_words',
  'fact_embeddings',
  'job_leases',
  'rate_limits',
  'user_facts',
  'users',
];

describe('migrations', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openEmptyDatabase(testEngine);
  });
  afterAll(() => handle?.close());

  it('refuses an unmigrated database with a message that says to migrate', async () => {
    await expect(verifyDatabase(handle.db)).rejects.toThrow(DatabaseSetupError);
  });

  it('apply from empty: extensions, every table, the embedding column', async () => {
    await migrateDatabase(handle);

    const extensions = await selectRows<{ extname: string }>(handle.db, sql`SELECT extname FROM pg_extension`);
    expect(extensions.map((e) => e.extname)).toEqual(expect.arrayContaining(['vector', 'pg_trgm']));

    const tables = await selectRows<{ table_name: string }>(
      handle.db,
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(TABLES);
    await expect(verifyDatabase(handle.db)).resolves.toBeUndefined();
  });

  it('puts the users, every table of user data and the merges behind FORCEd row-level security', async () => {
    const tables = await selectRows<{ table_name: string; rls: boolean; forced: boolean }>(
      handle.db,
      sql`SELECT relname AS table_name, relrowsecurity AS rls, relforcerowsecurity AS forced
          FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1`,
    );
    // Not the job leases and the rate-limit counters: read before any user is known, by no user.
    const shared = ['job_leases', 'rate_limits'];
    expect(tables).toEqual(
      TABLES.map((name) => ({ table_name: name, rls: !shared.includes(name), forced: !shared.includes(name) })),
    );
  });

  it('refuses a database whose users are not behind row-level security (migrated by an older version)', async () => {
    await handle.db.execute(sql`ALTER TABLE users NO FORCE ROW LEVEL SECURITY`);
    await handle.db.execute(sql`ALTER TABLE account_merges DISABLE ROW LEVEL SECURITY`);
    await expect(verifyDatabase(handle.db)).rejects.toThrow(
      /^account_merges, users are not behind FORCEd row-level security: .*Run `npm run db:migrate`/,
    );
    await handle.db.execute(sql`ALTER TABLE users FORCE ROW LEVEL SECURITY`);
    await handle.db.execute(sql`ALTER TABLE account_merges ENABLE ROW LEVEL SECURITY`);
    await expect(verifyDatabase(handle.db)).resolves.toBeUndefined();
  });

  it('applying them again changes nothing', async () => {
    await migrateDatabase(handle);
    const applied = await selectRows<{ n: number }>(
      handle.db,
      sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`,
    );
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
    expect(applied[0]!.n).toBe(journal.entries.length);
  });

  it('names the fix when the embedding column has a fixed width', async () => {
    await handle.db.execute(sql`ALTER TABLE fact_embeddings ALTER COLUMN embedding TYPE halfvec(768)`);
    await expect(verifyDatabase(handle.db)).rejects.toThrow(/halfvec\(768\), but Engram writes halfvec of any width/);
  });
});

// PGlite without its extensions loaded stands in for a server without pgvector installed.
describe.runIf(testEngine === 'pglite')('a database without pgvector', () => {
  it('fails to migrate with an error that says to install pgvector', async () => {
    const client = await PGlite.create();
    const handle: DatabaseHandle = { db: drizzle({ client, schema }), engine: 'pglite', close: () => client.close() };
    try {
      const failure = migrateDatabase(handle);
      await expect(failure).rejects.toThrow(DatabaseSetupError);
      await expect(failure).rejects.toThrow(/no pgvector extension/);
    } finally {
      await handle.close();
    }
  });
});
