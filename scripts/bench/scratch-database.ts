import pg from 'pg';

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
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
