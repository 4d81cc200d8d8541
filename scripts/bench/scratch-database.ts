import pg from 'pg';
import { ensureAppRole, type AppRole } from '@/lib/db/app-role';
import { openPostgres } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';

/**
 * A fresh, empty database of the given name on the server of `serverUrl` (dropped first if a
 * previous run left it), for a benchmark to fill; returns its URL.
 */
export async function scratchDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return withDatabase(serverUrl, name);
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Whether the server has a database of that name. */
export async function databaseExists(serverUrl: string, name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await admin.end();
  }
}

/** The plain role benchmarks run the app as, so row-level security costs what it costs in production. */
export const BENCH_APP_ROLE: AppRole = { name: 'engram_bench_app', password: 'engram-bench-app' };

/**
 * A scratch database, migrated as the server's admin (`ownerUrl`), with the app role set up as
 * `npm run db:app-role` does (`appUrl`); with `keep`, the existing one, given the migrations it
 * lacks, so a reused seed is timed under this code's schema rather than the one it was seeded under.
 */
export async function scratchAppDatabase(serverUrl: string, name: string, { keep = false } = {}): Promise<{ ownerUrl: string; appUrl: string }> {
  const ownerUrl = keep ? withDatabase(serverUrl, name) : await scratchDatabase(serverUrl, name);
  const owner = await openPostgres(ownerUrl, 1);
  try {
    await migrateDatabase(owner);
  } finally {
    await owner.close();
  }
  const admin = new pg.Client({ connectionString: ownerUrl });
  await admin.connect();
  try {
    await ensureAppRole(admin, BENCH_APP_ROLE);
  } finally {
    await admin.end();
  }
  const app = new URL(ownerUrl);
  [app.username, app.password] = [BENCH_APP_ROLE.name, BENCH_APP_ROLE.password];
  return { ownerUrl, appUrl: app.toString() };
}
